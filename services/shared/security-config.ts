import path from 'node:path';
import { z } from 'zod';

// The security settings: ingest limits, tenants and their capture policies,
// redaction rules, identity providers and the evidence signing key. The
// variables are part of ConfigSchema (config.ts parses the environment);
// this file only declares them and shapes the result.

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** Tenant names end up in SQL DDL (retention TTL rules), so they are restricted to a safe alphabet. */
export const TenantNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');

export const CapturePolicySchema = z.enum(['full', 'redacted', 'metadata_only']);
export type CapturePolicy = z.infer<typeof CapturePolicySchema>;

export const TenantPolicySchema = z
  .object({
    capture: CapturePolicySchema.optional(),
    /** Days spans of this tenant are kept; 0 keeps them forever. Unset: RETENTION_DAYS. */
    retentionDays: nonNegativeInt.optional(),
  })
  .strict();

export const RedactionRuleSpecSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and "-"'),
    pattern: z.string().min(1),
    flags: z.string().regex(/^[imsu]*$/, 'only the flags i, m, s and u are allowed').default(''),
    category: z.enum(['secret', 'pii']).default('secret'),
  })
  .strict();
export type RedactionRuleSpec = z.infer<typeof RedactionRuleSpecSchema>;

export const OidcIssuerSchema = z
  .object({
    issuer: z.string().min(1),
    jwksUri: z.url(),
    /** Expected `aud`; tokens for another audience are rejected. */
    audience: z.string().min(1),
    /** What tokens of this issuer may do. */
    use: z.enum(['ingest', 'investigator', 'both']).default('both'),
    /** Claim holding the tenant (a string) or tenants (an array). */
    tenantClaim: z.string().default('tenant'),
    /** Tenant used when the token has no tenant claim. */
    tenant: TenantNameSchema.optional(),
    /** Claim holding the investigator roles (a string or an array). */
    rolesClaim: z.string().default('roles'),
    /** Claim naming the agent an ingest token speaks for; unset derives it from `sub`. */
    agentClaim: z.string().optional(),
  })
  .strict();
export type OidcIssuer = z.infer<typeof OidcIssuerSchema>;

/** Parses an environment variable that holds JSON, reporting JSON syntax errors as issues. */
function jsonText<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const commaList = z
  .string()
  .default('')
  .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''));

export const securityEnvShape = {
  INGEST_MAX_SPANS_PER_REQUEST: positiveInt.default(20_000),
  INGEST_MAX_ATTRIBUTES_PER_SPAN: positiveInt.default(1_000),
  INGEST_MAX_EVENTS_PER_SPAN: positiveInt.default(1_000),
  INGEST_MAX_VALUE_LENGTH: positiveInt.default(4 * 1024 * 1024),
  INGEST_MAX_NESTING_DEPTH: positiveInt.max(64).default(16),
  INGEST_RATE_LIMIT_PER_SECOND: nonNegativeInt.default(500),
  INGEST_RATE_LIMIT_BURST: positiveInt.default(1_000),
  DEFAULT_TENANT: TenantNameSchema.default('default'),
  DEFAULT_CAPTURE_POLICY: CapturePolicySchema.default('redacted'),
  TENANTS: jsonText(z.record(TenantNameSchema, TenantPolicySchema)).default({}),
  COLLECTOR_TENANT: TenantNameSchema.optional(),
  REDACTION_DISABLED_RULES: commaList,
  REDACTION_RULES: jsonText(z.array(RedactionRuleSpecSchema)).default([]),
  REDACTION_PII_EXEMPT_KEYS: commaList,
  CAPTURE_METADATA_KEYS: commaList,
  OIDC_ISSUERS: jsonText(z.array(OidcIssuerSchema)).default([]),
  AUTH_CACHE_TTL_MS: positiveInt.default(5_000),
  CREDENTIALS_FILE: z.string().optional(),
  EVIDENCE_KEY_FILE: z.string().optional(),
  EVIDENCE_TRUSTED_KEY_FILES: commaList,
};

type SecurityEnv = z.output<z.ZodObject<typeof securityEnvShape>>;

export interface SecurityConfig {
  ingestLimits: IngestLimits;
  /** Requests per second per ingest identity; 0 turns the limit off. */
  ingestRateLimit: { perSecond: number; burst: number };
  tenants: {
    defaultTenant: string;
    defaultCapture: CapturePolicy;
    policies: Record<string, z.infer<typeof TenantPolicySchema>>;
    /** Tenant of spans read from the Collector-fed topic, which carry no credential. */
    collectorTenant: string;
  };
  redaction: {
    disabledRules: string[];
    extraRules: RedactionRuleSpec[];
    /** Attribute keys the PII rules leave alone because they identify who acted (secret rules still apply). */
    piiExemptKeys: string[];
    /** Extra attribute keys, or prefixes ending in ".", kept under the metadata_only capture policy. */
    metadataKeys: string[];
  };
  oidcIssuers: OidcIssuer[];
  /** How long token and legal-hold lookups are cached; a revoked token stops working within this time. */
  authCacheTtlMs: number;
  /** Where the first embedded start writes the bootstrap ingest and admin tokens. */
  credentialsFile: string;
  evidence: {
    /** Ed25519 private key (PKCS#8 PEM); created on first start when missing. */
    keyFile: string;
    /** Further public keys (SPKI PEM) whose seals the verify endpoint accepts. */
    trustedKeyFiles: string[];
  };
}

export interface IngestLimits {
  maxSpansPerRequest: number;
  maxAttributesPerSpan: number;
  maxEventsPerSpan: number;
  /** Longest string or bytes value, in characters or bytes. */
  maxValueLength: number;
  /** Deepest nesting of array and key-value-list values. */
  maxNestingDepth: number;
}

export function toSecurityConfig(values: SecurityEnv, dataDir: string): SecurityConfig {
  return {
    ingestLimits: {
      maxSpansPerRequest: values.INGEST_MAX_SPANS_PER_REQUEST,
      maxAttributesPerSpan: values.INGEST_MAX_ATTRIBUTES_PER_SPAN,
      maxEventsPerSpan: values.INGEST_MAX_EVENTS_PER_SPAN,
      maxValueLength: values.INGEST_MAX_VALUE_LENGTH,
      maxNestingDepth: values.INGEST_MAX_NESTING_DEPTH,
    },
    ingestRateLimit: { perSecond: values.INGEST_RATE_LIMIT_PER_SECOND, burst: values.INGEST_RATE_LIMIT_BURST },
    tenants: {
      defaultTenant: values.DEFAULT_TENANT,
      defaultCapture: values.DEFAULT_CAPTURE_POLICY,
      policies: values.TENANTS,
      collectorTenant: values.COLLECTOR_TENANT ?? values.DEFAULT_TENANT,
    },
    redaction: {
      disabledRules: values.REDACTION_DISABLED_RULES,
      extraRules: values.REDACTION_RULES,
      piiExemptKeys: values.REDACTION_PII_EXEMPT_KEYS,
      metadataKeys: values.CAPTURE_METADATA_KEYS,
    },
    oidcIssuers: values.OIDC_ISSUERS,
    authCacheTtlMs: values.AUTH_CACHE_TTL_MS,
    credentialsFile: path.resolve(values.CREDENTIALS_FILE ?? path.join(dataDir, 'credentials.json')),
    evidence: {
      keyFile: path.resolve(values.EVIDENCE_KEY_FILE ?? path.join(dataDir, 'evidence-key.pem')),
      trustedKeyFiles: values.EVIDENCE_TRUSTED_KEY_FILES.map((file) => path.resolve(file)),
    },
  };
}

/** The capture policy of a tenant: its own, or DEFAULT_CAPTURE_POLICY. */
export function capturePolicyOf(config: SecurityConfig, tenant: string): CapturePolicy {
  return config.tenants.policies[tenant]?.capture ?? config.tenants.defaultCapture;
}
