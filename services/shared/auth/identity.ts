// Who is calling. Ingest identities come from agent tokens, workload JWTs or,
// for the Collector-fed topic, the writer's configuration; investigator
// identities come from investigator tokens or OIDC JWTs.

export const ROLES = ['viewer', 'investigator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The identity spans were sent with, stored beside every span. */
export interface IngestIdentity {
  /** Stable name of the credential: `token:<id>`, `jwt:<issuer>#<subject>` or `collector:<topic>`. */
  principal: string;
  tenant: string;
  /** Service or agent name the credential speaks for; empty when it is bound to none. */
  agent: string;
}

/** An investigator or administrator calling the API. */
export interface Caller {
  principal: string;
  role: Role;
  /** Tenants the caller may read; `*` stands for all. */
  tenants: string[];
}

const roleRank: Record<Role, number> = { viewer: 0, investigator: 1, admin: 2 };

export function hasRole(caller: Caller, needed: Role): boolean {
  return roleRank[caller.role] >= roleRank[needed];
}

/** The highest of the given role names; unknown names are ignored. */
export function highestRole(names: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) continue;
    const role = name as Role;
    if (best === null || roleRank[role] > roleRank[best]) best = role;
  }
  return best;
}

/** The tenants a caller may read, or null for all of them. */
export function tenantScope(caller: Caller): string[] | null {
  return caller.tenants.includes('*') ? null : caller.tenants;
}
