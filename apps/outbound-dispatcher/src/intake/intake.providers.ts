import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryIntake, RequestRefusals } from '@app/outbound';
import type { OutboundDispatcherConfig } from '../config';
import { OutboundRequestsProcessor } from './outbound-requests.processor';

/** The publish intake: requests from the outbound-requests queue become delivery rows. */
export function intakeProviders(config: OutboundDispatcherConfig): Provider[] {
  return [
    {
      provide: DeliveryIntake,
      inject: [DataSource],
      useFactory: (ds: DataSource) =>
        // Concurrent intake jobs store their deliveries together (see DeliveryIntake).
        new DeliveryIntake(ds, config.ENDPOINT_CACHE_TTL_MS, { maxBatch: 64, maxInFlight: 2 }),
    },
    {
      provide: RequestRefusals,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new RequestRefusals(ds),
    },
    OutboundRequestsProcessor,
  ];
}
