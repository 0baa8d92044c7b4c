import { Injectable } from '@nestjs/common';
import { DeliveriesAdminRepository, type DeliveryAdminRow } from '@app/persistence';
import { DeliveriesService } from './deliveries.service';
import type { CreateDeliveryDto } from './delivery.dto';
import {
  toFirstAttemptView,
  toView,
  type DeliveryOutcome,
  type DeliveryView,
} from './delivery.views';
import { DeliveryWaiters } from './delivery-waiters';

/** States a delivery may reach without an HTTP attempt: its outcome is known. */
const FINISHED = new Set(['done', 'error', 'dead_letter', 'canceled']);

export type SynchronousAnswer =
  { status: 200; body: DeliveryOutcome } | { status: 202; body: DeliveryView };

/**
 * A synchronous send (SPEC §11, issue 26): the delivery is stored and queued exactly as
 * without `wait` (and retried as usual whatever happens here); then the caller waits up to
 * `waitSeconds` for its first attempt. Postgres says what happened; the dispatcher's
 * notices only say when to look. 200 with the delivery and its first attempt (or none, when
 * it finished without one), else 202 with the delivery as stored: at the deadline, when
 * the client goes away, for a delivery held as a draft, or when this process already
 * holds its cap of waiters.
 */
@Injectable()
export class DeliverAndWait {
  constructor(
    private readonly deliveries: DeliveriesService,
    private readonly rows: DeliveriesAdminRepository,
    private readonly waiters: DeliveryWaiters,
  ) {}

  async execute(
    tenantId: string,
    dto: CreateDeliveryDto,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<SynchronousAnswer> {
    const waiter = this.waiters.acquire();
    try {
      const stored = await this.deliveries.deliver(tenantId, dto);
      if (!waiter) return { status: 202, body: stored };
      const deadline = Date.now() + waitSeconds * 1000;
      waiter.watch(stored.id);
      for (;;) {
        const outcome = await this.outcome(tenantId, stored);
        if (outcome === 'held') break;
        if (outcome) return { status: 200, body: outcome };
        // Woken by a notice: read again. At the deadline (or on abort): one last read
        // below, so a lost notice costs the wait, not the answer.
        if (!(await waiter.next(deadline, signal))) {
          if (signal.aborted) break;
          const last = await this.outcome(tenantId, stored);
          if (last && last !== 'held') return { status: 200, body: last };
          break;
        }
      }
      return { status: 202, body: stored };
    } finally {
      waiter?.release();
    }
  }

  /** The first attempt's outcome, `held` for a draft (nothing will be sent), else null. */
  private async outcome(
    tenantId: string,
    stored: DeliveryView,
  ): Promise<DeliveryOutcome | 'held' | null> {
    // The row first: once it reads finished, its attempt (if it made one) is committed, so
    // the attempt read after it is final.
    const row = await this.rows.findOwned(tenantId, stored.id);
    if (!row) return null;
    const attempt = await this.rows.firstAttempt(stored.id);
    if (!attempt) {
      if (row.state === 'draft') return 'held';
      if (!FINISHED.has(String(row.state))) return null;
    }
    return {
      delivery: this.view(row, stored),
      attempt: attempt ? toFirstAttemptView(attempt) : null,
    };
  }

  private view(row: DeliveryAdminRow, stored: DeliveryView): DeliveryView {
    return stored.duplicate === undefined
      ? toView(row)
      : { ...toView(row), duplicate: stored.duplicate };
  }
}
