import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { QueueName } from '@app/messaging';
import { QueueBoardAuthMiddleware } from './queue-board-auth.middleware';

/**
 * Bull Board, the queue UI, at `/api/queues` (its JSON API under `/api/queues/api`), over
 * every queue of the product, behind QueueBoardAuthMiddleware. Postgres stays the source
 * of truth: a job removed here is re-enqueued by the reconcilers while its row is due.
 */
export const QUEUE_BOARD_ROUTE = '/api/queues';

@Module({
  imports: [
    BullBoardModule.forRoot({
      route: QUEUE_BOARD_ROUTE,
      adapter: ExpressAdapter,
      middleware: QueueBoardAuthMiddleware,
      boardOptions: { uiConfig: { boardTitle: 'Hookgate queues' } },
    }),
    BullBoardModule.forFeature(
      ...Object.values(QueueName).map((name) => ({ name, adapter: BullMQAdapter })),
    ),
  ],
})
export class QueuesModule {}
