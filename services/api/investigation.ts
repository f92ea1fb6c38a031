import type { AuditEvent } from '../../schemas/audit-event.ts';
import type { ApprovalFacts } from '../../schemas/audit-facts.ts';
import type { Step } from '../../schemas/api.ts';
import type { ApprovalRecord, Authority, DataAccess, Finding } from '../../schemas/investigation.ts';
import type { Policy } from '../shared/policy.ts';
import { findIdentityMismatches } from './findings/identity-mismatch.ts';
import { assessSession, type FindingStep } from './findings/index.ts';
import { readModelOutput, readUserRequest, summarize } from './intent.ts';
import { parseRfc3339 } from './time-format.ts';

// Adds the investigator's four facts (intent, authority, data, approval) to
// the steps of a timeline, and computes the session's findings.

function key(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

function toAuthority(event: AuditEvent): Authority {
  const { authority } = event.facts;
  return {
    principal: event.principalId || null,
    principalType: authority.principalType || null,
    agentId: event.agentId || null,
    agentOwner: authority.agentOwner || null,
    environment: authority.environment || null,
    credential:
      authority.credentialType || authority.credentialId
        ? {
            type: authority.credentialType || 'unknown',
            id: authority.credentialId || null,
            lifetime: authority.credentialLifetime || null,
            scopes: authority.credentialScopes,
          }
        : null,
    delegationChain: authority.delegationChain,
  };
}

function toDataAccess(event: AuditEvent): DataAccess {
  const { data } = event.facts;
  const resources = data.resources.length > 0 ? data.resources : event.resourceUri ? [event.resourceUri] : [];
  return {
    resources,
    operation: data.operation || null,
    count: data.count,
    classification: data.classification || null,
  };
}

function toApprovalRecord(approval: ApprovalFacts, spanId: string): ApprovalRecord {
  return {
    approvalId: approval.approvalId || null,
    decision: approval.decision,
    decidedBy: approval.decidedBy || null,
    decidedAt: approval.decidedAt || null,
    requestedAt: approval.requestedAt || null,
    policyRule: approval.policyRule || null,
    reason: approval.reason || null,
    toolCallId: approval.toolCallId || null,
    toolName: approval.toolName || null,
    toolArguments: approval.toolArguments || null,
    source: approval.source,
    recordedOnSpanId: spanId,
  };
}

function hasAuthority(authority: Authority): boolean {
  return Boolean(authority.principal || authority.agentId || authority.credential || authority.delegationChain.length > 0);
}

/** Start time of a step for the rules: the display-corrected start, so causality holds under clock skew. */
function startOf(step: Step): bigint {
  try {
    return parseRfc3339(step.start);
  } catch {
    return 0n;
  }
}

export interface InvestigationInput {
  events: readonly AuditEvent[];
  steps: Step[];
  policy: Policy;
}

/** Steps whose message attributes the intent needs: the first model request or agent step, and each tool call's requester. */
export function spansNeedingMessages(steps: readonly Step[]): string[] {
  const needed = new Set<string>();
  const firstModel = steps.find((step) => step.kind === 'model_request');
  const firstAgent = steps.find((step) => step.kind === 'agent');
  if (firstModel) needed.add(firstModel.spanId);
  if (firstAgent) needed.add(firstAgent.spanId);
  for (const step of steps) if (step.requestedBy) needed.add(step.requestedBy.spanId);
  return [...needed];
}

/**
 * Adds authority, data, approval and intent to each step in place and
 * returns the session's findings. `messages` maps span ids to the message
 * attributes read for intent; `fullContent` keeps whole texts instead of
 * summaries.
 */
export function investigateSession(
  { events, steps, policy }: InvestigationInput,
  messages: ReadonlyMap<string, Record<string, string>>,
  fullContent: boolean,
): Finding[] {
  const eventBySpan = new Map(events.map((event) => [key(event.traceId, event.spanId), event]));
  const shorten = fullContent ? (text: string | null) => text : summarize;

  const firstWithRequest = steps.find((step) => step.kind === 'agent' && messages.has(step.spanId) && readUserRequest(messages.get(step.spanId)!))
    ?? steps.find((step) => step.kind === 'model_request' && messages.has(step.spanId));
  const request = firstWithRequest ? readUserRequest(messages.get(firstWithRequest.spanId)!) : null;

  // Steps come parents first, so an ancestor's principal and agent id are
  // known before its descendants inherit them.
  const inheritedBySpan = new Map<string, { principal: string | null; agentId: string | null }>();
  const findingSteps: FindingStep[] = [];
  for (const step of steps) {
    const event = eventBySpan.get(key(step.traceId, step.spanId));
    if (event === undefined) continue;
    const parent = step.parentSpanId === null ? undefined : inheritedBySpan.get(key(step.traceId, step.parentSpanId));
    const authority = toAuthority(event);
    authority.principal ??= parent?.principal ?? null;
    authority.agentId ??= parent?.agentId ?? null;
    inheritedBySpan.set(key(step.traceId, step.spanId), { principal: authority.principal, agentId: authority.agentId });
    const data = toDataAccess(event);
    const approvals = event.facts.approvals.map((approval) => toApprovalRecord(approval, step.spanId));
    if (hasAuthority(authority)) step.authority = authority;
    if (data.resources.length > 0 || data.classification) step.data = data;
    if (approvals.length > 0) step.approvals = approvals;
    if (event.facts.invalidAttributes.length > 0) step.invalidAuditAttributes = event.facts.invalidAttributes;

    if (step.kind === 'tool_call' || step.kind === 'data_access' || step.kind === 'agent') {
      const requester = step.requestedBy?.spanId ?? null;
      const decisionText = requester && messages.has(requester) ? readModelOutput(messages.get(requester)!) : null;
      step.intent = { request: shorten(request), decision: shorten(decisionText), decisionSpanId: requester };
    }

    findingSteps.push({
      spanId: step.spanId,
      traceId: step.traceId,
      parentSpanId: step.parentSpanId,
      kind: step.kind,
      name: step.name,
      startUnixNano: startOf(step),
      agent: step.agent,
      // A tool the model asked for but never ran is not an action; the rules skip it.
      tool: step.tool && step.state !== 'requested_not_executed' ? step.tool : null,
      authority,
      data,
      approvals,
    });
  }

  const executed = findingSteps.filter((findingStep) => findingStep.kind !== 'tool_call' || findingStep.tool !== null);
  const { findings, approvalBySpan } = assessSession(executed, policy);
  findings.push(
    ...findIdentityMismatches(
      events.map((event) => ({
        spanId: event.spanId,
        traceId: event.traceId,
        service: event.serviceName,
        agentName: event.agentName,
        agentId: event.agentId,
        ingestPrincipal: event.ingestPrincipal ?? '',
        ingestAgent: event.ingestAgent ?? '',
      })),
    ),
  );
  const typesBySpan = new Map<string, Finding['type'][]>();
  for (const found of findings) typesBySpan.set(found.stepSpanId, [...(typesBySpan.get(found.stepSpanId) ?? []), found.type]);
  for (const step of steps) {
    const status = approvalBySpan.get(step.spanId);
    if (status) step.approval = status;
    const types = typesBySpan.get(step.spanId);
    if (types) step.findingTypes = types;
  }
  return findings;
}
