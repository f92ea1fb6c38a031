import { z } from 'zod';

// Tamper evidence: the signed seals over a session's stored rows, the rows
// in canonical form, and the result of checking one against the other. The
// `evidence` section of an exported session bundle has the EvidenceSchema
// shape, so `npm run verify-bundle` can check it offline with only the
// public key.

export const CANONICAL_FORM = 'agent-audit-canonical-v1';

export const SealSchema = z.object({
  sessionId: z.string(),
  tenant: z.string(),
  /** 1 for a session's first seal, then one more per insert batch that wrote the session. */
  sequence: z.number().int().positive(),
  sealId: z.string(),
  /** Milliseconds since the epoch. */
  createdAt: z.number().int(),
  /** sealHash of the session's previous seal; empty for sequence 1. */
  previous: z.string(),
  /** Merkle root (SHA-256, RFC 6962 tree) over the leaves. */
  root: z.string(),
  /** `<traceId>:<spanId>` per leaf, sorted. */
  spanKeys: z.array(z.string()),
  /** SHA-256 of each span's rows in canonical form. */
  leafHashes: z.array(z.string()),
  /** Start time of each span in nanoseconds since the epoch, as a decimal string; retention deletes by it. */
  leafTimes: z.array(z.string()),
  /** First 16 hex digits of the SHA-256 of the signing key's SPKI DER encoding. */
  keyId: z.string(),
  /** Ed25519 signature (base64) over the seal's signed payload. */
  signature: z.string(),
  /** SHA-256 over the signed payload and the signature; the next seal's `previous`. */
  sealHash: z.string(),
});
export type Seal = z.infer<typeof SealSchema>;

/** One span's stored rows in canonical form: column values in a fixed order. */
export const CanonicalSpanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  /** The otel_traces row; null when it is not stored. */
  otel: z.array(z.unknown()).nullable(),
  /** The audit_events row; null when it is not stored. */
  audit: z.array(z.unknown()).nullable(),
});
export type CanonicalSpan = z.infer<typeof CanonicalSpanSchema>;

export const EvidenceSchema = z.object({
  canonicalForm: z.literal(CANONICAL_FORM),
  sessionId: z.string(),
  seals: z.array(SealSchema),
  spans: z.array(CanonicalSpanSchema),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const SpanRefSchema = z.object({ traceId: z.string(), spanId: z.string() });

export const VerifyResultSchema = z.object({
  sessionId: z.string(),
  /**
   * intact: every stored span matches a valid seal and every sealed span is stored.
   * tampered: a span differs from its seal, a sealed span is gone, or a seal is invalid or missing from the chain.
   * incomplete: nothing was tampered with, but some stored spans are not sealed (yet).
   */
  status: z.enum(['intact', 'tampered', 'incomplete']),
  sealCount: z.number().int(),
  spanCount: z.number().int(),
  changed: z.array(SpanRefSchema),
  missing: z.array(SpanRefSchema),
  unsealed: z.array(SpanRefSchema),
  /** Sealed spans deleted by the retention TTL, which is expected. */
  expired: z.number().int(),
  /** Problems with the seals themselves: bad signatures, unknown keys, gaps in the chain. */
  sealProblems: z.array(z.string()),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
