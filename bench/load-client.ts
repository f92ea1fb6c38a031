import http from 'node:http';
import type { SessionPayload } from './session-payloads.ts';

// Sends session payloads to the gateway the way OTLP exporters do, over
// keep-alive connections, and records per request the latency to the response.
// 429 and 503 are retried after a short pause, as exporters retry them.

export interface AcknowledgedSession {
  sessionId: string;
  spanCount: number;
  /** performance.now() when the 2xx response arrived. */
  acknowledgedAtMs: number;
}

export interface LoadResult {
  sessions: number;
  spansAcknowledged: number;
  /** Milliseconds from sending a request to its 2xx response, retries not included. */
  latenciesMs: number[];
  acknowledged: AcknowledgedSession[];
  responses: Record<string, number>;
  elapsedMs: number;
}

export interface LoadTarget {
  url: URL;
  contentType: string;
  headers: Record<string, string>;
  nextPayload: () => SessionPayload;
  /** Called with each acknowledged session, for freshness sampling. */
  onAcknowledged?: (session: AcknowledgedSession) => void;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(target: LoadTarget, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: target.url.hostname,
        port: target.url.port,
        path: '/v1/traces',
        method: 'POST',
        headers: { ...target.headers, 'Content-Type': target.contentType, 'Content-Length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function createRecorder(target: LoadTarget) {
  const result: LoadResult = { sessions: 0, spansAcknowledged: 0, latenciesMs: [], acknowledged: [], responses: {}, elapsedMs: 0 };
  const sendSession = async (deadlineMs: number): Promise<void> => {
    const payload = target.nextPayload();
    result.sessions += 1;
    while (performance.now() < deadlineMs) {
      const started = performance.now();
      const status = await post(target, payload.body);
      const finished = performance.now();
      result.responses[String(status)] = (result.responses[String(status)] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        result.latenciesMs.push(finished - started);
        result.spansAcknowledged += payload.spanCount;
        const session = { sessionId: payload.sessionId, spanCount: payload.spanCount, acknowledgedAtMs: finished };
        result.acknowledged.push(session);
        target.onAcknowledged?.(session);
        return;
      }
      if (status !== 429 && status !== 503 && status !== 0) return;
      await sleep(100);
    }
  };
  return { result, sendSession };
}

/** Keeps `concurrency` requests in flight for `durationMs`: the highest rate the pipeline accepts. */
export async function runClosedLoop(target: LoadTarget, concurrency: number, durationMs: number): Promise<LoadResult> {
  const { result, sendSession } = createRecorder(target);
  const started = performance.now();
  const stopAt = started + durationMs;
  // Sessions already sent may finish their retries for up to 30 s more.
  const workers = Array.from({ length: concurrency }, async () => {
    while (performance.now() < stopAt) await sendSession(stopAt + 30_000);
  });
  await Promise.all(workers);
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Starts `sessionsPerSecond` sessions a second for `durationMs`, however long the responses take: a fixed offered rate. */
export async function runOpenLoop(
  target: LoadTarget,
  sessionsPerSecond: number,
  durationMs: number,
  maxOutstanding = 2_000,
): Promise<LoadResult & { skipped: number }> {
  const { result, sendSession } = createRecorder(target);
  const outstanding = new Set<Promise<void>>();
  let skipped = 0;
  const started = performance.now();
  const tickMs = 10;
  let due = 0;
  while (performance.now() - started < durationMs) {
    const elapsed = performance.now() - started;
    const dueByNow = Math.floor((elapsed / 1000) * sessionsPerSecond);
    while (due < dueByNow) {
      due += 1;
      if (outstanding.size >= maxOutstanding) {
        skipped += 1;
        continue;
      }
      const sending = sendSession(started + durationMs + 30_000).finally(() => outstanding.delete(sending));
      outstanding.add(sending);
    }
    await sleep(tickMs);
  }
  await Promise.all([...outstanding]);
  result.elapsedMs = performance.now() - started;
  return { ...result, skipped };
}

export function closeLoadClient(): void {
  agent.destroy();
}
