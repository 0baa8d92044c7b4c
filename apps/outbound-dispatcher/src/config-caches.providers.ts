import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildHandlerRegistry } from '@app/callbacks';
import {
  buildConnectorKinds,
  CONNECTOR_KINDS,
  ConnectorCache,
  type ConnectorKindRegistry,
} from '@app/connectors';
import type { HandlerRegistry } from '@app/core';
import { createSecretBox, HandlerCache, type SecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, SECRET_BOX } from '@app/platform';
import type { OutboundDispatcherConfig } from './config';
import { OutboundEndpointCache } from './dispatch/outbound-endpoint-cache';

/** Secrets at rest, connector kinds and the configuration the dispatcher reads through caches. */
export function configCacheProviders(
  config: OutboundDispatcherConfig,
  registry: HandlerRegistry | undefined,
): Provider[] {
  return [
    { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
    { provide: CONNECTOR_KINDS, useFactory: buildConnectorKinds },
    {
      provide: ConnectorCache,
      inject: [DataSource, SECRET_BOX],
      useFactory: (ds: DataSource, box: SecretBox) =>
        new ConnectorCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
    },
    {
      provide: HANDLER_REGISTRY,
      inject: [CONNECTOR_KINDS, ConnectorCache],
      useFactory: (kinds: ConnectorKindRegistry, connectors: ConnectorCache) =>
        registry ?? buildHandlerRegistry({ kinds, connectors }),
    },
    {
      provide: OutboundEndpointCache,
      inject: [DataSource, SECRET_BOX],
      useFactory: (ds: DataSource, box: SecretBox) =>
        new OutboundEndpointCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
    },
    {
      provide: HandlerCache,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new HandlerCache(ds, config.ENDPOINT_CACHE_TTL_MS),
    },
  ];
}
