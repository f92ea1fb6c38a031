import { randomUUID } from 'node:crypto';
import type { Seal } from '../../../schemas/evidence.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { insertSpanRows, type SpanRows } from '../storage/span-store.ts';
import { auditEventColumns, canonicalRow, hashCanonicalSpan, otelTraceColumns } from './canonical.ts';
import { computeRoot, signSeal } from './seal.ts';
import type { SigningKey } from './signing-key.ts';

// Seals each insert batch: one seal per (tenant, session) the batch wrote,
// chained to the session's previous seal. Called after the rows are inserted
// and before the batch counts as stored, so a crash in between leaves rows
// without a seal ("incomplete") until the batch is redelivered and sealed.

interface ChainHead {
  sequence: number;
  sealHash: string;
}

interface PendingLeaf {
  spanKey: string;
  leafTime: string;
  rowHash: string;
}

const spanKeyOf = (row: Record<string, unknown>) => `${String(row['TraceId'])}:${String(row['SpanId'])}`;

function compareSpanKeys(a: PendingLeaf, b: PendingLeaf): number {
  if (a.spanKey === b.spanKey) return 0;
  return a.spanKey < b.spanKey ? -1 : 1;
}

export class Sealer {
  readonly #client: ClickHouseClient;
  readonly #key: SigningKey;
  /** Last seal per tenant and session written by this process. */
  readonly #heads = new Map<string, ChainHead>();

  constructor(client: ClickHouseClient, key: SigningKey) {
    this.#client = client;
    this.#key = key;
  }

  /** Builds, signs and stores the seals for rows that were just inserted. */
  async seal(rows: SpanRows): Promise<Seal[]> {
    const otelBySpan = new Map(rows.otelTraces.map((row) => [spanKeyOf(row), row]));
    // A span sent twice in one batch keeps its last copy, as ReplacingMergeTree does.
    const groups = new Map<string, { tenant: string; sessionId: string; held: boolean; leaves: Map<string, PendingLeaf> }>();
    for (const audit of rows.auditEvents) {
      const tenant = String(audit['Tenant'] ?? 'default');
      const sessionId = String(audit['SessionId']);
      const groupKey = `${tenant}\u0000${sessionId}`;
      let group = groups.get(groupKey);
      if (group === undefined) {
        group = { tenant, sessionId, held: false, leaves: new Map() };
        groups.set(groupKey, group);
      }
      if (audit['LegalHold'] === 1) group.held = true;
      const spanKey = spanKeyOf(audit);
      const otel = otelBySpan.get(spanKey);
      const canonicalAudit = canonicalRow(auditEventColumns, audit);
      group.leaves.set(spanKey, {
        spanKey,
        leafTime: String(canonicalAudit[auditEventColumns.findIndex((column) => column.name === 'StartTime')]),
        rowHash: hashCanonicalSpan(otel === undefined ? null : canonicalRow(otelTraceColumns, otel), canonicalAudit),
      });
    }
    if (groups.size === 0) return [];

    await this.#loadHeads([...groups.keys()]);
    const createdAt = Date.now();
    const seals: Seal[] = [];
    const heldSeals = new Set<string>();
    for (const [groupKey, group] of groups) {
      const head = this.#heads.get(groupKey);
      const leaves = [...group.leaves.values()].sort(compareSpanKeys);
      const unsigned = {
        sessionId: group.sessionId,
        tenant: group.tenant,
        sequence: (head?.sequence ?? 0) + 1,
        sealId: randomUUID(),
        createdAt,
        previous: head?.sealHash ?? '',
        root: '',
        spanKeys: leaves.map((leaf) => leaf.spanKey),
        leafHashes: leaves.map((leaf) => leaf.rowHash),
        leafTimes: leaves.map((leaf) => leaf.leafTime),
        keyId: this.#key.keyId,
      };
      unsigned.root = computeRoot(unsigned);
      seals.push(signSeal(unsigned, this.#key.privateKey));
      if (group.held) heldSeals.add(unsigned.sealId);
    }

    await this.#client.insert({
      table: 'evidence_seals',
      values: seals.map((seal) => ({
        SessionId: seal.sessionId,
        Tenant: seal.tenant,
        Sequence: seal.sequence,
        SealId: seal.sealId,
        CreatedAt: (seal.createdAt / 1000).toFixed(3),
        Previous: seal.previous,
        Root: seal.root,
        SpanKeys: seal.spanKeys,
        LeafHashes: seal.leafHashes,
        LeafTimes: seal.leafTimes,
        KeyId: seal.keyId,
        Signature: seal.signature,
        SealHash: seal.sealHash,
        LegalHold: heldSeals.has(seal.sealId) ? 1 : 0,
      })),
      format: 'JSONEachRow',
    });
    // The heads move only once the seals are stored, so a failed insert is retried with the same sequence.
    for (const seal of seals) this.#heads.set(`${seal.tenant}\u0000${seal.sessionId}`, { sequence: seal.sequence, sealHash: seal.sealHash });
    return seals;
  }

  /** Reads the last stored seal of sessions this process has not sealed yet. */
  async #loadHeads(groupKeys: string[]): Promise<void> {
    const unknown = groupKeys.filter((key) => !this.#heads.has(key));
    if (unknown.length === 0) return;
    const sessionIds = [...new Set(unknown.map((key) => key.slice(key.indexOf('\u0000') + 1)))];
    const result = await this.#client.query({
      query: `SELECT Tenant, SessionId, toString(max(Sequence)) AS sequence, argMax(SealHash, Sequence) AS sealHash
              FROM evidence_seals WHERE SessionId IN {sessionIds:Array(String)} GROUP BY Tenant, SessionId`,
      query_params: { sessionIds },
      format: 'JSONEachRow',
    });
    // Bounds memory; a session dropped from the cache is read back from evidence_seals when it comes again.
    if (this.#heads.size > 100_000) this.#heads.clear();
    for (const row of await result.json<{ Tenant: string; SessionId: string; sequence: string; sealHash: string }>()) {
      this.#heads.set(`${row.Tenant}\u0000${row.SessionId}`, { sequence: Number(row.sequence), sealHash: row.sealHash });
    }
  }
}

/** Inserts a batch into the span tables, then seals it. Retrying the whole call after a failure is safe. */
export async function insertSealedSpanRows(client: ClickHouseClient, rows: SpanRows, sealer: Sealer): Promise<void> {
  await insertSpanRows(client, rows);
  await sealer.seal(rows);
}
