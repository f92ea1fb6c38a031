import {
  AuditAttribute,
  AuditAttributesSchema,
  type AuditAttributes,
  type DataOperation,
} from '../../../schemas/audit-convention.ts';
import type { ApprovalFacts, AuditFacts } from '../../../schemas/audit-facts.ts';
import type { AnyValue } from '../../../schemas/otlp.ts';
import { readString, toJsonNative, type AttributeMap } from '../otlp/attributes.ts';

// Authority, data and approval facts of one span: the audit attribute
// convention first, then what the public conventions already record (user.id,
// db.*, url.*, file.*, aws.s3.*, mcp.resource.uri, AI SDK tool approvals).

function nativeValue(value: AnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  const native = toJsonNative(value);
  // Array attributes sometimes arrive as JSON strings from SDKs that only
  // export scalar attributes.
  if (typeof native === 'string' && native.startsWith('[')) {
    try {
      return JSON.parse(native) as unknown;
    } catch {
      return native;
    }
  }
  return native;
}

/** Validates the audit.* attributes one by one, so one bad value drops only itself. */
function readAuditAttributes(span: AttributeMap, resource: AttributeMap): { values: AuditAttributes; invalid: string[] } {
  const shape = AuditAttributesSchema.shape;
  const values: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const raw = nativeValue(span.get(key) ?? resource.get(key));
    if (raw === undefined) continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else invalid.push(key);
  }
  return { values: values as AuditAttributes, invalid };
}

function firstString(attributes: AttributeMap, keys: readonly string[]): string {
  for (const key of keys) {
    const value = readString(attributes, key);
    if (value) return value;
  }
  return '';
}

const operationByDbVerb: Record<string, DataOperation> = {
  SELECT: 'read',
  FIND: 'read',
  GET: 'read',
  INSERT: 'write',
  UPDATE: 'write',
  UPSERT: 'write',
  SET: 'write',
  DELETE: 'delete',
};

const operationByHttpMethod: Record<string, DataOperation> = {
  GET: 'read',
  HEAD: 'read',
  POST: 'send',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
};

/** Resources the public conventions name, with the operation they imply. */
function harvestResources(span: AttributeMap): { resources: string[]; operation: string } {
  const resources: string[] = [];
  let operation = '';

  const dbSystem = firstString(span, ['db.system.name', 'db.system']);
  if (dbSystem) {
    const target = [readString(span, 'db.namespace'), readString(span, 'db.collection.name')].filter(Boolean).join('.');
    resources.push(target ? `${dbSystem}:${target}` : dbSystem);
    const verb = firstString(span, ['db.operation.name', 'db.operation']).toUpperCase().split(/\s/, 1)[0] ?? '';
    operation = operationByDbVerb[verb] ?? '';
  }
  const url = firstString(span, ['url.full', 'http.url']);
  if (url) {
    resources.push(url.replace(/\?.*$/, ''));
    operation ||= operationByHttpMethod[firstString(span, ['http.request.method', 'http.method']).toUpperCase()] ?? '';
  }
  const file = readString(span, 'file.path');
  if (file) resources.push(`file://${file}`);
  const bucket = readString(span, 'aws.s3.bucket');
  if (bucket) resources.push(`s3://${bucket}/${readString(span, 'aws.s3.key') ?? ''}`);
  const mcpResource = readString(span, 'mcp.resource.uri');
  if (mcpResource) {
    resources.push(mcpResource);
    operation ||= 'read';
  }
  const dataSource = readString(span, 'gen_ai.data_source.id');
  if (dataSource) {
    resources.push(dataSource);
    operation ||= 'read';
  }
  const destination = readString(span, 'messaging.destination.name');
  if (destination) {
    resources.push(`topic:${destination}`);
    operation ||= 'send';
  }
  return { resources: [...new Set(resources)], operation };
}

interface MessagePart {
  type?: unknown;
  approval_id?: unknown;
  approvalId?: unknown;
  approved?: unknown;
  reason?: unknown;
  tool_call_id?: unknown;
  toolCallId?: unknown;
}

function readMessageParts(attributes: AttributeMap, key: string): MessagePart[] {
  const messages = nativeValue(attributes.get(key));
  let parsed: unknown = messages;
  if (typeof messages === 'string') {
    try {
      parsed = JSON.parse(messages) as unknown;
    } catch {
      return [];
    }
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((message: { parts?: unknown }) => (Array.isArray(message?.parts) ? (message.parts as MessagePart[]) : []));
}

/**
 * The AI SDK records a human decision on a tool call as a
 * `tool_approval_response` part in the next model request's input messages,
 * and the request for it as a `tool_approval_request` part, carrying the
 * tool call id, in the output messages of the model request before.
 */
function readAiSdkApprovals(span: AttributeMap): ApprovalFacts[] {
  const requests = new Map<string, string>();
  for (const part of [...readMessageParts(span, 'gen_ai.output.messages'), ...readMessageParts(span, 'gen_ai.input.messages')]) {
    if (part.type !== 'tool_approval_request') continue;
    const approvalId = String(part.approval_id ?? part.approvalId ?? '');
    const toolCallId = String(part.tool_call_id ?? part.toolCallId ?? '');
    if (approvalId) requests.set(approvalId, toolCallId);
  }
  const approvals: ApprovalFacts[] = [];
  for (const part of readMessageParts(span, 'gen_ai.input.messages')) {
    if (part.type !== 'tool_approval_response') continue;
    const approvalId = String(part.approval_id ?? part.approvalId ?? '');
    approvals.push({
      approvalId,
      required: true,
      policyRule: '',
      requestedAt: '',
      decision: part.approved === true ? 'granted' : 'denied',
      decidedBy: '',
      decidedAt: '',
      reason: typeof part.reason === 'string' ? part.reason : '',
      toolCallId: requests.get(approvalId) ?? '',
      toolName: '',
      toolArguments: '',
      source: 'ai_sdk',
    });
  }
  return approvals;
}

function readConventionApproval(values: AuditAttributes): ApprovalFacts | null {
  const present = Object.keys(values).some((key) => key.startsWith('audit.approval.'));
  if (!present) return null;
  return {
    approvalId: values[AuditAttribute.approvalId] ?? '',
    required: values[AuditAttribute.approvalRequired] ?? null,
    policyRule: values[AuditAttribute.approvalPolicyRule] ?? '',
    requestedAt: values[AuditAttribute.approvalRequestedAt] ?? '',
    decision: values[AuditAttribute.approvalDecision] ?? '',
    decidedBy: values[AuditAttribute.approvalDecidedBy] ?? '',
    decidedAt: values[AuditAttribute.approvalDecidedAt] ?? '',
    reason: values[AuditAttribute.approvalReason] ?? '',
    toolCallId: values[AuditAttribute.approvalToolCallId] ?? '',
    toolName: values[AuditAttribute.approvalToolName] ?? '',
    toolArguments: values[AuditAttribute.approvalToolArguments] ?? '',
    source: 'audit',
  };
}

/** Reads the authority, data and approval facts of a span and its resource. */
export function readAuditFacts(span: AttributeMap, resource: AttributeMap): AuditFacts {
  const { values, invalid } = readAuditAttributes(span, resource);
  const harvested = harvestResources(span);
  const declared = values[AuditAttribute.dataResource];
  const declaredResources = declared === undefined ? [] : Array.isArray(declared) ? declared : [declared];

  const approvals = readAiSdkApprovals(span);
  const conventionApproval = readConventionApproval(values);
  if (conventionApproval) approvals.unshift(conventionApproval);

  return {
    authority: {
      principalId:
        values[AuditAttribute.principalId] ?? (firstString(span, ['user.id', 'enduser.id']) || firstString(resource, ['user.id', 'enduser.id'])),
      principalType: values[AuditAttribute.principalType] ?? '',
      agentId: values[AuditAttribute.agentId] ?? '',
      agentOwner: values[AuditAttribute.agentOwner] ?? '',
      environment: firstString(resource, ['deployment.environment.name', 'deployment.environment']),
      credentialType: values[AuditAttribute.credentialType] ?? '',
      credentialId: values[AuditAttribute.credentialId] ?? '',
      credentialLifetime: values[AuditAttribute.credentialLifetime] ?? '',
      credentialScopes: values[AuditAttribute.credentialScopes] ?? [],
      delegationChain: values[AuditAttribute.delegationChain] ?? [],
    },
    data: {
      resources: [...new Set([...declaredResources, ...harvested.resources])],
      operation: values[AuditAttribute.dataOperation] ?? harvested.operation,
      count: values[AuditAttribute.dataCount] ?? null,
      classification: values[AuditAttribute.dataClassification] ?? '',
    },
    approvals,
    invalidAttributes: invalid,
  };
}
