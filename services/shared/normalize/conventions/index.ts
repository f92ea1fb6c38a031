import type { Convention } from '../../../../schemas/audit-event.ts';
import { mergeFacts, type StepFacts } from '../step-facts.ts';
import { genAi } from './genai.ts';
import { langfuse } from './langfuse.ts';
import { readMapping, type ConventionMapping, type SpanView } from './mapping.ts';
import { mcp } from './mcp.ts';
import { openInference } from './openinference.ts';
import { traceloop } from './traceloop.ts';
import { vercelAi } from './vercel-ai.ts';

export type { SpanView } from './mapping.ts';

/**
 * The conventions, most specific first. Where two of them set the same
 * field, the earlier one wins: an MCP tool span also carries
 * gen_ai.operation.name, and the MCP method is the more specific of the
 * two; the library-specific mappings come before the generic GenAI one
 * because their libraries also write a few gen_ai.* attributes.
 */
export const conventionMappings: readonly ConventionMapping[] = [mcp, openInference, vercelAi, traceloop, langfuse, genAi];

/** Reads a span with every convention it matches; returns the merged facts and the matched conventions. */
export function readConventions(span: SpanView): { facts: StepFacts; conventions: Convention[] } {
  const matched = conventionMappings.filter((mapping) => mapping.detect(span));
  return {
    facts: mergeFacts(...matched.map((mapping) => readMapping(mapping, span))),
    conventions: matched.map((mapping) => mapping.name),
  };
}
