import { describe, expect, it } from 'vitest';
import { AuditAttribute as PackageAttribute } from '../../packages/agent-audit-otel/src/index.ts';
import { AuditAttribute } from '../../schemas/audit-convention.ts';

// The agent package ships its own copy of the attribute names, so that it
// does not depend on this repository's schemas. The two copies must match.

describe('agent package convention', () => {
  it('uses the attribute names the pipeline reads', () => {
    expect(PackageAttribute).toEqual(AuditAttribute);
  });
});
