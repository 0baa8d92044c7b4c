import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { QueueName } from '@app/messaging';
import { QueueBoardAuthMiddleware } from './queue-board-auth.middleware';
import { QueueBoardAdapter } from './queue-board.adapter';

/**
 * Bull Board, the queue UI, at `/api/queues` (its JSON API under `/api/queues/api`), over
 * every queue of the product, behind QueueBoardAuthMiddleware. Postgres stays the source
 * of truth: a job removed here is re-enqueued by the reconcilers while its row is due.
 * Redis being away is a 503 `unavailable` on its JSON API (QueueBoardAdapter).
 */
export const QUEUE_BOARD_ROUTE = '/api/queues';

@Module({
  imports: [
    BullBoardModule.forRoot({
      route: QUEUE_BOARD_ROUTE,
      adapter: QueueBoardAdapter,
      middleware: QueueBoardAuthMiddleware,
      boardOptions: { uiConfig: { boardTitle: 'Hookgate queues' } },
    }),
    BullBoardModule.forFeature(
      ...Object.values(QueueName).map((name) => ({ name, adapter: BullMQAdapter })),
    ),
  ],
})
export class QueuesModule {}
