import type { AuditEvent } from '../../schemas/audit-event.ts';
import type { Step } from '../../schemas/api.ts';
import { formatUnixNano } from './time-format.ts';

function compareByStart(a: AuditEvent, b: AuditEvent): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function toStep(event: AuditEvent, depth: number, agent: string | null, orphaned: boolean): Step {
  const step: Step = {
    kind: event.kind,
    traceId: event.traceId,
    spanId: event.spanId,
    parentSpanId: event.parentSpanId === '' ? null : event.parentSpanId,
    start: formatUnixNano(event.startTimeUnixNano),
    end: formatUnixNano(event.endTimeUnixNano),
    durationMs: Number(event.endTimeUnixNano - event.startTimeUnixNano) / 1e6,
    name: event.name,
    status: event.status,
    agent,
    service: event.serviceName || null,
    principal: event.principalId || null,
    depth,
    orphaned,
    operation: event.operation || null,
    convention: event.convention,
  };
  if (event.statusMessage) step.statusMessage = event.statusMessage;
  if (event.kind === 'model_request' || event.model) {
    step.model = event.model;
    if (event.provider) step.provider = event.provider;
    step.usage = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
  }
  if (event.kind === 'tool_call' || event.toolName) {
    step.tool = { name: event.toolName, callId: event.toolCallId || null };
  }
  if (event.resourceUri) step.resource = event.resourceUri;
  if (event.mcpMethod) step.mcp = { method: event.mcpMethod, sessionId: event.mcpSessionId || null };
  return step;
}

/**
 * Orders a session's events as a depth-first walk of the span tree, siblings
 * by start time, so every parent comes before its children. Spans from
 * several traces are merged; a span whose parent never arrived is placed at
 * the session root and marked orphaned. A step's agent is its own agent name
 * or that of its nearest agent ancestor.
 */
export function buildTimeline(events: readonly AuditEvent[]): Step[] {
  const bySpan = new Map<string, AuditEvent>();
  for (const event of events) bySpan.set(`${event.traceId}:${event.spanId}`, event);

  const children = new Map<string, AuditEvent[]>();
  const roots: AuditEvent[] = [];
  for (const event of bySpan.values()) {
    const parentKey = `${event.traceId}:${event.parentSpanId}`;
    if (event.parentSpanId !== '' && bySpan.has(parentKey)) {
      const siblings = children.get(parentKey) ?? [];
      siblings.push(event);
      children.set(parentKey, siblings);
    } else {
      roots.push(event);
    }
  }

  const steps: Step[] = [];
  const visited = new Set<string>();
  // An explicit stack instead of recursion, so a deep chain of spans cannot
  // overflow the call stack. Children are pushed in reverse start order so
  // that they come off the stack earliest first.
  const walk = (root: AuditEvent): void => {
    const stack: { event: AuditEvent; depth: number; inheritedAgent: string | null }[] = [
      { event: root, depth: 0, inheritedAgent: null },
    ];
    while (stack.length > 0) {
      const { event, depth, inheritedAgent } = stack.pop()!;
      const key = `${event.traceId}:${event.spanId}`;
      if (visited.has(key)) continue;
      visited.add(key);
      const agent = event.agentName || event.agentId || inheritedAgent;
      steps.push(toStep(event, depth, agent, event.parentSpanId !== '' && depth === 0));
      const ordered = [...(children.get(key) ?? [])].sort(compareByStart).reverse();
      for (const child of ordered) stack.push({ event: child, depth: depth + 1, inheritedAgent: agent });
    }
  };
  for (const root of roots.sort(compareByStart)) walk(root);
  // Spans whose parent links form a cycle have no root; show them rather than drop them.
  for (const event of [...bySpan.values()].sort(compareByStart)) walk(event);
  return steps;
}
