import type {
  ConfigLookup,
  IdentityConfig,
  ResolvedSignatureConfig,
  SignatureConfig,
  TimestampConfig,
  ValueSource,
} from '@app/core';
import { resolveInboundSecurity } from '@app/core';
import type {
  InboundEndpointLookupRepository,
  InboundEndpointLookupRow,
  SecretBox,
} from '@app/persistence';
import { inboundEndpointLookups, LookupCache } from '@app/platform';

/**
 * The receiver's view of an inbound endpoint: configuration resolved (preset merged,
 * secrets decrypted) once and reused for `ttlMs`, so the hot path does no per-request
 * lookups or decryption. Paths come from anyone on the internet, so the cache is a
 * LookupCache: unknown paths are remembered apart from known ones (a flood of made-up paths
 * never evicts a hot endpoint, and a repeated one costs one query per TTL), both bounded.
 */
export interface EndpointRuntime {
  id: string;
  tenantId: string;
  path: string;
  maxBodyBytes: number;
  signature: ResolvedSignatureConfig | null;
  timestamp: TimestampConfig | null;
  identity: Required<IdentityConfig>;
  semanticBindings: Array<{ name: string; source: ValueSource }>;
  handshakes: EndpointHandshakes;
  rejectedPerMinute: number;
  /** Set when the stored configuration cannot be resolved; requests get 500-free rejections. */
  configurationError?: string;
}

export interface EndpointHandshakes {
  slack?: boolean;
  meta?: { verifyToken?: string };
  zoom?: { secretToken?: string };
}

type EndpointRow = InboundEndpointLookupRow;

export class EndpointCache implements ConfigLookup<EndpointRuntime> {
  private readonly cache: LookupCache<EndpointRuntime>;

  constructor(
    private readonly endpoints: InboundEndpointLookupRepository,
    private readonly secrets: SecretBox,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.cache = new LookupCache(
      (path) => this.load(path),
      { ttlMs, maxEntries },
      (result) => inboundEndpointLookups.inc({ result }),
    );
  }

  get(path: string): Promise<EndpointRuntime | null> {
    return this.cache.get(path);
  }

  /**
   * After a change to endpoint `id` (created, updated, path renamed, deactivated, deleted):
   * its cached configuration goes, and so does every remembered unknown path, since the
   * change may have created one. Without an id, everything goes.
   */
  invalidate(id?: string): void {
    if (id === undefined) this.cache.clear();
    else this.cache.invalidateWhere((endpoint) => endpoint.id === id);
  }

  private async load(path: string): Promise<EndpointRuntime | null> {
    const row = await this.endpoints.findActiveByPath(path);
    return row ? this.resolve(row) : null;
  }

  private resolve(row: EndpointRow): EndpointRuntime {
    const secrets = row.secrets ?? {};
    const decrypt = (name: string): string | undefined =>
      secrets[name] ? this.secrets.decrypt(secrets[name]) : undefined;
    const base: EndpointRuntime = {
      id: row.id,
      tenantId: row.tenant_id,
      path: row.path,
      maxBodyBytes: row.max_body_bytes,
      signature: null,
      timestamp: null,
      identity: { delivery: { policy: 'raw_body_sha256' }, replay: { policy: 'none' } },
      semanticBindings: row.semantic_bindings ?? [],
      handshakes: {
        slack: row.handshakes?.slack,
        meta: row.handshakes?.meta ? { verifyToken: decrypt('metaVerifyToken') } : undefined,
        zoom: row.handshakes?.zoom ? { secretToken: decrypt('zoomSecretToken') } : undefined,
      },
      rejectedPerMinute: row.rejected_per_minute,
    };
    try {
      const signature: SignatureConfig = {
        ...(row.signature ?? { mode: 'none' }),
        secret: decrypt('secret'),
        secondarySecret: decrypt('secondarySecret'),
      };
      const resolved = resolveInboundSecurity({
        signature,
        timestamp: row.timestamp ?? undefined,
        identity: row.identity ?? undefined,
      });
      return { ...base, ...resolved };
    } catch (error) {
      return {
        ...base,
        configurationError: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
