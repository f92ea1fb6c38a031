// Proves that the Kafka broker and the ClickHouse endpoint from the global
// setup are real and support what the gateway, writer and API rely on.
import { randomBytes } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, inject, test } from 'vitest';

const PARTITIONS = 3;

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Polls `read` until it returns a value other than undefined. */
async function waitFor<T>(description: string, read: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

describe('Kafka broker', () => {
  // kafkajs logs retriable coordinator errors at ERROR level while a fresh
  // broker creates its internal topics. The assertions report real failures.
  const kafka = new Kafka({ clientId: 'infra-test', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  let admin: Admin;
  let topic: string;
  let groupId: string;
  const clients: Array<Producer | Consumer> = [];

  beforeEach(async () => {
    topic = uniqueName('infra_topic');
    groupId = uniqueName('infra_group');
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.disconnect()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function createTopic(): Promise<void> {
    // With waitForLeaders: true, kafkajs 2.2.4 gives up when the broker's
    // metadata does not list the new topic yet (UNKNOWN_TOPIC_OR_PARTITION).
    // A KRaft broker applies new topics asynchronously, and 7 of 60 creations
    // failed that way on a 2-core machine under load. So the test polls for
    // the leaders itself.
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: false });
    expect(created).toBe(true);
    await waitForLeaders();
  }

  async function waitForLeaders(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let lastError: unknown;
    for (;;) {
      try {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        const leaders = metadata.topics[0]?.partitions.filter((partition) => partition.leader >= 0) ?? [];
        if (leaders.length === PARTITIONS) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for leaders of all ${PARTITIONS} partitions of ${topic}`, { cause: lastError });
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  async function connectedProducer(): Promise<Producer> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    clients.push(producer);
    await producer.connect();
    return producer;
  }

  function newConsumer(): Consumer {
    // kafkajs heartbeats and leaves the group only between fetches, so a short
    // fetch wait keeps rebalances and disconnects from taking 5 s each.
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, heartbeatInterval: 500, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    clients.push(consumer);
    return consumer;
  }

  /** Sends `count` messages with values `${label}-0`, `${label}-1`, … spread over all partitions. */
  async function produce(producer: Producer, label: string, count: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, index) => ({ partition: index % PARTITIONS, value: `${label}-${index}` }));
    const results = await producer.send({ topic, acks: -1, messages });
    expect(results.map((result) => result.errorCode)).toEqual(results.map(() => 0));
  }

  /**
   * Consumes with a manual commit after each batch, and appends the batch's
   * message values to `received` once the commit has succeeded.
   */
  async function runCommittingConsumer(consumer: Consumer, received: string[]): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        const values: string[] = [];
        for (const message of batch.messages) {
          values.push(message.value?.toString() ?? '');
          resolveOffset(message.offset);
        }
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
        received.push(...values);
        await heartbeat();
      },
    });
  }

  async function committedOffsets(): Promise<Record<number, string>> {
    const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((topicOffsets?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
  }

  test('createTopics with several partitions', async () => {
    await createTopic();

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions.map((partition) => partition.partitionId).sort();
    expect(partitions).toEqual([0, 1, 2]);
  });

  test('idempotent producer with acks -1', async () => {
    await createTopic();
    const producer = await connectedProducer();

    await produce(producer, 'first', 30);

    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    expect(total).toBe(30);
    expect(offsets.every((partition) => Number(partition.high) === 10)).toBe(true);
  });

  test('manual commits survive consumer restart', async () => {
    await createTopic();
    const producer = await connectedProducer();
    await produce(producer, 'before', 12);

    const firstRun: string[] = [];
    const first = newConsumer();
    await runCommittingConsumer(first, firstRun);
    await waitFor('12 messages in the first run', () => (firstRun.length >= 12 ? true : undefined));
    await first.disconnect();

    expect(firstRun.sort()).toEqual(Array.from({ length: 12 }, (_, index) => `before-${index}`).sort());
    expect(await committedOffsets()).toEqual({ 0: '4', 1: '4', 2: '4' });

    await produce(producer, 'after', 6);
    const secondRun: string[] = [];
    await runCommittingConsumer(newConsumer(), secondRun);
    await waitFor('6 messages in the second run', () => (secondRun.length >= 6 ? true : undefined));
    // A short wait so that a wrong restart from the beginning would show up
    // as extra messages rather than pass unnoticed.
    await new Promise((done) => setTimeout(done, 1_000));

    expect(secondRun.sort()).toEqual(Array.from({ length: 6 }, (_, index) => `after-${index}`).sort());
    expect(await committedOffsets()).toEqual({ 0: '6', 1: '6', 2: '6' });
  });

  test('second member triggers a rebalance', async () => {
    await createTopic();
    const assignments = new Map<string, number[]>();
    const received: string[] = [];

    const first = newConsumer();
    first.on(first.events.GROUP_JOIN, ({ payload }) => assignments.set('first', payload.memberAssignment[topic] ?? []));
    await runCommittingConsumer(first, received);
    await waitFor('all partitions assigned to the first member', () =>
      (assignments.get('first')?.length === PARTITIONS ? true : undefined));

    const second = newConsumer();
    second.on(second.events.GROUP_JOIN, ({ payload }) => assignments.set('second', payload.memberAssignment[topic] ?? []));
    await runCommittingConsumer(second, received);
    const [firstPartitions, secondPartitions] = await waitFor('the partitions to be split between both members', () => {
      const firstAssigned = assignments.get('first') ?? [];
      const secondAssigned = assignments.get('second') ?? [];
      const split = firstAssigned.length > 0 && secondAssigned.length > 0
        && firstAssigned.length + secondAssigned.length === PARTITIONS;
      return split ? [firstAssigned, secondAssigned] : undefined;
    });
    expect([...firstPartitions, ...secondPartitions].sort()).toEqual([0, 1, 2]);

    const producer = await connectedProducer();
    await produce(producer, 'shared', 9);
    await waitFor('9 messages across both members', () => (received.length >= 9 ? true : undefined));
    expect(received.sort()).toEqual(Array.from({ length: 9 }, (_, index) => `shared-${index}`).sort());
  });
});

describe('ClickHouse endpoint', () => {
  let client: ClickHouseClient;
  let database: string;

  beforeEach(async () => {
    database = uniqueName('infra_db');
    client = createClient({ url: inject('clickhouseUrl') });
    await client.command({ query: `CREATE DATABASE ${database}` });
  });

  afterEach(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  test('MergeTree with Map, DateTime64(9) and parameters', async () => {
    await client.command({
      query: `CREATE TABLE ${database}.spans (
        session_id String,
        span_id String,
        start_time DateTime64(9, 'UTC'),
        duration_ns UInt64,
        attributes Map(String, String)
      ) ENGINE = MergeTree ORDER BY (session_id, start_time)`,
    });
    await client.insert({
      table: `${database}.spans`,
      format: 'JSONEachRow',
      values: [
        { session_id: 's-1', span_id: 'a', start_time: '2026-01-02 03:04:05.123456789', duration_ns: '18446744073709551615',
          attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-test' } },
        { session_id: 's-1', span_id: 'b', start_time: '2026-01-02 03:04:06.000000001', duration_ns: '42', attributes: {} },
        { session_id: 's-2', span_id: 'c', start_time: '2026-01-02 03:04:07.000000000', duration_ns: '7', attributes: {} },
      ],
    });

    const result = await client.query({
      query: `SELECT span_id, start_time, duration_ns, attributes, attributes['gen_ai.system'] AS system
        FROM ${database}.spans
        WHERE session_id = {session:String} AND start_time >= {from:DateTime64(9, 'UTC')}
        ORDER BY start_time`,
      query_params: { session: 's-1', from: '2026-01-02 03:04:05.123456789' },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    const rows = await result.json<{ span_id: string; start_time: string; duration_ns: unknown; attributes: Record<string, string>; system: string }>();

    expect(rows.map((row) => row.span_id)).toEqual(['a', 'b']);
    expect(rows[0]?.start_time).toBe('2026-01-02 03:04:05.123456789');
    expect(rows[1]?.start_time).toBe('2026-01-02 03:04:06.000000001');
    expect(rows[0]?.attributes).toEqual({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-test' });
    expect(rows[0]?.system).toBe('openai');
    expect(rows[0]?.duration_ns).toBe('18446744073709551615');
  });

  test('quoting of 64-bit integers in JSON', async () => {
    const query = 'SELECT toUInt64(9007199254740993) AS unsigned, toInt64(-9007199254740993) AS signed';

    const quoted = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
    const [quotedRow] = await quoted.json<{ unsigned: unknown; signed: unknown }>();
    expect(quotedRow?.unsigned).toBe('9007199254740993');
    expect(quotedRow?.signed).toBe('-9007199254740993');

    const unquoted = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    const [unquotedRow] = await unquoted.json<{ unsigned: unknown; signed: unknown }>();
    expect(typeof unquotedRow?.unsigned).toBe('number');
    expect(typeof unquotedRow?.signed).toBe('number');
  });

  test('ReplacingMergeTree FINAL keeps latest version', async () => {
    await client.command({
      query: `CREATE TABLE ${database}.sessions (session_id String, status String, version UInt64)
        ENGINE = ReplacingMergeTree(version) ORDER BY session_id`,
    });
    // Without merges the two inserts stay separate parts, so only FINAL can
    // collapse them and the check below cannot pass by accident.
    await client.command({ query: `SYSTEM STOP MERGES ${database}.sessions` });
    await client.insert({ table: `${database}.sessions`, format: 'JSONEachRow', values: [{ session_id: 's-1', status: 'running', version: 1 }] });
    await client.insert({ table: `${database}.sessions`, format: 'JSONEachRow', values: [{ session_id: 's-1', status: 'finished', version: 2 }] });

    const all = await client.query({ query: `SELECT status FROM ${database}.sessions ORDER BY version`, format: 'JSONEachRow' });
    expect((await all.json<{ status: string }>()).map((row) => row.status)).toEqual(['running', 'finished']);

    const final = await client.query({
      query: `SELECT status, version FROM ${database}.sessions FINAL WHERE session_id = {session:String}`,
      query_params: { session: 's-1' },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await final.json()).toEqual([{ status: 'finished', version: '2' }]);
  });
});
