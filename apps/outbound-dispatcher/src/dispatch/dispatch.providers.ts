import { Logger, type Provider } from '@nestjs/common';
import { CONNECTOR_KINDS, ConnectorCache, type ConnectorKindRegistry } from '@app/connectors';
import type { HandlerRegistry } from '@app/core';
import { DeliveryNoticePublisher, DeliveryQueue, publishConfigChange } from '@app/messaging';
import { DispatcherEndpointsRepository, HandlerCache, TypeormUnitOfWork } from '@app/persistence';
import { HANDLER_REGISTRY, REDIS_CLIENT, type RedisClient } from '@app/platform';
import {
  endpointBurstConcurrency,
  endpointConcurrency,
  type OutboundDispatcherConfig,
} from '../config';
import { HttpSender } from '../send/http-sender';
import { AnnouncedSendDelivery } from './announced-send-delivery';
import { DisabledEndpointsMetric, EndpointHealth } from './endpoint-health';
import { EndpointSlots } from './endpoint-slots';
import { OutboundEndpointCache } from './outbound-endpoint-cache';
import { RateLimiter } from './rate-limiter';
import { SendDelivery } from './send-delivery.use-case';

/**
 * The delivery sender: HTTP, rate and in-flight gates, endpoint health, the use case, and
 * the use case as the worker runs it (announcing each delivery that left processing).
 */
export function dispatchProviders(config: OutboundDispatcherConfig): Provider[] {
  return [
    {
      provide: HttpSender,
      useFactory: () =>
        new HttpSender({
          allowPrivateNetworks: config.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
          maxSockets: config.OUTBOUND_MAX_SOCKETS,
        }),
    },
    {
      provide: RateLimiter,
      inject: [REDIS_CLIENT],
      useFactory: (redis: RedisClient) => new RateLimiter(redis, config.QUEUE_PREFIX),
    },
    {
      provide: EndpointHealth,
      inject: [DispatcherEndpointsRepository, OutboundEndpointCache, REDIS_CLIENT],
      useFactory: (
        repository: DispatcherEndpointsRepository,
        endpoints: OutboundEndpointCache,
        redis: RedisClient,
      ) => {
        const logger = new Logger('EndpointHealth');
        return new EndpointHealth(repository, (endpointId, reason) => {
          logger.warn(`outbound endpoint ${endpointId} disabled: ${reason}`);
          endpoints.invalidate(endpointId);
          publishConfigChange(redis, config.QUEUE_PREFIX, {
            entity: 'outbound-endpoint',
            id: endpointId,
          }).catch(() => undefined);
        });
      },
    },
    {
      provide: SendDelivery,
      inject: [
        TypeormUnitOfWork,
        DispatcherEndpointsRepository,
        OutboundEndpointCache,
        HandlerCache,
        HANDLER_REGISTRY,
        HttpSender,
        RateLimiter,
        DeliveryQueue,
        EndpointHealth,
        CONNECTOR_KINDS,
        ConnectorCache,
      ],
      useFactory: (
        unitOfWork: TypeormUnitOfWork,
        dispatcherEndpoints: DispatcherEndpointsRepository,
        endpoints: OutboundEndpointCache,
        handlers: HandlerCache,
        registry: HandlerRegistry,
        sender: HttpSender,
        rateLimiter: RateLimiter,
        deliveries: DeliveryQueue,
        health: EndpointHealth,
        kinds: ConnectorKindRegistry,
        connectors: ConnectorCache,
      ) =>
        new SendDelivery(
          unitOfWork,
          dispatcherEndpoints,
          endpoints,
          handlers,
          registry,
          sender,
          rateLimiter,
          {
            schedule: (id, attempts, delayMs, rerun) =>
              deliveries.enqueue([{ id, attempts, delayMs, rerun }]),
          },
          health,
          {
            resolve: async (id) => {
              const connector = await connectors.get(id);
              return connector ? { connector, kind: kinds.get(connector.kind) } : null;
            },
          },
          config.PROCESSING_LEASE_SECONDS,
          new EndpointSlots(endpointConcurrency(config), {
            burstCap: endpointBurstConcurrency(config),
          }),
        ),
    },
    {
      provide: AnnouncedSendDelivery,
      inject: [SendDelivery, REDIS_CLIENT],
      useFactory: (send: SendDelivery, redis: RedisClient) =>
        new AnnouncedSendDelivery(send, new DeliveryNoticePublisher(redis, config.QUEUE_PREFIX)),
    },
    DisabledEndpointsMetric,
  ];
}
