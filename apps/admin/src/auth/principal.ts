/** Who is calling: resolved from the bearer key by ApiKeyGuard, attached to the request. */
/**
 * `admin` configures, `operator` reads and acts, `publisher` (a backend service's key)
 * only publishes and reads deliveries (SPEC §3).
 */
export type Role = 'admin' | 'operator' | 'publisher';

export interface Principal {
  keyId: string;
  tenantId: string;
  role: Role;
  /** The key's name: the audit log's `actor`. */
  name: string;
}

export interface RequestWithPrincipal {
  principal?: Principal;
  headers: Record<string, string | string[] | undefined>;
}
