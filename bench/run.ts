/**
 * The pipeline benchmark, run by `npm run bench [-- --option value ...]`
 * (options in bench/options.ts). It starts its own Kafka broker and
 * ClickHouse engine on 127.0.0.1, runs the gateway, writer and API as
 * separate processes, and prints a table and writes JSON with every figure.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { createAccessToken } from '../services/shared/auth/token-store.ts';
import { startClickHouseHttp } from '../test/infra/clickhouse-http.ts';
import { KAFKA_VERSION, startKafkaBroker } from '../test/infra/kafka-broker.ts';
import { measureKafkajs, measurePlatformatic, type ClientFigures } from './kafka-clients.ts';
import { closeLoadClient, type LoadTarget } from './load-client.ts';
import { measureDirectInsert, measureKafkaProducerLimit, type DirectInsertResult, type ProducerPerformanceResult } from './limits.ts';
import { parseBenchOptions } from './options.ts';
import { measureBurst, measureFixedRate, measureMaxRate, measureStorage, startBenchServices, type BenchProcesses } from './pipeline-phases.ts';
import { describeMachine } from './proc-stats.ts';
import { renderTable, round, type TableRow } from './report.ts';
import { createPayloadFactory } from './session-payloads.ts';
import { longQuerySettings, measureTimeline, type TimelineResult } from './timeline-phase.ts';

const options = parseBenchOptions(process.argv.slice(2));
const skipped = new Set(options.skip.split(',').map((part) => part.trim()).filter(Boolean));
const logDir = fileURLToPath(new URL('../.cache/logs/', import.meta.url));
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const tenant = 'bench';
const loadAverageAtStart = os.loadavg();

log('starting Kafka and ClickHouse');
const [broker, clickhouseServer] = await Promise.all([
  startKafkaBroker({ logFile: `${logDir}bench-kafka.log` }),
  startClickHouseHttp({ logFile: `${logDir}bench-clickhouse.log` }),
]);
let services: BenchProcesses['services'] | undefined;

try {
  const database = 'bench_pipeline';
  const serviceEnv: Record<string, string> = {
    KAFKA_BROKERS: broker.brokers,
    CLICKHOUSE_URL: clickhouseServer.url,
    CLICKHOUSE_DATABASE: database,
    KAFKA_SPANS_TOPIC: 'bench.spans',
    KAFKA_COLLECTOR_TOPIC: '',
    KAFKA_DEAD_LETTER_TOPIC: 'bench.spans.dead-letter',
    KAFKA_CONSUMER_GROUP: 'bench-writer',
    KAFKA_TOPIC_PARTITIONS: '3',
    KAFKA_REPLICATION_FACTOR: '1',
    OTLP_HTTP_PORT: '0',
    API_PORT: '0',
    WRITER_HTTP_PORT: '0',
    // The per-credential rate limit would cap the load generator's one token.
    INGEST_RATE_LIMIT_PER_SECOND: '0',
  };

  log('starting gateway, writer and API');
  // The services create the database and apply the migrations, so the tokens come after them.
  services = await startBenchServices(serviceEnv);
  const pipelineClient = createClient({ url: clickhouseServer.url, database, request_timeout: 600_000, clickhouse_settings: longQuerySettings });
  const ingest = await createAccessToken(pipelineClient, { kind: 'ingest', tenant, createdBy: 'bench' });
  const investigator = await createAccessToken(pipelineClient, { kind: 'investigator', tenants: ['*'], role: 'investigator', createdBy: 'bench' });

  const processes: BenchProcesses = { services, kafkaPid: broker.pid, clickhousePid: clickhouseServer.pid };
  const shape = { spansPerSession: options.spansPerSession, attributeBytes: options.attributeBytes, encoding: options.encoding };
  const nextPayload = createPayloadFactory(shape);
  const sample = nextPayload();
  const target: LoadTarget = {
    url: new URL(`http://127.0.0.1:${services.gateway.ports.gateway}`),
    contentType: options.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    headers: { Authorization: `Bearer ${ingest.token}` },
    nextPayload,
  };
  const apiUrl = `http://127.0.0.1:${services.api.ports.api}`;
  const apiHeaders = { Authorization: `Bearer ${investigator.token}` };

  log('warming up for 5 s');
  await measureMaxRate(target, processes, pipelineClient, options.concurrency, 5);
  log(`maximum rate: ${options.concurrency} requests in flight for ${options.maxRateSeconds} s`);
  const maxRate = await measureMaxRate(target, processes, pipelineClient, options.concurrency, options.maxRateSeconds);
  const maxSessionsPerSecond = maxRate.endToEndSpansPerSecond / options.spansPerSession;
  const fixedSessionsPerSecond = options.sessionsPerSecond > 0 ? options.sessionsPerSecond : maxSessionsPerSecond / 2;
  log(`fixed rate: ${round(fixedSessionsPerSecond)} sessions/s for ${options.fixedRateSeconds} s`);
  const fixedRate = await measureFixedRate(target, apiUrl, apiHeaders, fixedSessionsPerSecond, options.fixedRateSeconds);
  log(`burst: ${round(fixedSessionsPerSecond * 10)} sessions/s for ${options.burstSeconds} s`);
  const burst = await measureBurst(target, processes, fixedSessionsPerSecond * 10, options.burstSeconds);
  log('storage per span');
  const storage = await measureStorage(pipelineClient);
  await pipelineClient.close();
  for (const service of Object.values(services)) service.kill();
  services = undefined;

  let directInsert: DirectInsertResult | null = null;
  let producerLimit: ProducerPerformanceResult | null = null;
  if (!skipped.has('limits')) {
    log('limit: direct insert of the same rows in batches of 50,000 spans');
    directInsert = await measureDirectInsert({
      clickhouseUrl: clickhouseServer.url,
      clickhousePid: clickhouseServer.pid,
      database: 'bench_direct',
      shape,
      sessions: Math.ceil(options.directInsertSpans / options.spansPerSession),
      batchSpans: 50_000,
      tenant,
    });
    log('limit: Kafka ProducerPerformance');
    producerLimit = await measureKafkaProducerLimit({
      brokers: broker.brokers,
      topic: 'bench.producer-performance',
      // About 500 MB in all, whatever the record size.
      records: Math.max(1_000, Math.round(500e6 / sample.body.length)),
      recordBytes: sample.body.length,
    });
  }

  const clients: ClientFigures[] = [];
  if (!skipped.has('clients')) {
    log('Kafka clients: kafkajs and @platformatic/kafka');
    const messages = Array.from({ length: options.clientMessages }, () => nextPayload().body);
    const platformaticVersion = (JSON.parse(
      await readFile(fileURLToPath(new URL('../node_modules/@platformatic/kafka/package.json', import.meta.url)), 'utf8'),
    ) as { version: string }).version;
    clients.push(await measureKafkajs({ brokers: broker.brokers, topic: 'bench.client.kafkajs', partitions: 3, messages, messagesPerSend: 20 }));
    clients.push(await measurePlatformatic({
      brokers: broker.brokers, topic: 'bench.client.platformatic', partitions: 3, messages, messagesPerSend: 20, version: platformaticVersion,
    }));
  }

  let timeline: TimelineResult | null = null;
  let timelineError: string | null = null;
  if (!skipped.has('timeline')) {
    log(`timeline: generating ${options.timelineRows.toLocaleString('en-US')} spans inside ClickHouse`);
    try {
      timeline = await measureTimeline({
        clickhouseUrl: clickhouseServer.url,
        database: 'bench_timeline',
        tenant,
        tableSpans: options.timelineRows,
        queries: options.timelineQueries,
        serviceEnv,
      });
    } catch (error) {
      // The figures measured so far are still written, with the failure beside them.
      timelineError = error instanceof Error ? error.message : String(error);
      log(`timeline phase failed: ${timelineError}`);
    }
  }

  const result = {
    recordedAt: new Date().toISOString(),
    machine: {
      ...describeMachine(),
      node: process.version,
      kafka: KAFKA_VERSION,
      clickhouse: 'chdb engine (clickhouse-local) over HTTP',
      // Other work on the machine shares its 2 cores; the load averages show how much there was.
      loadAverageAtStart: loadAverageAtStart.map((value) => round(value, 2)),
      loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)),
    },
    options,
    payload: { bytesPerSession: sample.body.length, bytesPerSpan: sample.body.length / options.spansPerSession },
    maxRate,
    fixedRate,
    burst,
    storage,
    limits: {
      directInsert,
      kafkaProducerPerformance: producerLimit,
      endToEndToDirectInsert: directInsert ? maxRate.endToEndSpansPerSecond / directInsert.spansPerSecond : null,
      endToEndToKafkaProducer: producerLimit ? maxRate.endToEndSpansPerSecond / (producerLimit.recordsPerSecond * options.spansPerSession) : null,
    },
    kafkaClients: clients,
    timeline,
    timelineError,
  };
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${renderTable(summarize(result))}\n\nJSON: ${options.out}\n`);
} finally {
  for (const service of Object.values(services ?? {})) service.kill();
  closeLoadClient();
  await Promise.all([broker.stop(), clickhouseServer.stop()]);
}

function summarize(result: {
  maxRate: Awaited<ReturnType<typeof measureMaxRate>>;
  fixedRate: Awaited<ReturnType<typeof measureFixedRate>>;
  burst: Awaited<ReturnType<typeof measureBurst>>;
  storage: Awaited<ReturnType<typeof measureStorage>>;
  limits: {
    directInsert: DirectInsertResult | null;
    kafkaProducerPerformance: ProducerPerformanceResult | null;
    endToEndToDirectInsert: number | null;
    endToEndToKafkaProducer: number | null;
  };
  kafkaClients: ClientFigures[];
  timeline: TimelineResult | null;
}): TableRow[] {
  const { maxRate, fixedRate, burst, storage, limits, kafkaClients, timeline } = result;
  const rows: TableRow[] = [
    { figure: 'End-to-end spans/s (gateway to readable)', value: String(Math.round(maxRate.endToEndSpansPerSecond)) },
    { figure: 'Gateway acknowledged spans/s', value: String(Math.round(maxRate.acknowledgedSpansPerSecond)) },
  ];
  for (const [name, seconds] of Object.entries(maxRate.cpuSecondsPerMillionSpans)) {
    rows.push({ figure: `CPU-seconds per million spans: ${name}`, value: String(round(seconds)) });
  }
  if (limits.directInsert) {
    rows.push({ figure: 'Limit: direct insert spans/s (same rows, 50k per batch)', value: String(Math.round(limits.directInsert.spansPerSecond)) });
    rows.push({
      figure: 'End-to-end / direct insert',
      value: round(limits.endToEndToDirectInsert ?? 0, 2).toString(),
      goal: '>= 0.5',
      met: (limits.endToEndToDirectInsert ?? 0) >= 0.5,
    });
  }
  if (limits.kafkaProducerPerformance) {
    const perf = limits.kafkaProducerPerformance;
    rows.push({
      figure: `Limit: Kafka ProducerPerformance (${perf.recordBytes} B records)`,
      value: `${Math.round(perf.recordsPerSecond)} records/s, ${perf.megabytesPerSecond} MB/s`,
    });
    rows.push({ figure: 'End-to-end / Kafka producer (in spans)', value: round(limits.endToEndToKafkaProducer ?? 0, 2).toString() });
  }
  rows.push(
    { figure: `Ingest latency p50 / p99 at ${round(fixedRate.sessionsPerSecond)} sessions/s`, value: `${round(fixedRate.ingestLatencyMs.p50)} / ${round(fixedRate.ingestLatencyMs.p99)} ms` },
    {
      figure: 'Freshness p50 / p99 (acknowledged to readable in the API, polled every 100 ms)',
      value: `${Math.round(fixedRate.freshnessMs.p50)} / ${Math.round(fixedRate.freshnessMs.p99)} ms (${fixedRate.freshnessMs.samples} sessions)`,
      goal: 'p99 < 2000 ms',
      met: fixedRate.freshnessMs.p99 < 2000 && fixedRate.freshnessMs.neverReadable === 0,
    },
  );
  for (const [name, mib] of Object.entries(burst.peakRssMiB)) {
    const isService = name === 'gateway' || name === 'writer' || name === 'api';
    rows.push({ figure: `Peak RSS during burst: ${name}`, value: `${Math.round(mib)} MiB`, goal: isService ? '<= 512 MiB' : undefined, met: isService ? mib <= 512 : undefined });
  }
  rows.push(
    { figure: 'Stored bytes per span (compressed, all span tables)', value: String(Math.round(storage.compressedBytesPerSpan)) },
    { figure: 'Compression ratio', value: `${round(storage.compressionRatio)}x`, goal: '>= 8x', met: storage.compressionRatio >= 8 },
  );
  for (const client of kafkaClients) {
    rows.push({
      figure: `Kafka client ${client.client}: produce / consume msgs/s`,
      value: `${Math.round(client.produceMessagesPerSecond)} / ${Math.round(client.consumeMessagesPerSecond)} (CPU-s per M: ${round(client.produceCpuSecondsPerMillionMessages)} / ${round(client.consumeCpuSecondsPerMillionMessages)})`,
    });
  }
  if (timeline) {
    for (const session of timeline.sessions) {
      const goalApplies = session.spans === 10_000;
      rows.push({
        figure: `Timeline ${session.spans} spans (${session.spansPerTrace} per trace) among ${(timeline.tableSpans / 1e6).toFixed(1)}M: p50 / p99`,
        value: `${round(session.p50Ms)} / ${round(session.p99Ms)} ms`,
        goal: goalApplies ? 'p99 < 100 ms' : undefined,
        met: goalApplies ? session.p99Ms < 100 : undefined,
      });
      rows.push({
        figure: `Timeline ${session.spans} spans (${session.spansPerTrace} per trace): rows read per row returned`,
        value: String(round(session.rowsReadPerRowReturned)),
        goal: goalApplies ? '<= 3' : undefined,
        met: goalApplies ? session.rowsReadPerRowReturned <= 3 : undefined,
      });
    }
  }
  return rows;
}
