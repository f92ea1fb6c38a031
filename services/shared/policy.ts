import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

// The policy the findings are checked against: which tools need a granted
// approval, which tools each agent may use, and which tools send data out of
// the organisation. Tool names are matched with glob patterns.

const GlobListSchema = z.array(z.string().min(1, 'a pattern must not be empty'));

export const PolicySchema = z
  .object({
    /** Tool-name patterns whose calls need a granted approval before they run. */
    approvalRequired: GlobListSchema.default([]),
    /** Per agent id or name, the tool-name patterns it may use. Agents not listed are not checked. */
    agents: z.record(z.string(), z.object({ tools: GlobListSchema }).strict()).default({}),
    /** Tool-name patterns that send data outside; a call after a sensitive read is a finding. */
    egressTools: GlobListSchema.default(['send_*', '*email*', 'http_*', '*webhook*', '*upload*', 'post_*']),
  })
  .strict();

export type PolicyDocument = z.infer<typeof PolicySchema>;

export interface Policy {
  document: PolicyDocument;
  /** The approvalRequired pattern a tool matches, or null. */
  approvalRule(toolName: string): string | null;
  /** True, false, or null when the policy lists no tools for this agent. */
  agentMayUse(agent: string, toolName: string): boolean | null;
  isEgressTool(toolName: string): boolean;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
}

function compile(patterns: string[]): { pattern: string; matches: (value: string) => boolean }[] {
  return patterns.map((pattern) => ({ pattern, matches: picomatch(pattern, { dot: true }) }));
}

export function createPolicy(document: PolicyDocument): Policy {
  const approval = compile(document.approvalRequired);
  const egress = compile(document.egressTools);
  const agentTools = new Map(Object.entries(document.agents).map(([agent, entry]) => [agent, compile(entry.tools)]));
  return {
    document,
    approvalRule: (toolName) => approval.find((rule) => rule.matches(toolName))?.pattern ?? null,
    agentMayUse: (agent, toolName) => {
      const rules = agentTools.get(agent);
      return rules === undefined ? null : rules.some((rule) => rule.matches(toolName));
    },
    isEgressTool: (toolName) => egress.some((rule) => rule.matches(toolName)),
  };
}

/** The policy used when POLICY_FILE is not set: nothing needs approval, no agent is restricted. */
export function defaultPolicy(): Policy {
  return createPolicy(PolicySchema.parse({}));
}

/**
 * Reads a policy file (YAML, or JSON, which YAML also reads). Throws
 * PolicyError naming every invalid field, so a bad policy stops the start.
 */
export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError(`cannot read POLICY_FILE ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new PolicyError(`POLICY_FILE ${file} is not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  const parsed = PolicySchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${field || '(top level)'}: ${issue.message}${keys}`;
    });
    throw new PolicyError(`invalid POLICY_FILE ${file}:\n  ${problems.join('\n  ')}`);
  }
  return createPolicy(parsed.data);
}
