import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';

// A small agent built on the official `openai` SDK, talking to a stub of the
// Chat Completions API on 127.0.0.1. The stub's first response requests two
// tool calls; the agent runs the lookup and declines the refund, so a
// session shows one executed call and one requested but never executed.
// The second response is the final text.

export const STUB_MODEL = 'stub-orders-model';
export const AGENT_NAME = 'orders-agent';
export const EXECUTED_CALL = { id: 'call_lookup_order_1', name: 'lookup_order' };
export const DECLINED_CALL = { id: 'call_issue_refund_2', name: 'issue_refund' };

export interface ChatStub {
  baseUrl: string;
  requests: number;
  close(): Promise<void>;
}

function completion(index: number, message: object, finishReason: string): object {
  return {
    id: `chatcmpl-stub-${index}`,
    object: 'chat.completion',
    created: 1_733_333_333,
    model: `${STUB_MODEL}-2026-01-01`,
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage: { prompt_tokens: 40 + index, completion_tokens: 8, total_tokens: 48 + index },
  };
}

/** Starts the Chat Completions stub; responses alternate between the tool-call turn and the final turn. */
export async function startChatStub(): Promise<ChatStub> {
  const stub = { requests: 0 } as ChatStub;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      stub.requests += 1;
      const askForTools = stub.requests % 2 === 1;
      const message = askForTools
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [EXECUTED_CALL, DECLINED_CALL].map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: JSON.stringify({ order: 'A-1001' }) },
            })),
          }
        : { role: 'assistant', content: 'Order A-1001 shipped yesterday.' };
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(completion(stub.requests, message, askForTools ? 'tool_calls' : 'stop')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  stub.close = () => new Promise((resolve) => server.close(() => resolve()));
  return stub;
}

interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/**
 * Loads the openai SDK through require, after the instrumentation is
 * enabled: instrumentations patch modules as Node's require loads them.
 */
export function loadOpenAi(): { OpenAI: new (options: { apiKey: string; baseURL: string }) => OpenAiClient } {
  return createRequire(import.meta.url)('openai');
}

export interface OpenAiClient {
  chat: { completions: { create(body: object): Promise<{ choices: { message: ChatMessage }[] }> } };
}

/** Runs one agent turn inside an invoke_agent span carrying the conversation id. */
export async function runOpenAiAgent(client: OpenAiClient, tracer: Tracer, sessionId: string): Promise<string> {
  const attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': AGENT_NAME,
    'gen_ai.conversation.id': sessionId,
  };
  return tracer.startActiveSpan(`invoke_agent ${AGENT_NAME}`, { kind: SpanKind.INTERNAL, attributes }, async (root) => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Where is order A-1001? Refund it if it is late.' }];
    const tools = [EXECUTED_CALL, DECLINED_CALL].map((call) => ({
      type: 'function',
      function: { name: call.name, parameters: { type: 'object', properties: { order: { type: 'string' } } } },
    }));
    try {
      for (let turn = 0; turn < 4; turn += 1) {
        const response = await client.chat.completions.create({ model: STUB_MODEL, messages, tools });
        const message = response.choices[0]!.message;
        messages.push(message);
        if (!message.tool_calls?.length) return message.content ?? '';
        for (const call of message.tool_calls) {
          // The agent's policy forbids refunds without a human, so it skips that call.
          if (call.function.name === DECLINED_CALL.name) continue;
          const result = await tracer.startActiveSpan(
            `execute_tool ${call.function.name}`,
            {
              attributes: {
                'gen_ai.operation.name': 'execute_tool',
                'gen_ai.tool.name': call.function.name,
                'gen_ai.tool.call.id': call.id,
              },
            },
            async (span) => {
              span.end();
              return JSON.stringify({ order: 'A-1001', status: 'shipped' });
            },
          );
          messages.push({ role: 'tool', tool_call_id: call.id, content: result });
        }
      }
      throw new Error('the stub never gave a final answer');
    } catch (error) {
      root.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      root.end();
    }
  });
}
