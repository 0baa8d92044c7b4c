import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { subscribeConfigChanges } from '@app/messaging';
import { APP_CONFIG } from '@app/platform';
import type { InboundGatewayConfig } from '../config';
import { HandlerCache } from '@app/persistence';
import { ConnectorCache } from '@app/connectors';
import { EndpointCache } from './endpoint-cache';

/** Drops cached endpoint and handler configuration when a change is announced. */
@Injectable()
export class ConfigChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly endpoints: EndpointCache,
    private readonly handlers: HandlerCache,
    private readonly connectors: ConnectorCache,
    @Inject(APP_CONFIG) private readonly config: InboundGatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = subscribeConfigChanges(
      this.config.REDIS_URL,
      this.config.QUEUE_PREFIX,
      (change) => {
        // An inbound endpoint change drops that endpoint and every remembered unknown path
        // (it may have created one), not the hot endpoints. Outbound endpoints are not in
        // this cache; a tenant change (or anything unknown) drops it all.
        if (change.entity === 'handler') this.handlers.invalidate(change.id);
        else if (change.entity === 'connector') this.connectors.invalidate(change.id);
        else if (change.entity === 'outbound-endpoint') return;
        else if (change.entity === 'inbound-endpoint' && typeof change.id === 'string')
          this.endpoints.invalidate(change.id);
        else this.endpoints.invalidate();
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unsubscribe?.();
  }
}
