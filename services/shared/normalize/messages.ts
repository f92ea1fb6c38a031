import { Allow, parse as parsePartialJson } from 'partial-json';
import type { RequestedToolCall } from '../../../schemas/audit-event.ts';
import { toJsonNative, type AttributeMap } from '../otlp/attributes.ts';

// Model messages arrive in many shapes: GenAI `parts` with `tool_call`
// entries, OpenAI `tool_calls` with a `function`, Anthropic `tool_use`
// blocks, the AI SDK's `toolCallId`/`toolName` objects, and flattened
// attribute lists with indexes in the keys. Each reader here finds the tool
// calls a model asked for, with the ids that the executing tool spans carry.

export interface ParsedJson {
  value: unknown;
  /** True when the text ended mid-value and was completed as far as it went. */
  cut: boolean;
}

/** Parses JSON text, completing text that an exporter cut at a length limit; undefined when it is not JSON. */
export function parseJsonText(text: string): ParsedJson | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return { value: JSON.parse(trimmed), cut: false };
  } catch {
    // Falls through to the partial parser, which keeps every complete member.
  }
  try {
    return { value: parsePartialJson(trimmed, Allow.ALL), cut: true };
  } catch {
    return undefined;
  }
}

/** Reads an attribute that holds JSON, as a structured AnyValue or as a JSON string. */
export function readJsonAttribute(attributes: AttributeMap, key: string): ParsedJson | undefined {
  const value = attributes.get(key);
  if (value === undefined) return undefined;
  if ('stringValue' in value) return parseJsonText(value.stringValue);
  if ('arrayValue' in value || 'kvlistValue' in value) return { value: toJsonNative(value), cut: false };
  return undefined;
}

const toolCallTypes = new Set(['tool_call', 'function', 'tool_use', 'function_call', 'tool-call']);

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function readToolCall(object: Record<string, unknown>): RequestedToolCall | undefined {
  const fn = object['function'];
  const functionName = fn !== null && typeof fn === 'object' ? asText((fn as Record<string, unknown>)['name']) : undefined;
  const id = asText(object['toolCallId']) ?? asText(object['tool_call_id']) ?? asText(object['call_id']) ?? asText(object['id']);
  const name = asText(object['toolName']) ?? functionName ?? asText(object['name']);
  if (id === undefined || name === undefined) return undefined;
  const type = asText(object['type']) ?? asText(object['toolCallType']);
  // An object with an id and a name is a tool call only when it says so: by
  // its type, by the AI SDK's toolCallId key, or by an OpenAI `function`.
  if ((type !== undefined && toolCallTypes.has(type)) || 'toolCallId' in object || functionName !== undefined) {
    return { id, name };
  }
  return undefined;
}

const maxDepth = 12;

/** Finds every tool call in a parsed message value, in document order, each id once. */
export function collectToolCalls(value: unknown): RequestedToolCall[] {
  const calls: RequestedToolCall[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > maxDepth || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const object = node as Record<string, unknown>;
    const call = readToolCall(object);
    if (call !== undefined) {
      if (!seen.has(call.id)) {
        seen.add(call.id);
        calls.push(call);
      }
      // Arguments may hold anything, including objects that look like calls.
      return;
    }
    for (const child of Object.values(object)) visit(child, depth + 1);
  };
  visit(value, 0);
  return calls;
}

/** Reads tool calls from an attribute holding output messages; the flag says the value was cut. */
export function readToolCallsAttribute(attributes: AttributeMap, key: string): { calls: RequestedToolCall[]; cut: boolean } | undefined {
  const parsed = readJsonAttribute(attributes, key);
  if (parsed === undefined) return undefined;
  return { calls: collectToolCalls(parsed.value), cut: parsed.cut };
}

/**
 * Reads tool calls from flattened attributes such as
 * `gen_ai.completion.0.tool_calls.1.id`. The pattern captures the message
 * index, the call index and the field; `fields` says which captured field
 * names hold the id and the name.
 */
export function collectIndexedToolCalls(
  attributes: AttributeMap,
  pattern: RegExp,
  fields: { id: readonly string[]; name: readonly string[] },
): RequestedToolCall[] {
  const partial = new Map<string, { id?: string; name?: string; order: [number, number] }>();
  for (const [key, value] of attributes) {
    const match = pattern.exec(key);
    if (match === null || !('stringValue' in value)) continue;
    const [, messageIndex = '0', callIndex = '0', field = ''] = match;
    const slot = `${messageIndex}.${callIndex}`;
    const entry = partial.get(slot) ?? { order: [Number(messageIndex), Number(callIndex)] as [number, number] };
    if (fields.id.includes(field)) entry.id = value.stringValue;
    if (fields.name.includes(field)) entry.name = value.stringValue;
    partial.set(slot, entry);
  }
  return [...partial.values()]
    .filter((entry): entry is { id: string; name: string; order: [number, number] } => Boolean(entry.id && entry.name))
    .sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1])
    .map(({ id, name }) => ({ id, name }));
}
