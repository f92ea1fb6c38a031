import type { KeyObject } from 'node:crypto';
import type { CanonicalSpan, Evidence, Seal, VerifyResult } from '../../../schemas/evidence.ts';
import { hashCanonicalSpan } from './canonical.ts';
import { checkSeal } from './seal.ts';

// Checks a session's stored spans against its seals. The same check runs in
// the API (on rows read from ClickHouse) and offline (on an exported bundle),
// so both give the same answer for the same data.

export interface VerifyOptions {
  /**
   * Start time before which the retention TTL of a tenant may have deleted
   * spans, in nanoseconds; null when nothing of that tenant expires.
   * Sealed spans missing from before it count as expired, not missing.
   */
  expiredBefore?: (tenant: string) => bigint | null;
}

interface SealedLeaf {
  hash: string;
  time: string;
  tenant: string;
  sessionId: string;
}

function compareSeals(a: Seal, b: Seal): number {
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.sealId < b.sealId ? -1 : 1;
}

/** Checks that each (tenant, session) chain runs from 1 without gaps and each link names its predecessor. */
function checkChains(seals: readonly Seal[]): string[] {
  const problems: string[] = [];
  const chains = new Map<string, Seal[]>();
  for (const seal of seals) {
    const key = `${seal.tenant}\u0000${seal.sessionId}`;
    chains.set(key, [...(chains.get(key) ?? []), seal]);
  }
  for (const chain of chains.values()) {
    const bySequence = new Map<number, Seal[]>();
    for (const seal of chain) bySequence.set(seal.sequence, [...(bySequence.get(seal.sequence) ?? []), seal]);
    const highest = Math.max(...bySequence.keys());
    const sessionId = chain[0]!.sessionId;
    for (let sequence = 1; sequence <= highest; sequence += 1) {
      const atSequence = bySequence.get(sequence);
      if (atSequence === undefined) {
        problems.push(`seal ${sequence} of session "${sessionId}" is missing from its chain`);
        continue;
      }
      for (const seal of atSequence) {
        if (sequence === 1 && seal.previous !== '') problems.push(`seal 1 of session "${sessionId}" names a predecessor`);
        if (sequence > 1) {
          const predecessors = bySequence.get(sequence - 1) ?? [];
          // Two writers may seal one session at once, after a rebalance or from a Collector topic keyed
          // by trace. That forks the chain, so any seal of the previous sequence is a valid predecessor.
          if (predecessors.length > 0 && !predecessors.some((candidate) => candidate.sealHash === seal.previous)) {
            problems.push(`seal ${sequence} of session "${sessionId}" does not follow seal ${sequence - 1}`);
          }
        }
      }
    }
  }
  return problems;
}

const refOf = (spanKey: string) => {
  const [traceId = '', spanId = ''] = spanKey.split(':');
  return { traceId, spanId };
};

export function verifyEvidence(evidence: Evidence, keys: ReadonlyMap<string, KeyObject>, options: VerifyOptions = {}): VerifyResult {
  const sealProblems: string[] = [];
  const validSeals: Seal[] = [];
  for (const seal of evidence.seals) {
    const problem = checkSeal(seal, keys);
    if (problem === null) validSeals.push(seal);
    else sealProblems.push(problem);
  }
  sealProblems.push(...checkChains(evidence.seals));

  // The newest valid seal of a span is the one its stored rows must match.
  const sealed = new Map<string, SealedLeaf>();
  for (const seal of [...validSeals].sort(compareSeals)) {
    seal.spanKeys.forEach((spanKey, index) => {
      sealed.set(spanKey, { hash: seal.leafHashes[index] ?? '', time: seal.leafTimes[index] ?? '0', tenant: seal.tenant, sessionId: seal.sessionId });
    });
  }

  const changed: { traceId: string; spanId: string }[] = [];
  const unsealed: { traceId: string; spanId: string }[] = [];
  const stored = new Map<string, CanonicalSpan>(evidence.spans.map((span) => [`${span.traceId}:${span.spanId}`, span]));
  const storedTraces = new Set(evidence.spans.map((span) => span.traceId));
  for (const [spanKey, span] of [...stored].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const leaf = sealed.get(spanKey);
    if (leaf === undefined) unsealed.push(refOf(spanKey));
    else if (hashCanonicalSpan(span.otel, span.audit) !== leaf.hash) changed.push(refOf(spanKey));
  }

  const missing: { traceId: string; spanId: string }[] = [];
  let expired = 0;
  for (const [spanKey, leaf] of [...sealed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (stored.has(spanKey)) continue;
    // A seal pulled in through a shared trace also lists spans of other sessions; only this session's count.
    const ref = refOf(spanKey);
    if (leaf.sessionId !== evidence.sessionId && !storedTraces.has(ref.traceId)) continue;
    const cutoff = options.expiredBefore?.(leaf.tenant) ?? null;
    if (cutoff !== null && BigInt(leaf.time) < cutoff) expired += 1;
    else missing.push(ref);
  }

  let status: VerifyResult['status'] = 'intact';
  if (unsealed.length > 0) status = 'incomplete';
  if (sealProblems.length > 0 || changed.length > 0 || missing.length > 0) status = 'tampered';
  return {
    sessionId: evidence.sessionId,
    status,
    sealCount: evidence.seals.length,
    spanCount: evidence.spans.length,
    changed,
    missing,
    unsealed,
    expired,
    sealProblems,
  };
}
