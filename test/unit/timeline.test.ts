import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../services/api/timeline.ts';
import { formatUnixNano, parseRfc3339 } from '../../services/api/time-format.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { agentSession, newSpanId, span, tracesData } from '../support/otlp-builders.ts';

describe('buildTimeline', () => {
  it('puts parents before children and siblings in time order', () => {
    const session = agentSession({ sessionId: 's' });
    // Reverse the arrival order, as a batch span processor exports children first.
    const steps = buildTimeline(normalizeTraces(tracesData([...session.spans].reverse())));

    expect(steps.map((step) => step.kind)).toEqual(['agent', 'model_request', 'tool_call']);
    expect(steps.map((step) => step.depth)).toEqual([0, 1, 1]);
    expect(steps[2]!.agent).toBe('support');
  });

  it('merges two traces of a session in time order', () => {
    const first = agentSession({ sessionId: 's', startMs: 1_000_000 });
    const second = agentSession({ sessionId: 's', startMs: 2_000_000 });
    const steps = buildTimeline(normalizeTraces(tracesData([...second.spans, ...first.spans])));

    expect(steps.map((step) => step.traceId)).toEqual([
      first.traceId,
      first.traceId,
      first.traceId,
      second.traceId,
      second.traceId,
      second.traceId,
    ]);
  });

  it('shows an orphan under the root span of its trace', () => {
    const session = agentSession({ sessionId: 's' });
    const lost = span({ traceId: session.traceId, parentSpanId: newSpanId(), name: 'execute_tool late', startMs: 5 });
    const steps = buildTimeline(normalizeTraces(tracesData([...session.spans, lost])));
    const orphan = steps.find((step) => step.spanId === lost.spanId);

    expect(orphan?.orphaned).toBe(true);
    expect(orphan?.depth).toBe(1);
    expect(orphan?.placedUnder?.spanId).toBe(session.root.spanId);
    expect(orphan?.notes?.[0]).toMatch(/never arrived; shown under the root span of its trace/);
  });

  it('shows an orphan with no trace root at the session root', () => {
    const session = agentSession({ sessionId: 's' });
    const lost = span({ traceId: session.traceId, parentSpanId: newSpanId(), name: 'execute_tool late', startMs: 5 });
    const steps = buildTimeline(normalizeTraces(tracesData([session.chat, lost])));
    const orphan = steps.find((step) => step.spanId === lost.spanId);

    expect(orphan?.orphaned).toBe(true);
    expect(orphan?.depth).toBe(0);
    expect(orphan?.notes?.[0]).toMatch(/never arrived; shown at the session root/);
  });

  it('keeps spans whose parents form a cycle', () => {
    const traceId = agentSession({ sessionId: 's' }).traceId;
    const a = span({ traceId, name: 'a', startMs: 1 });
    const b = span({ traceId, name: 'b', startMs: 2, parentSpanId: a.spanId });
    a.parentSpanId = b.spanId;

    expect(buildTimeline(normalizeTraces(tracesData([a, b])))).toHaveLength(2);
  });
});

describe('time formatting', () => {
  it('keeps nanoseconds in RFC 3339', () => {
    expect(formatUnixNano(1733333333123456789n)).toBe('2024-12-04T17:28:53.123456789Z');
    expect(parseRfc3339('2024-12-04T17:28:53.123456789Z')).toBe(1733333333123456789n);
    expect(parseRfc3339('2024-12-04T18:28:53+01:00')).toBe(1733333333000000000n);
  });
});
