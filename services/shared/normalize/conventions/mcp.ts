import { readString } from '../../otlp/attributes.ts';
import type { StepFacts } from '../step-facts.ts';
import type { ConventionMapping, SpanView } from './mapping.ts';

// OpenTelemetry MCP conventions: spans named `{mcp.method.name} {target}`,
// CLIENT on the client and SERVER on the server. `jsonrpc.request.id` is
// the RPC id, not the model's tool call id; with `mcp.session.id` it ties a
// client span to the server span of the same request. A tool that fails
// inside a successful JSON-RPC response sets `error.type=tool_error`, and
// that still counts as a failed call.

function readMcpSpan(span: SpanView): StepFacts {
  const method = readString(span.attributes, 'mcp.method.name');
  if (method === undefined) return {};
  const target = span.name.startsWith(`${method} `) ? span.name.slice(method.length + 1) : '';
  const errorType = readString(span.attributes, 'error.type');
  return {
    operation: readString(span.attributes, 'gen_ai.operation.name') ?? method,
    mcpMethod: method,
    toolName: method === 'tools/call' ? (readString(span.attributes, 'gen_ai.tool.name') ?? (target || undefined)) : undefined,
    resourceUri: method === 'prompts/get' && target ? target : undefined,
    failed: errorType === 'tool_error' || readString(span.attributes, 'rpc.response.status_code') === 'tool_error' ? true : undefined,
  };
}

export const mcp: ConventionMapping = {
  name: 'mcp',
  detect: (span) => span.attributes.has('mcp.method.name'),
  kinds: {
    attribute: 'mcp.method.name',
    values: {
      'tools/call': 'tool_call',
      'resources/read': 'data_access',
      'prompts/get': 'data_access',
      'elicitation/create': 'approval',
    },
  },
  strings: {
    mcpSessionId: ['mcp.session.id'],
    rpcRequestId: ['jsonrpc.request.id'],
    toolCallId: ['gen_ai.tool.call.id'],
    resourceUri: ['mcp.resource.uri'],
  },
  read: readMcpSpan,
};
