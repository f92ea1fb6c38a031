import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTimelineUrl,
  formatTimeline,
  waitForTimeline,
  type Timeline,
  type TimelineStep,
} from '../../examples/support-agent/timeline.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

function step(overrides: Partial<TimelineStep> & Pick<TimelineStep, 'kind' | 'spanId' | 'name' | 'depth'>): TimelineStep {
  return {
    traceId: TRACE_ID,
    parentSpanId: null,
    start: '2026-11-03T10:15:00.000Z',
    end: '2026-11-03T10:15:01.000Z',
    status: 'unset',
    agent: 'support-agent',
    ...overrides,
  };
}

const COMPLETE_TIMELINE: Timeline = {
  sessionId: 'session-a',
  steps: [
    step({ kind: 'agent', spanId: 'a000000000000001', name: 'invoke_agent support-agent', depth: 0, status: 'ok' }),
    step({
      kind: 'model_request',
      spanId: 'a000000000000002',
      parentSpanId: 'a000000000000001',
      name: 'chat mock-support-model',
      depth: 1,
      model: 'mock-support-model',
    }),
    step({
      kind: 'tool_call',
      spanId: 'a000000000000003',
      parentSpanId: 'a000000000000001',
      name: 'execute_tool lookup_order',
      depth: 1,
      tool: { name: 'lookup_order', callId: 'call_lookup_order_01' },
    }),
    step({
      kind: 'tool_call',
      spanId: 'a000000000000004',
      parentSpanId: 'a000000000000001',
      name: 'execute_tool issue_refund',
      depth: 1,
      status: 'error',
      tool: { name: 'issue_refund', callId: null },
    }),
  ],
};

type Reply = { status: number; body?: unknown };

type FakeApi = { url: string; requestedPaths: string[]; close: () => Promise<void> };

/** Starts a timeline API on 127.0.0.1 that sends the scripted replies in order and repeats the last one. */
async function startFakeApi(replies: Reply[]): Promise<FakeApi> {
  const requestedPaths: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requestedPaths.push(request.url ?? '');
    const reply = replies[Math.min(requestedPaths.length, replies.length) - 1] ?? { status: 500 };
    response.writeHead(reply.status, { 'content-type': 'application/json' });
    response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requestedPaths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const EXPECTED = { modelRequests: 1, toolCalls: 2 };

describe('waitForTimeline', () => {
  let api: FakeApi | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('polls until the timeline is complete', async () => {
    const partial = { ...COMPLETE_TIMELINE, steps: COMPLETE_TIMELINE.steps.slice(0, 3) };
    api = await startFakeApi([{ status: 404 }, { status: 200, body: partial }, { status: 200, body: COMPLETE_TIMELINE }]);

    const result = await waitForTimeline({
      apiUrl: `${api.url}/`,
      sessionId: 'session-a',
      expected: EXPECTED,
      timeoutMs: 5_000,
      intervalMs: 10,
    });

    expect(result.ok).toBe(true);
    expect(result.attempts).toBe(3);
    expect(api.requestedPaths).toEqual(Array(3).fill('/v1/sessions/session-a/timeline'));
  });

  it('times out with the last observation', async () => {
    api = await startFakeApi([{ status: 404 }]);

    const result = await waitForTimeline({
      apiUrl: api.url,
      sessionId: 'session-b',
      expected: EXPECTED,
      timeoutMs: 200,
      intervalMs: 20,
    });

    expect(result.ok).toBe(false);
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.ok ? '' : result.reason).toContain('/v1/sessions/session-b/timeline: HTTP 404');
  });

  it('reports a refused connection', async () => {
    api = await startFakeApi([]);
    const closedUrl = api.url;
    await api.close();
    api = undefined;

    const result = await waitForTimeline({
      apiUrl: closedUrl,
      sessionId: 'session-c',
      expected: EXPECTED,
      timeoutMs: 100,
      intervalMs: 20,
    });

    expect(result.ok ? '' : result.reason).toContain('request failed: ECONNREFUSED');
  });

  it('stops at once on an invalid body', async () => {
    api = await startFakeApi([{ status: 200, body: { sessionId: 'session-d', steps: [{ kind: 'agent' }] } }]);

    const result = await waitForTimeline({
      apiUrl: api.url,
      sessionId: 'session-d',
      expected: EXPECTED,
      timeoutMs: 5_000,
      intervalMs: 10,
    });

    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.ok ? '' : result.reason).toContain('unexpected shape');
  });
});

describe('buildTimelineUrl', () => {
  it('encodes the session id', () => {
    expect(buildTimelineUrl('http://127.0.0.1:8080', 'a/b c')).toBe(
      'http://127.0.0.1:8080/v1/sessions/a%2Fb%20c/timeline',
    );
  });
});

describe('formatTimeline', () => {
  it('prints one indented line per step', () => {
    const lines = formatTimeline(COMPLETE_TIMELINE).split('\n');

    expect(lines).toHaveLength(COMPLETE_TIMELINE.steps.length + 1);
    expect(lines[0]).toMatch(/^START\s+KIND\s+STEP$/);
    expect(lines[1]).toMatch(/^2026-11-03T10:15:00\.000Z {2}agent {10}invoke_agent support-agent$/);
    expect(lines[2]).toContain('model_request    chat mock-support-model  model=mock-support-model');
    expect(lines[3]).toContain('tool_call        execute_tool lookup_order  tool=lookup_order call_id=call_lookup_order_01');
    expect(lines[4]).toContain('execute_tool issue_refund  tool=issue_refund call_id=- [error]');
  });
});
