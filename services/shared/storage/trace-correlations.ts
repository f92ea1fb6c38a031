import type { AuditEvent } from '../../../schemas/audit-event.ts';
import { toDateTime64Text } from './clickhouse.ts';

// Keys that tie traces together when no session attribute does. A span
// emits a key for each id it shares with spans of other traces: the MCP
// request it belongs to, the tool call id it executed or requested, and the
// traces its links point to. Links are filed both ways, so either trace
// finds the other.

export function mcpRequestCorrelationKey(mcpSessionId: string, rpcRequestId: string): string {
  return `mcp:${mcpSessionId}:${rpcRequestId}`;
}

export function toolCallCorrelationKey(toolCallId: string): string {
  return `tool_call:${toolCallId}`;
}

export function traceCorrelationKey(traceId: string): string {
  return `trace:${traceId}`;
}

/** Returns the keys under which other traces can find this event's trace. */
export function correlationKeysOf(event: AuditEvent): string[] {
  const keys: string[] = [];
  if (event.mcpSessionId && event.rpcRequestId) keys.push(mcpRequestCorrelationKey(event.mcpSessionId, event.rpcRequestId));
  if (event.kind === 'tool_call' && event.toolCallId) keys.push(toolCallCorrelationKey(event.toolCallId));
  for (const call of event.requestedToolCalls) keys.push(toolCallCorrelationKey(call.id));
  for (const link of event.links) if (link.traceId !== event.traceId) keys.push(traceCorrelationKey(link.traceId));
  return keys;
}

/** Builds one row per (key, trace) in the batch. */
export function toTraceCorrelationRows(events: readonly AuditEvent[]): Record<string, unknown>[] {
  const rows = new Map<string, Record<string, unknown>>();
  const add = (key: string, traceId: string, start: bigint): void => {
    const id = `${key}\u0000${traceId}`;
    if (!rows.has(id)) rows.set(id, { CorrelationKey: key, TraceId: traceId, StartTime: toDateTime64Text(start) });
  };
  for (const event of events) {
    for (const key of correlationKeysOf(event)) add(key, event.traceId, event.startTimeUnixNano);
    // The linked trace is filed under this trace's key, so a read of this
    // trace's session also finds the trace it links to.
    for (const link of event.links) {
      if (link.traceId !== event.traceId) add(traceCorrelationKey(event.traceId), link.traceId, event.startTimeUnixNano);
    }
  }
  return [...rows.values()];
}
