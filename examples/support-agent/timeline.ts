import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

export const TimelineStepSchema = z.object({
  kind: z.enum(['agent', 'model_request', 'tool_call', 'data_access', 'approval', 'span']),
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  start: z.string(),
  end: z.string(),
  name: z.string(),
  status: z.enum(['unset', 'ok', 'error']),
  agent: z.string().nullable(),
  depth: z.number().int().nonnegative(),
  model: z.string().optional(),
  tool: z.object({ name: z.string(), callId: z.string().nullable() }).optional(),
});
export type TimelineStep = z.infer<typeof TimelineStepSchema>;

export const TimelineSchema = z.object({
  sessionId: z.string(),
  steps: z.array(TimelineStepSchema),
});
export type Timeline = z.infer<typeof TimelineSchema>;

export type ExpectedActivity = { modelRequests: number; toolCalls: number };

export type WaitForTimelineOptions = {
  apiUrl: string;
  sessionId: string;
  expected: ExpectedActivity;
  timeoutMs?: number;
  intervalMs?: number;
  /** Bearer token for the API; the API answers 401 without one. */
  token?: string;
};

export type TimelineWaitResult =
  | { ok: true; timeline: Timeline; attempts: number }
  | { ok: false; reason: string; attempts: number };

/** Outcome of one GET: either a finished timeline or why polling goes on or stops. */
type PollOutcome =
  | { kind: 'complete'; timeline: Timeline }
  | { kind: 'pending'; observation: string }
  | { kind: 'invalid'; reason: string };

const MAX_REQUEST_TIMEOUT_MS = 5_000;

export function buildTimelineUrl(apiUrl: string, sessionId: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return `${base}/v1/sessions/${encodeURIComponent(sessionId)}/timeline`;
}

function countSteps(timeline: Timeline, kind: TimelineStep['kind']): number {
  return timeline.steps.filter((step) => step.kind === kind).length;
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return 'request timed out';
  }
  // Node's fetch hides the socket error, such as ECONNREFUSED, in `cause`.
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  return `request failed: ${code ?? (error instanceof Error ? error.message : String(error))}`;
}

async function pollOnce(url: string, expected: ExpectedActivity, timeoutMs: number, token?: string): Promise<PollOutcome> {
  let response: Response;
  try {
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  } catch (error) {
    return { kind: 'pending', observation: describeFetchError(error) };
  }

  if (response.status !== 200) {
    await response.body?.cancel();
    return { kind: 'pending', observation: `HTTP ${response.status}` };
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    return { kind: 'invalid', reason: `timeline response is not valid JSON: ${String(error)}` };
  }
  const parsed = TimelineSchema.safeParse(body);
  if (!parsed.success) {
    return { kind: 'invalid', reason: `timeline response has an unexpected shape: ${z.prettifyError(parsed.error)}` };
  }

  const timeline = parsed.data;
  const modelRequests = countSteps(timeline, 'model_request');
  const toolCalls = countSteps(timeline, 'tool_call');
  if (modelRequests >= expected.modelRequests && toolCalls >= expected.toolCalls) {
    return { kind: 'complete', timeline };
  }
  return {
    kind: 'pending',
    observation:
      `HTTP 200 with ${modelRequests} model requests and ${toolCalls} tool calls ` +
      `(expected at least ${expected.modelRequests} and ${expected.toolCalls})`,
  };
}

/**
 * Polls the timeline API until the session's timeline contains at least the
 * expected model requests and tool calls, or the timeout passes.
 *
 * A 200 response whose body does not match the timeline shape ends the wait
 * at once, because polling again would not change the API's contract. The
 * wait can overrun timeoutMs by up to one request timeout (at most 5 s).
 */
export async function waitForTimeline(options: WaitForTimelineOptions): Promise<TimelineWaitResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 500;
  const url = buildTimelineUrl(options.apiUrl, options.sessionId);
  const deadline = Date.now() + timeoutMs;

  let attempts = 0;
  let lastObservation = 'no response';
  const requestTimeoutMs = Math.min(timeoutMs, MAX_REQUEST_TIMEOUT_MS);
  while (true) {
    attempts += 1;
    const outcome = await pollOnce(url, options.expected, requestTimeoutMs, options.token);
    if (outcome.kind === 'complete') {
      return { ok: true, timeline: outcome.timeline, attempts };
    }
    if (outcome.kind === 'invalid') {
      return { ok: false, reason: `GET ${url}: ${outcome.reason}`, attempts };
    }
    lastObservation = outcome.observation;

    if (Date.now() + intervalMs > deadline) {
      break;
    }
    await sleep(intervalMs);
  }

  return {
    ok: false,
    reason: `timeline not complete after ${attempts} requests in ${timeoutMs} ms; last GET ${url}: ${lastObservation}`,
    attempts,
  };
}

function describeStep(step: TimelineStep): string {
  const details: string[] = [];
  if (step.model !== undefined) {
    details.push(`model=${step.model}`);
  }
  if (step.tool !== undefined) {
    details.push(`tool=${step.tool.name}`, `call_id=${step.tool.callId ?? '-'}`);
  }
  if (step.status === 'error') {
    details.push('[error]');
  }
  return details.join(' ');
}

/**
 * Formats a timeline as a text table with one line per step. The step name
 * is indented two spaces per depth level, so the span tree stays visible.
 */
export function formatTimeline(timeline: Timeline): string {
  const startWidth = Math.max('START'.length, ...timeline.steps.map((step) => step.start.length));
  const kindWidth = Math.max('KIND'.length, ...timeline.steps.map((step) => step.kind.length));

  const lines = [`${'START'.padEnd(startWidth)}  ${'KIND'.padEnd(kindWidth)}  STEP`];
  for (const step of timeline.steps) {
    const name = `${'  '.repeat(step.depth)}${step.name}`;
    const details = describeStep(step);
    const line = `${step.start.padEnd(startWidth)}  ${step.kind.padEnd(kindWidth)}  ${name}`;
    lines.push(details === '' ? line : `${line}  ${details}`);
  }
  return lines.join('\n');
}
