import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OpenTelemetry } from '@ai-sdk/otel';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolLoopAgent, tool } from 'ai';
import { z } from 'zod';
import { CUSTOMER_MESSAGES, createScriptedModel } from '../../examples/support-agent/scripted-model.ts';

// An AI SDK agent whose tools live on an MCP server, both run with the real
// MCP TypeScript SDK over its in-memory transport. The agent side is traced
// by the AI SDK's OpenTelemetry integration and the MCP client by
// @traceloop/instrumentation-mcp. No published instrumentation traces the
// TypeScript SDK's server handlers, so the server wraps each tool call in a
// span that follows the OpenTelemetry MCP server conventions, with the
// session and JSON-RPC ids the SDK hands the handler. Trace context travels
// in the request's params._meta, as the MCP conventions describe.

export const MCP_AGENT_NAME = 'support-agent';
export const MCP_SERVER_NAME = 'orders-mcp';

function extractedContext(meta: Record<string, unknown> | undefined) {
  const carrier: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = meta?.[key];
    if (typeof value === 'string') carrier[key] = value;
  }
  return propagation.extract(context.active(), carrier);
}

/** Builds the orders MCP server; its refund tool reports an error inside a successful response. */
export function createOrdersServer(serverTracer: Tracer): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '1.0.0' });
  const traced = (
    name: string,
    extra: { sessionId?: string | undefined; requestId: string | number; _meta?: Record<string, unknown> | undefined },
    run: () => CallToolResult,
  ): CallToolResult =>
    serverTracer.startActiveSpan(
      `tools/call ${name}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': name,
          'jsonrpc.request.id': String(extra.requestId),
          ...(extra.sessionId ? { 'mcp.session.id': extra.sessionId } : {}),
        },
      },
      extractedContext(extra._meta),
      (span) => {
        const result = run();
        if (result.isError) span.setAttribute('error.type', 'tool_error');
        span.end();
        return result;
      },
    );

  server.registerTool('lookup_order', { inputSchema: { orderId: z.string() } }, ({ orderId }, extra) =>
    traced('lookup_order', extra, () => ({ content: [{ type: 'text' as const, text: JSON.stringify({ orderId, status: 'delivered' }) }] })),
  );
  server.registerTool(
    'issue_refund',
    { inputSchema: { orderId: z.string(), amountCents: z.number(), reason: z.string() } },
    (_input, extra) =>
      traced('issue_refund', extra, () => ({ isError: true, content: [{ type: 'text' as const, text: 'refunds are paused' }] })),
  );
  return server;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const meta: Record<string, string> = {};
  propagation.inject(context.active(), meta);
  const result = await client.callTool({ name, arguments: args, _meta: meta });
  const text = (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('');
  return result.isError ? `error: ${text}` : text;
}

/** Runs the first customer turn of the support conversation with its tools on the MCP server. */
export async function runMcpAgent(serverTracer: Tracer, sessionId: string): Promise<void> {
  const [server, clientTransport, serverTransport] = [createOrdersServer(serverTracer), ...InMemoryTransport.createLinkedPair()];
  await server.connect(serverTransport);
  const tracer = trace.getTracer(MCP_AGENT_NAME);
  const attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': MCP_AGENT_NAME,
    'gen_ai.conversation.id': sessionId,
  };
  await tracer.startActiveSpan(`invoke_agent ${MCP_AGENT_NAME}`, { kind: SpanKind.INTERNAL, attributes, root: true }, async (root) => {
    const client = new Client({ name: MCP_AGENT_NAME, version: '1.0.0' });
    try {
      await client.connect(clientTransport);
      const agent = new ToolLoopAgent({
        model: createScriptedModel(),
        tools: {
          lookup_order: tool({
            inputSchema: z.object({ orderId: z.string() }),
            execute: (input) => callTool(client, 'lookup_order', input),
          }),
          issue_refund: tool({
            inputSchema: z.object({ orderId: z.string(), amountCents: z.number(), reason: z.string() }),
            execute: (input) => callTool(client, 'issue_refund', input),
          }),
        },
        telemetry: { functionId: MCP_AGENT_NAME, integrations: [new OpenTelemetry()] },
      });
      await agent.generate({ messages: [{ role: 'user', content: CUSTOMER_MESSAGES[0]! }] });
      root.setStatus({ code: SpanStatusCode.OK });
    } finally {
      await client.close();
      await server.close();
      root.end();
    }
  });
}
