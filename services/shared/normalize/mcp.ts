import type { StepKind } from '../../../schemas/audit-event.ts';
import { readString, type AttributeMap } from '../otlp/attributes.ts';
import type { StepFacts } from './step-facts.ts';

// OpenTelemetry MCP conventions: spans named `{mcp.method.name} {target}`,
// CLIENT on the client and SERVER on the server.

const kindByMethod: Record<string, StepKind> = {
  'tools/call': 'tool_call',
  'resources/read': 'data_access',
  'prompts/get': 'data_access',
};

export function hasMcpAttributes(attributes: AttributeMap): boolean {
  return attributes.has('mcp.method.name');
}

export function readMcpFacts(spanName: string, attributes: AttributeMap): StepFacts {
  const method = readString(attributes, 'mcp.method.name');
  if (method === undefined) return {};
  const target = spanName.startsWith(`${method} `) ? spanName.slice(method.length + 1) : '';

  return {
    kind: kindByMethod[method],
    operation: readString(attributes, 'gen_ai.operation.name') ?? method,
    mcpMethod: method,
    mcpSessionId: readString(attributes, 'mcp.session.id'),
    toolName: method === 'tools/call' ? (readString(attributes, 'gen_ai.tool.name') ?? (target || undefined)) : undefined,
    toolCallId: readString(attributes, 'gen_ai.tool.call.id'),
    resourceUri: readString(attributes, 'mcp.resource.uri') ?? (method === 'prompts/get' ? target || undefined : undefined),
    // A tool that fails inside a successful JSON-RPC response is still a failed call.
    failed: readString(attributes, 'error.type') === 'tool_error' ? true : undefined,
  };
}
