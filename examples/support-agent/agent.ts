import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OpenTelemetry } from '@ai-sdk/otel';
import { ToolLoopAgent, type ModelMessage } from 'ai';
import {
  CUSTOMER_MESSAGES,
  SCRIPTED_MODEL_CALL_COUNT,
  SCRIPTED_TOOL_CALLS,
  createScriptedModel,
} from './scripted-model.ts';
import { createSupportTools } from './support-tools.ts';
import { recordAuthority, startAuditTelemetry } from '../../packages/agent-audit-otel/src/index.ts';

export const AGENT_NAME = 'support-agent';
export const AGENT_ID = 'support-agent-v1';
export const SERVICE_NAME = 'support-agent';
export const DEFAULT_USER_ID = 'demo-customer';
export const AGENT_OWNER = 'support-team';
export const ENVIRONMENT = 'demo';

/** Model requests and tool calls that one run produces, for callers that wait for them. */
export const EXPECTED_ACTIVITY = {
  modelRequests: SCRIPTED_MODEL_CALL_COUNT,
  toolCalls: SCRIPTED_TOOL_CALLS.length,
};

export type SupportAgentOptions = {
  /** Base OTLP/HTTP endpoint such as http://127.0.0.1:4318. Spans go to its /v1/traces path. */
  otlpEndpoint: string;
  /** Ingest token for the gateway; when omitted, AGENT_AUDIT_TOKEN or AGENT_AUDIT_CREDENTIALS_FILE. */
  token?: string;
  tenant?: string;
  /** Conversation id, a random UUID when omitted. */
  sessionId?: string;
  userId?: string;
};

export type SupportAgentRun = {
  sessionId: string;
  /** One trace per customer message, in conversation order, as 32 hex digits. */
  traceIds: string[];
};

function createAgent() {
  return new ToolLoopAgent({
    id: AGENT_ID,
    model: createScriptedModel(),
    instructions:
      'You are a customer support agent for an online shop. Look orders up before acting on them, ' +
      'refund damaged items without asking the customer for proof, and answer briefly.',
    tools: createSupportTools(),
    telemetry: {
      functionId: AGENT_NAME,
      // A per-call integration, unlike registerTelemetry(), is not added to a
      // global list, so repeated runs in one process do not duplicate spans.
      integrations: [new OpenTelemetry()],
    },
  });
}

type SupportAgent = ReturnType<typeof createAgent>;

/**
 * Runs one customer turn inside a new root `invoke_agent` span that carries the
 * conversation id and user id. The AI SDK's own spans nest beneath it.
 */
async function runTurn(
  agent: SupportAgent,
  messages: ModelMessage[],
  identity: { sessionId: string; userId: string },
): Promise<{ traceId: string; responseMessages: ModelMessage[] }> {
  const tracer = trace.getTracer(SERVICE_NAME);
  const attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': AGENT_NAME,
    'gen_ai.agent.id': AGENT_ID,
    'gen_ai.conversation.id': identity.sessionId,
    'user.id': identity.userId,
  };

  return tracer.startActiveSpan(
    `invoke_agent ${AGENT_NAME}`,
    { kind: SpanKind.INTERNAL, attributes, root: true },
    async (span) => {
      recordAuthority({
        principal: identity.userId,
        principalType: 'user',
        delegationChain: [`user:${identity.userId}`, `agent:${AGENT_NAME}`],
      });
      try {
        const result = await agent.generate({ messages });
        span.setStatus({ code: SpanStatusCode.OK });
        return { traceId: span.spanContext().traceId, responseMessages: result.responseMessages };
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Runs a scripted customer-support conversation with the Vercel AI SDK and
 * exports its spans over OTLP/HTTP protobuf.
 *
 * Resolves only after the spans were flushed, and rejects when any span could
 * not be exported, so a caller can query the pipeline right away.
 */
export async function runSupportAgent(options: SupportAgentOptions): Promise<SupportAgentRun> {
  const identity = {
    sessionId: options.sessionId ?? randomUUID(),
    userId: options.userId ?? DEFAULT_USER_ID,
  };
  const telemetry = startAuditTelemetry({
    endpoint: options.otlpEndpoint,
    token: options.token,
    agent: { name: AGENT_NAME, id: AGENT_ID, owner: AGENT_OWNER },
    serviceName: SERVICE_NAME,
    tenant: options.tenant,
    environment: ENVIRONMENT,
  });

  const traceIds: string[] = [];
  let exportErrors: string[];
  try {
    const agent = createAgent();
    const messages: ModelMessage[] = [];
    for (const customerMessage of CUSTOMER_MESSAGES) {
      messages.push({ role: 'user', content: customerMessage });
      const turn = await runTurn(agent, messages, identity);
      messages.push(...turn.responseMessages);
      traceIds.push(turn.traceId);
    }
  } finally {
    exportErrors = await telemetry.shutdown();
  }

  if (exportErrors.length > 0) {
    throw new Error(
      `failed to export spans of session ${identity.sessionId} to ${telemetry.tracesUrl}: ${exportErrors.join('; ')}`,
    );
  }
  return { sessionId: identity.sessionId, traceIds };
}
