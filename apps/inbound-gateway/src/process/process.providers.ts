import { getQueueToken } from '@nestjs/bullmq';
import type { Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { HandlerRegistry } from '@app/core';
import { DeliveryQueue, InboundEventsJob, itemJobId, jobTraces, QueueName } from '@app/messaging';
import { DeliveryIntake } from '@app/outbound';
import { HandlerCache, TypeormUnitOfWork } from '@app/persistence';
import { HANDLER_REGISTRY, itemTraceparent } from '@app/platform';
import type { InboundGatewayConfig } from '../config';
import { ProcessInboundEvent } from './process-inbound-event.use-case';

/** The inbound worker's use case, its retries scheduled on the inbound-events queue. */
export function processProviders(config: InboundGatewayConfig): Provider[] {
  return [
    {
      provide: DeliveryIntake,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new DeliveryIntake(ds),
    },
    {
      provide: ProcessInboundEvent,
      inject: [
        TypeormUnitOfWork,
        HandlerCache,
        HANDLER_REGISTRY,
        getQueueToken(QueueName.InboundEvents),
        DeliveryIntake,
        DeliveryQueue,
      ],
      useFactory: (
        unitOfWork: TypeormUnitOfWork,
        handlers: HandlerCache,
        registry: HandlerRegistry,
        queue: Queue,
        intake: DeliveryIntake,
        deliveries: DeliveryQueue,
      ) =>
        new ProcessInboundEvent(
          unitOfWork,
          handlers,
          registry,
          {
            scheduleRetry: async (eventId, attempts, delayMs) => {
              // The retry continues the trace of the attempt that scheduled it.
              const traces = jobTraces([{ id: eventId, traceparent: itemTraceparent(eventId) }]);
              await queue.add(
                InboundEventsJob.Process,
                traces ? { eventId, traces } : { eventId },
                { jobId: itemJobId(eventId, attempts), delay: delayMs },
              );
            },
          },
          intake,
          { enqueueDeliveries: (ids) => deliveries.enqueueIds(ids) },
          config.PROCESSING_LEASE_SECONDS,
        ),
    },
  ];
}
