import { MockLanguageModelV4 } from 'ai/test';

type GenerateResult = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;

export const MODEL_PROVIDER = 'mock-provider';
export const MODEL_ID = 'mock-support-model';

export const ORDER_ID = 'ORD-20417';

/** Tool calls the scripted model requests, in order. */
export const SCRIPTED_TOOL_CALLS = [
  {
    toolName: 'lookup_order',
    toolCallId: 'call_lookup_order_01',
    input: { orderId: ORDER_ID },
  },
  {
    toolName: 'issue_refund',
    toolCallId: 'call_issue_refund_01',
    input: { orderId: ORDER_ID, amountCents: 2499, reason: 'item arrived damaged' },
  },
] as const;

/** Customer messages, one per agent turn. Each turn runs in its own trace. */
export const CUSTOMER_MESSAGES = [
  `Hi, my order ${ORDER_ID} arrived with a cracked mug. Can I get my money back for it?`,
  'Thanks! Will I get an email when the refund goes through?',
];

function usage(inputTokens: number, outputTokens: number): GenerateResult['usage'] {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

function requestToolCall(index: 0 | 1, inputTokens: number): GenerateResult {
  const call = SCRIPTED_TOOL_CALLS[index];
  return {
    content: [
      {
        type: 'tool-call',
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: JSON.stringify(call.input),
      },
    ],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: usage(inputTokens, 24),
    warnings: [],
  };
}

function respondWithText(text: string, inputTokens: number): GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: usage(inputTokens, 38),
    warnings: [],
  };
}

/**
 * Model responses in call order across both turns: the first turn takes three
 * model calls (two tool requests, then a text reply), the second turn one.
 */
const SCRIPTED_RESPONSES: GenerateResult[] = [
  requestToolCall(0, 212),
  requestToolCall(1, 298),
  respondWithText(
    `I have refunded 24.99 USD for the damaged mug on order ${ORDER_ID}. ` +
      'The money should be back on your card within 5 business days.',
    371,
  ),
  respondWithText(
    'Yes. You will get a confirmation email as soon as the payment provider settles the refund.',
    418,
  ),
];

export const SCRIPTED_MODEL_CALL_COUNT = SCRIPTED_RESPONSES.length;

/**
 * Creates the AI SDK's mock model, scripted to drive the support conversation.
 * It makes no network call: each call returns the next scripted response.
 */
export function createScriptedModel(): MockLanguageModelV4 {
  let callCount = 0;

  return new MockLanguageModelV4({
    provider: MODEL_PROVIDER,
    modelId: MODEL_ID,
    doGenerate: async () => {
      const response = SCRIPTED_RESPONSES[callCount];
      callCount += 1;
      if (response === undefined) {
        throw new Error(
          `scripted model has ${SCRIPTED_RESPONSES.length} responses but received call ${callCount}`,
        );
      }
      return {
        ...response,
        response: { id: `resp_${callCount}`, modelId: MODEL_ID, timestamp: new Date() },
      };
    },
  });
}
