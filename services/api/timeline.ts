import type { AuditEvent } from '../../schemas/audit-event.ts';
import type { Step } from '../../schemas/api.ts';
import { formatUnixNano } from './time-format.ts';
import { eventKey, placeEvents, type Placement } from './timeline-placement.ts';
import { linkToolCalls, type ToolCallLinks } from './tool-call-links.ts';
import type { AuditLogEvent } from '../shared/normalize/logs.ts';
import { foldLogEvents, type LogFold } from './timeline-logs.ts';

function toStep(event: AuditEvent, depth: number, agent: string | null, placement: Placement): Step {
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
    orphaned: placement.orphaned,
    operation: event.operation || null,
    convention: event.convention,
  };
  if (event.conventions.length > 0) step.conventions = event.conventions;
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
  if (event.truncatedAttributes.length > 0) {
    step.truncatedAttributes = event.truncatedAttributes;
    addNote(step, `attribute values cut (by the sender or at the storage cap): ${event.truncatedAttributes.join(', ')}`);
  }
  if (placement.reason !== null && placement.parentKey !== null) {
    const [traceId = '', spanId = ''] = placement.parentKey.split(':');
    step.placedUnder = { traceId, spanId, reason: placement.reason };
  }
  if (placement.reason !== null) addNote(step, placement.reason);
  return step;
}

function addNote(step: Step, note: string): void {
  (step.notes ??= []).push(note);
}

function pointer(event: AuditEvent): { traceId: string; spanId: string } {
  return { traceId: event.traceId, spanId: event.spanId };
}

function addToolCallFacts(step: Step, event: AuditEvent, links: ToolCallLinks): Step[] {
  const requester = links.requesterByToolStep.get(eventKey(event));
  if (requester !== undefined) step.requestedBy = pointer(requester);
  const requested = links.requestsByModelStep.get(eventKey(event));
  if (requested === undefined) return [];
  step.toolCalls = requested.map((call) => ({
    callId: call.callId,
    name: call.name,
    executed: call.executedBy.length > 0,
    executedBy: call.executedBy.map(pointer),
    ...(call.executedBy.length > 0 && call.matchedBy === 'name' ? { matchedBy: 'name' as const } : {}),
  }));
  for (const call of requested) {
    if (call.executedBy.length > 0 && call.matchedBy === 'name') {
      addNote(step, `tool call ${call.callId} matched to its execution by tool name ${call.name}: the executing span carries no call id`);
    }
  }
  // A requested call that nothing executed gets a step of its own, right
  // after the request, so that reading the steps in order shows the gap.
  return requested
    .filter((call) => call.executedBy.length === 0)
    .map((call) => ({
      ...step,
      kind: 'tool_call',
      name: `execute_tool ${call.name} (requested, not executed)`,
      operation: 'execute_tool',
      durationMs: 0,
      start: step.end,
      end: step.end,
      status: 'unset',
      depth: step.depth,
      synthetic: true,
      state: 'requested_not_executed',
      tool: { name: call.name, callId: call.callId },
      requestedBy: pointer(event),
      notes: [`the model requested tool call ${call.callId}; no span in this session executed it`],
      toolCalls: undefined,
      model: undefined,
      usage: undefined,
      provider: undefined,
      placedUnder: undefined,
      truncatedAttributes: undefined,
    }));
}

// A span without an agent id of its own inherits its ancestor's at
// normalization, so names decide. A nested agent span is the same agent when
// its name is the other's name or id. An unnamed one is never another agent.
function isSameAgent(event: AuditEvent, other: AuditEvent): boolean {
  if (event.agentName === '') return event.agentId === '' || event.agentId === other.agentId;
  return event.agentName === other.agentName || event.agentName === other.agentId;
}

interface Frame {
  event: AuditEvent;
  depth: number;
  inheritedAgent: string | null;
  agentAncestor: AuditEvent | null;
  /** Nanoseconds added to this span's times for ordering, so that it starts no earlier than its parent. */
  shiftNs: bigint;
  parent: AuditEvent | null;
  previousAgentSibling: AuditEvent | null;
}

/**
 * Orders a session's events as a depth-first walk of the span trees, so
 * every parent comes before its children. Spans from several traces are
 * merged; where a span cannot go under its own parent, timeline-placement
 * decides where it goes and the step records why. Siblings are ordered by
 * start time, after correcting for clock skew. A child that starts before
 * its parent is shifted, with all its descendants, to the parent's start
 * for ordering only. `start` and `end` stay as received, and the step
 * carries the correction. A step's agent is its own agent name or that of
 * its nearest agent ancestor.
 */
export function buildTimeline(spanEvents: readonly AuditEvent[], logEvents: readonly AuditLogEvent[] = []): Step[] {
  const fold = foldLogEvents(spanEvents, logEvents);
  const byKey = new Map<string, AuditEvent>();
  for (const event of fold.events) byKey.set(eventKey(event), event);
  const placements = placeEvents(byKey);
  const links = linkToolCalls(byKey.values());

  const children = new Map<string, AuditEvent[]>();
  const roots: AuditEvent[] = [];
  for (const [key, event] of byKey) {
    const parentKey = placements.get(key)?.parentKey ?? null;
    if (parentKey === null) {
      roots.push(event);
      continue;
    }
    const siblings = children.get(parentKey) ?? [];
    siblings.push(event);
    children.set(parentKey, siblings);
  }

  const steps: Step[] = [];
  const visited = new Set<string>();
  // An explicit stack instead of recursion, so a deep chain of spans cannot
  // overflow the call stack. Steps that no span stands for wait on the
  // stack below their request's children, so they follow its subtree.
  const walk = (root: AuditEvent): void => {
    const stack: (Frame | Step[])[] = [
      { event: root, depth: 0, inheritedAgent: null, agentAncestor: null, shiftNs: 0n, parent: null, previousAgentSibling: null },
    ];
    while (stack.length > 0) {
      const frame = stack.pop()!;
      if (Array.isArray(frame)) {
        steps.push(...frame);
        continue;
      }
      const { event, depth } = frame;
      const key = eventKey(event);
      if (visited.has(key)) continue;
      visited.add(key);

      const agent = event.agentName || event.agentId || frame.inheritedAgent;
      const placement = placements.get(key) ?? { parentKey: null, reason: null, orphaned: false };
      const step = toStep(event, depth, agent, placement);
      const shiftNs = frame.parent === null ? frame.shiftNs : correctClockSkew(step, event, frame.parent, frame.shiftNs);
      if (event.kind === 'agent') describeAgentRelation(step, event, frame);
      describeLogFacts(step, key, fold);
      const notExecuted = addToolCallFacts(step, event, links);
      if (event.links.length > 0) {
        step.links = event.links.map((link) => ({ ...link, inSession: byKey.has(eventKey(link)) }));
      }
      steps.push(step);
      if (notExecuted.length > 0) stack.push(notExecuted);

      const isAgent = event.kind === 'agent' && (event.agentName !== '' || event.agentId !== '');
      const agentAncestor = isAgent ? event : frame.agentAncestor;
      const ordered = orderSiblings(children.get(key) ?? [], shiftNs, event, links);
      const childFrames: Frame[] = [];
      let previousAgent: AuditEvent | null = null;
      for (const child of ordered) {
        childFrames.push({
          event: child,
          depth: depth + 1,
          inheritedAgent: agent,
          agentAncestor,
          shiftNs,
          parent: event,
          previousAgentSibling: previousAgent,
        });
        if (child.kind === 'agent') previousAgent = child;
      }
      for (const child of childFrames.reverse()) stack.push(child);
    }
  };
  for (const root of orderSiblings(roots, 0n, null, links)) walk(root);
  // Spans whose parent links form a cycle have no root; show them rather than drop them.
  for (const event of orderSiblings([...byKey.values()], 0n, null, links)) walk(event);
  return steps;
}

interface SiblingOrder {
  start: bigint;
  tieEnd: bigint;
  followsRequester: boolean;
}

/**
 * Sorts siblings by start time, after the clock skew shift, and a child that
 * starts before its parent counts as starting with it. SDKs that keep
 * millisecond start times give sequential siblings the same start. Then the
 * one that ended first most likely ran first, and a tool call sorts right
 * after the model request that requested it, whatever their durations. Each
 * span gets its sort key up front so that the order is consistent for any
 * input order.
 */
function orderSiblings(
  siblings: readonly AuditEvent[],
  shiftNs: bigint,
  parent: AuditEvent | null,
  links: ToolCallLinks,
): AuditEvent[] {
  const floor = parent === null ? null : parent.startTimeUnixNano + shiftNs;
  const startOf = (event: AuditEvent): bigint => {
    const shifted = event.startTimeUnixNano + shiftNs;
    return floor !== null && shifted < floor ? floor : shifted;
  };
  const members = new Set(siblings);
  const orders = new Map<AuditEvent, SiblingOrder>();
  for (const event of siblings) {
    const requester = links.requesterByToolStep.get(eventKey(event));
    const followsRequester = requester !== undefined
      && members.has(requester)
      && requester.startTimeUnixNano === event.startTimeUnixNano
      && startOf(requester) === startOf(event);
    orders.set(event, {
      start: startOf(event),
      tieEnd: followsRequester ? requester.endTimeUnixNano : event.endTimeUnixNano,
      followsRequester,
    });
  }
  return [...siblings].sort((a, b) => {
    const orderA = orders.get(a)!;
    const orderB = orders.get(b)!;
    return compareOrdered(orderA.start, orderB.start)
      || compareOrdered(a.startTimeUnixNano, b.startTimeUnixNano)
      || compareOrdered(orderA.tieEnd, orderB.tieEnd)
      || Number(orderA.followsRequester) - Number(orderB.followsRequester)
      || compareOrdered(a.endTimeUnixNano, b.endTimeUnixNano)
      || compareOrdered(a.spanId, b.spanId);
  });
}

function compareOrdered<T extends bigint | string>(x: T, y: T): number {
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

/** Returns the shift for this span's subtree and marks the step when its clock disagrees with its parent's. */
function correctClockSkew(step: Step, event: AuditEvent, parent: AuditEvent, inheritedShiftNs: bigint): bigint {
  const parentStart = parent.startTimeUnixNano + inheritedShiftNs;
  const start = event.startTimeUnixNano + inheritedShiftNs;
  let shiftNs = inheritedShiftNs;
  if (start < parentStart) {
    const correction = parentStart - start;
    shiftNs += correction;
    const correctionMs = Number(correction) / 1e6;
    const reason = `starts ${correctionMs} ms before its parent span ${parent.spanId}; the clocks of the two services disagree`;
    step.clockSkew = { correctionMs, reason };
    step.displayStart = formatUnixNano(event.startTimeUnixNano + shiftNs);
    addNote(step, `${reason}. Ordered as if it started with its parent; start and end are as received`);
  }
  const parentEnd = parent.endTimeUnixNano + inheritedShiftNs;
  const end = event.endTimeUnixNano + shiftNs;
  if (end > parentEnd && parent.endTimeUnixNano > parent.startTimeUnixNano) {
    addNote(step, `ends ${Number(end - parentEnd) / 1e6} ms after its parent span ${parent.spanId} ends; the clocks of the two services may disagree`);
  }
  return shiftNs;
}

function describeAgentRelation(step: Step, event: AuditEvent, frame: Frame): void {
  if (event.operation === 'handoff' || /(^|\s)handoff(\s|$)/i.test(event.name)) {
    step.agentRelation = 'handoff';
    const from = frame.previousAgentSibling ?? frame.agentAncestor;
    if (from !== null) step.relatedAgent = from.agentName || from.agentId;
    return;
  }
  if (frame.agentAncestor !== null && !isSameAgent(event, frame.agentAncestor)) {
    step.agentRelation = 'sub_agent';
    step.relatedAgent = frame.agentAncestor.agentName || frame.agentAncestor.agentId;
    return;
  }
  const previous = frame.previousAgentSibling;
  if (previous !== null && event.agentName !== '' && !isSameAgent(event, previous)) {
    step.agentRelation = 'handoff';
    step.relatedAgent = previous.agentName || previous.agentId;
  }
}

function describeLogFacts(step: Step, key: string, fold: LogFold): void {
  const folded = fold.foldedBySpan.get(key);
  if (folded !== undefined) step.events = folded;
  const log = fold.standalone.get(key);
  if (log === undefined) return;
  step.signal = 'log';
  if (step.orphaned && log.spanId !== '') step.orphaned = false;
  if (log.kind === 'tool_decision') step.decision = { decision: log.decision, source: log.decisionSource || null };
}
