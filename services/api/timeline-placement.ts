import type { AuditEvent } from '../../schemas/audit-event.ts';

// Decides under which step each span is shown. A span goes under its own
// parent when that parent is stored. Otherwise the timeline places it by the
// first rule that applies, and records which one:
//   1. an MCP server span under the MCP client span of the same request
//      (same mcp.session.id and jsonrpc.request.id), or under the tool span
//      that carries the same tool call id in another trace;
//   2. a trace root with a span link under the linked span, when that span
//      is in the session;
//   3. a span whose parent never arrived under the root span of its trace;
//   4. otherwise at the session root.

export interface Placement {
  /** Key (`traceId:spanId`) of the step shown above this one; null at the session root. */
  parentKey: string | null;
  /** Reason the step is not under its own parent span; null when it is. */
  reason: string | null;
  /** True when the span names a parent that is not stored. */
  orphaned: boolean;
}

export function eventKey(event: Pick<AuditEvent, 'traceId' | 'spanId'>): string {
  return `${event.traceId}:${event.spanId}`;
}

function indexBy<T>(items: Iterable<T>, keyOf: (item: T) => string | null): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === null) continue;
    const list = index.get(key) ?? [];
    list.push(item);
    index.set(key, list);
  }
  return index;
}

function mcpRequestKey(event: AuditEvent): string | null {
  return event.mcpMethod && event.mcpSessionId && event.rpcRequestId
    ? `${event.mcpSessionId}\u0000${event.rpcRequestId}\u0000${event.mcpMethod}`
    : null;
}

function findCrossTraceExecutor(
  event: AuditEvent,
  clientsByRequest: Map<string, AuditEvent[]>,
  toolSpansByCallId: Map<string, AuditEvent[]>,
): { parent: AuditEvent; reason: string } | null {
  if (event.spanKind !== 'server') return null;
  const requestKey = mcpRequestKey(event);
  const client = requestKey === null ? undefined : clientsByRequest.get(requestKey)?.find((candidate) => candidate.spanKind === 'client');
  if (client !== undefined) {
    return { parent: client, reason: 'MCP client span of the same request (mcp.session.id and jsonrpc.request.id)' };
  }
  if (event.kind === 'tool_call' && event.toolCallId) {
    const caller = toolSpansByCallId
      .get(event.toolCallId)
      ?.find((candidate) => candidate.traceId !== event.traceId && candidate.spanKind !== 'server');
    if (caller !== undefined) return { parent: caller, reason: `tool span with the same tool call id ${event.toolCallId}` };
  }
  return null;
}

/** Places every event; the result never forms a cycle through a rule-based placement. */
export function placeEvents(events: ReadonlyMap<string, AuditEvent>): Map<string, Placement> {
  const all = [...events.values()];
  const clientsByRequest = indexBy(all, (event) => (event.spanKind === 'client' ? mcpRequestKey(event) : null));
  const toolSpansByCallId = indexBy(all, (event) => (event.kind === 'tool_call' && event.toolCallId ? event.toolCallId : null));
  const traceRoots = new Map<string, AuditEvent>();
  for (const event of all) {
    const known = traceRoots.get(event.traceId);
    if (event.parentSpanId === '' && (known === undefined || event.startTimeUnixNano < known.startTimeUnixNano)) {
      traceRoots.set(event.traceId, event);
    }
  }

  const placements = new Map<string, Placement>();
  const wouldCycle = (childKey: string, parentKey: string): boolean => {
    let current: string | null = parentKey;
    for (let hops = 0; current !== null && hops <= events.size; hops += 1) {
      if (current === childKey) return true;
      current = placements.get(current)?.parentKey ?? null;
    }
    return false;
  };
  const place = (key: string, placement: Placement, fallback: Placement): void => {
    placements.set(key, placement.parentKey !== null && wouldCycle(key, placement.parentKey) ? fallback : placement);
  };

  // Own parents first, so that the cycle check of the rules finds them.
  const pending: AuditEvent[] = [];
  for (const event of all) {
    const parentKey = `${event.traceId}:${event.parentSpanId}`;
    if (event.parentSpanId !== '' && events.has(parentKey)) {
      placements.set(eventKey(event), { parentKey, reason: null, orphaned: false });
    } else {
      pending.push(event);
    }
  }

  for (const event of pending) {
    const key = eventKey(event);
    const orphaned = event.parentSpanId !== '';
    const atRoot: Placement = {
      parentKey: null,
      reason: orphaned ? `parent span ${event.parentSpanId} never arrived; shown at the session root` : null,
      orphaned,
    };
    const executor = findCrossTraceExecutor(event, clientsByRequest, toolSpansByCallId);
    if (executor !== null) {
      place(key, { parentKey: eventKey(executor.parent), reason: `shown under the ${executor.reason}`, orphaned }, atRoot);
      continue;
    }
    const linked = orphaned ? undefined : event.links.find((link) => events.has(eventKey(link)) && link.traceId !== event.traceId);
    if (linked !== undefined) {
      place(key, { parentKey: eventKey(linked), reason: `shown under span ${linked.spanId}, which its span link points to`, orphaned }, atRoot);
      continue;
    }
    const root = traceRoots.get(event.traceId);
    if (orphaned && root !== undefined && root !== event) {
      const reason = `parent span ${event.parentSpanId} never arrived; shown under the root span of its trace`;
      place(key, { parentKey: eventKey(root), reason, orphaned }, atRoot);
      continue;
    }
    placements.set(key, atRoot);
  }
  return placements;
}
