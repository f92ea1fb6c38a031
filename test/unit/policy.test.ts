import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy, PolicyError } from '../../services/shared/policy.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('loadPolicy', () => {
  it('reads YAML with glob patterns', () => {
    const policy = loadPolicy(write('p.yaml', 'approvalRequired: ["delete_*"]\nagents:\n  ops:\n    tools: ["read_*"]\n'));

    expect(policy.approvalRule('delete_user')).toBe('delete_*');
    expect(policy.approvalRule('read_user')).toBeNull();
    expect(policy.agentMayUse('ops', 'read_logs')).toBe(true);
    expect(policy.agentMayUse('ops', 'delete_logs')).toBe(false);
    expect(policy.agentMayUse('other', 'delete_logs')).toBeNull();
  });

  it('reads JSON', () => {
    const policy = loadPolicy(write('p.json', '{"egressTools": ["post_*"]}'));

    expect(policy.isEgressTool('post_message')).toBe(true);
  });

  it('names the invalid field', () => {
    const file = write('bad.yaml', 'agents:\n  ops:\n    tools: "read_*"\n');

    expect(() => loadPolicy(file)).toThrow(PolicyError);
    expect(() => loadPolicy(file)).toThrow(/agents\.ops\.tools/);
  });

  it('names an unknown top-level field', () => {
    expect(() => loadPolicy(write('typo.yaml', 'aprovalRequired: ["x"]\n'))).toThrow(/aprovalRequired/);
  });
});
