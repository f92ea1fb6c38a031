import { parseJsonText } from '../shared/normalize/messages.ts';

// Reads the text a model was given and the text or tool calls it answered
// with, from whichever message attributes the span's convention used.

const SUMMARY_CHARACTERS = 280;

export interface MessageText {
  role: string;
  text: string;
}

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOfContent).filter(Boolean).join('\n');
  if (content !== null && typeof content === 'object') {
    const object = content as Record<string, unknown>;
    if (typeof object['text'] === 'string') return object['text'];
    if (typeof object['content'] === 'string' && (object['type'] === 'text' || object['type'] === undefined)) return object['content'];
    const name = object['name'] ?? object['toolName'] ?? (object['function'] as Record<string, unknown> | undefined)?.['name'];
    if ((object['type'] === 'tool_call' || object['type'] === 'tool-call' || object['type'] === 'tool_use') && typeof name === 'string') {
      const args = object['arguments'] ?? object['input'] ?? object['args'];
      return `call ${name}(${typeof args === 'string' ? args : JSON.stringify(args ?? {})})`;
    }
  }
  return '';
}

/** Reads `[{role, parts | content}]` message lists, the GenAI, OpenAI and AI SDK shapes. */
function readMessageList(value: unknown): MessageText[] {
  const list = Array.isArray(value) ? value : value !== null && typeof value === 'object' && Array.isArray((value as { messages?: unknown }).messages) ? (value as { messages: unknown[] }).messages : null;
  if (list === null) return [];
  return list.flatMap((message) => {
    if (message === null || typeof message !== 'object') return [];
    const object = message as Record<string, unknown>;
    const role = typeof object['role'] === 'string' ? object['role'] : '';
    const text = textOfContent(object['parts'] ?? object['content']);
    return text ? [{ role, text }] : [];
  });
}

/** Reads flattened lists such as `gen_ai.prompt.0.role` / `gen_ai.prompt.0.content`. */
function readIndexedMessages(attributes: Record<string, string>, prefix: string, roleKey: string, contentKey: string): MessageText[] {
  const messages: MessageText[] = [];
  for (let index = 0; index < 1000; index += 1) {
    const content = attributes[`${prefix}.${index}.${contentKey}`];
    const role = attributes[`${prefix}.${index}.${roleKey}`];
    if (content === undefined && role === undefined) break;
    if (content) messages.push({ role: role ?? '', text: content });
  }
  return messages;
}

function readAttributeMessages(attributes: Record<string, string>, keys: string[]): MessageText[] {
  for (const key of keys) {
    const raw = attributes[key];
    if (raw === undefined || raw === '') continue;
    const parsed = parseJsonText(raw);
    if (parsed === undefined) return [{ role: '', text: raw }];
    const messages = readMessageList(parsed.value);
    if (messages.length > 0) return messages;
  }
  return [];
}

export function readInputMessages(attributes: Record<string, string>): MessageText[] {
  const listed = readAttributeMessages(attributes, ['gen_ai.input.messages', 'ai.prompt.messages', 'ai.prompt', 'gen_ai.prompt', 'input.value', 'traceloop.entity.input', 'langfuse.observation.input']);
  if (listed.length > 0) return listed;
  const indexed = readIndexedMessages(attributes, 'gen_ai.prompt', 'role', 'content');
  return indexed.length > 0 ? indexed : readIndexedMessages(attributes, 'llm.input_messages', 'message.role', 'message.content');
}

export function readOutputMessages(attributes: Record<string, string>): MessageText[] {
  const listed = readAttributeMessages(attributes, ['gen_ai.output.messages', 'ai.response.text', 'gen_ai.completion', 'output.value', 'traceloop.entity.output', 'langfuse.observation.output']);
  if (listed.length > 0) return listed;
  const indexed = readIndexedMessages(attributes, 'gen_ai.completion', 'role', 'content');
  return indexed.length > 0 ? indexed : readIndexedMessages(attributes, 'llm.output_messages', 'message.role', 'message.content');
}

/** The first user message, or the first message of any role when none says it is the user's. */
export function readUserRequest(attributes: Record<string, string>): string | null {
  const messages = readInputMessages(attributes);
  return (messages.find((message) => message.role === 'user') ?? messages.find((message) => message.role === ''))?.text ?? null;
}

export function readModelOutput(attributes: Record<string, string>): string | null {
  const text = readOutputMessages(attributes)
    .map((message) => message.text)
    .join('\n');
  return text === '' ? null : text;
}

export function summarize(text: string | null): string | null {
  if (text === null) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= SUMMARY_CHARACTERS ? flat : `${flat.slice(0, SUMMARY_CHARACTERS - 1)}…`;
}
