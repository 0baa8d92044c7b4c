import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { HandlerRegistry } from '@app/core';
import { buildHandlerRegistry } from '@app/callbacks';
import { ConnectorCache } from '@app/connectors';
import { createSecretBox, HandlerCache, type SecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, SECRET_BOX } from '@app/platform';
import type { InboundGatewayConfig } from './config';

/** Secrets at rest and the configuration the worker reads through caches. */
export function configCacheProviders(
  config: InboundGatewayConfig,
  registry: HandlerRegistry | undefined,
): Provider[] {
  return [
    { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
    {
      provide: ConnectorCache,
      inject: [DataSource, SECRET_BOX],
      useFactory: (ds: DataSource, box: SecretBox) =>
        new ConnectorCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
    },
    {
      provide: HANDLER_REGISTRY,
      inject: [ConnectorCache],
      useFactory: (connectors: ConnectorCache) => registry ?? buildHandlerRegistry({ connectors }),
    },
    {
      provide: HandlerCache,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new HandlerCache(ds, config.ENDPOINT_CACHE_TTL_MS),
    },
  ];
}
