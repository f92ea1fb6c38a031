import type { RequestedToolCall, StepKind } from '../../../schemas/audit-event.ts';

/** What one convention's reader learned from a span; undefined where the span says nothing. */
export interface StepFacts {
  kind?: StepKind | undefined;
  operation?: string | undefined;
  agentId?: string | undefined;
  agentName?: string | undefined;
  model?: string | undefined;
  provider?: string | undefined;
  toolName?: string | undefined;
  toolCallId?: string | undefined;
  mcpMethod?: string | undefined;
  mcpSessionId?: string | undefined;
  resourceUri?: string | undefined;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  principalId?: string | undefined;
  rpcRequestId?: string | undefined;
  /** Tool calls the model asked for; undefined when the span carries no output messages. */
  requestedToolCalls?: RequestedToolCall[] | undefined;
  /** Attribute keys whose JSON value was cut mid-value by the sender. */
  cutAttributes?: string[] | undefined;
  /** True when the span reports a failure its status code does not show. */
  failed?: boolean | undefined;
}

/** Merges facts, earlier sources winning field by field. */
export function mergeFacts(...sources: StepFacts[]): StepFacts {
  const merged: StepFacts = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source) as [keyof StepFacts, StepFacts[keyof StepFacts]][]) {
      if (value !== undefined && merged[key] === undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}
