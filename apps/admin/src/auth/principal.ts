/** Who is calling: resolved from the bearer key by ApiKeyGuard, attached to the request. */
export type Role = 'admin' | 'operator';

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
