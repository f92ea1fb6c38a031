import type { AuditEvent } from '../../schemas/audit-event.ts';
import { eventKey } from './timeline-placement.ts';

// Links each tool call a model asked for (a tool_call part with an id in its
// output messages) to the spans that executed it, which carry the same id
// as gen_ai.tool.call.id or its equivalent. A request with no executing
// span in the session was never run: a denied approval, a crashed agent or
// a call the agent chose to skip.

export interface RequestedCallLink {
  callId: string;
  name: string;
  executedBy: AuditEvent[];
  /** `name` when no span carried the id and the executor was taken by tool name instead. */
  matchedBy: 'id' | 'name';
}

export interface ToolCallLinks {
  /** Per model request key: the calls it asked for. */
  requestsByModelStep: Map<string, RequestedCallLink[]>;
  /** Per executing tool span key: the model request that asked for it. */
  requesterByToolStep: Map<string, AuditEvent>;
}

function compareStart(a: AuditEvent, b: AuditEvent): number {
  if (a.startTimeUnixNano === b.startTimeUnixNano) return 0;
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
}

export function linkToolCalls(events: Iterable<AuditEvent>): ToolCallLinks {
  const all = [...events];
  const executorsByCallId = new Map<string, AuditEvent[]>();
  for (const event of all) {
    if (event.kind !== 'tool_call' || event.toolCallId === '') continue;
    const list = executorsByCallId.get(event.toolCallId) ?? [];
    list.push(event);
    executorsByCallId.set(event.toolCallId, list);
  }

  // Some instrumentations (Langfuse tool observations, OpenLLMetry's MCP
  // client spans) record no call id. A request with no executor by id takes
  // the first unclaimed tool span of the same name that starts after it.
  const withoutId = all
    .filter((event) => event.kind === 'tool_call' && event.toolCallId === '' && event.toolName !== '')
    .sort(compareStart);
  const claimed = new Set<AuditEvent>();
  const claimByName = (request: AuditEvent, name: string): AuditEvent[] => {
    const match = withoutId.find((event) => !claimed.has(event) && event.toolName === name && event.startTimeUnixNano >= request.startTimeUnixNano);
    if (match === undefined) return [];
    claimed.add(match);
    return [match];
  };

  const requestsByModelStep = new Map<string, RequestedCallLink[]>();
  const requesterByToolStep = new Map<string, AuditEvent>();
  const requests = all
    .filter((event) => event.kind === 'model_request' && event.requestedToolCalls.length > 0)
    .sort(compareStart);
  for (const event of requests) {
    const links = event.requestedToolCalls.map((call): RequestedCallLink => {
      const byId = executorsByCallId.get(call.id) ?? [];
      const matchedBy = byId.length > 0 ? 'id' : 'name';
      const executedBy = byId.length > 0 ? byId : claimByName(event, call.name);
      for (const executor of executedBy) {
        const known = requesterByToolStep.get(eventKey(executor));
        // Retried model requests may repeat an id; the earliest request is the one that asked.
        if (known === undefined || event.startTimeUnixNano < known.startTimeUnixNano) {
          requesterByToolStep.set(eventKey(executor), event);
        }
      }
      return { callId: call.id, name: call.name, executedBy, matchedBy };
    });
    requestsByModelStep.set(eventKey(event), links);
  }
  return { requestsByModelStep, requesterByToolStep };
}
