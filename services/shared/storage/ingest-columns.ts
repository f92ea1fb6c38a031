import type { IngestIdentity } from '../auth/identity.ts';
import type { SpanRows } from './span-store.ts';

// The columns that record whose spans a batch holds: the tenant on every
// table, the credential the spans were sent with on the span tables, and
// LegalHold for rows of a session under legal hold.

export type HoldCheck = (tenant: string, sessionId: string) => boolean;

export function stampSpanRows(rows: SpanRows, identity: IngestIdentity, isHeld: HoldCheck = () => false): SpanRows {
  const heldFlag = (row: Record<string, unknown>) => (isHeld(identity.tenant, String(row['SessionId'] ?? '')) ? 1 : 0);
  for (const row of [...rows.otelTraces, ...rows.auditEvents]) {
    row['Tenant'] = identity.tenant;
    row['IngestPrincipal'] = identity.principal;
    row['IngestAgent'] = identity.agent;
    row['LegalHold'] = heldFlag(row);
  }
  for (const row of rows.sessionIndex) {
    row['Tenant'] = identity.tenant;
    row['LegalHold'] = heldFlag(row);
  }
  for (const row of [...rows.traceCorrelations, ...rows.otelLogs, ...rows.auditLogEvents]) row['Tenant'] = identity.tenant;
  return rows;
}
