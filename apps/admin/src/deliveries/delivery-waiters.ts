import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { subscribeDeliveryNotices } from '@app/messaging';
import { APP_CONFIG } from '@app/platform';
import type { AdminConfig } from '../config';

/**
 * The synchronous sends this admin process holds (`POST /deliveries?wait=`), woken by the
 * dispatcher's delivery notices (one Redis subscription per process, shared by all). At
 * most DELIVERY_WAIT_MAX_WAITERS at once: `acquire` answers null beyond that, and the
 * caller answers 202 as without `wait`. Every wait ends at its deadline, when the client
 * goes away, or at shutdown; a waiter holds a timer and a map entry, never a connection.
 */
@Injectable()
export class DeliveryWaiters implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly byDelivery = new Map<string, Set<DeliveryWaiter>>();
  private held = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AdminConfig) {}

  /** Waiters held now (a test and a metric's reading). */
  get size(): number {
    return this.held;
  }

  /** A waiter, or null when this process already holds its cap of them. */
  acquire(): DeliveryWaiter | null {
    if (this.held >= this.config.DELIVERY_WAIT_MAX_WAITERS) return null;
    this.held += 1;
    return new DeliveryWaiter(
      (id, waiter) => this.add(id, waiter),
      (id, waiter) => {
        this.held -= 1;
        if (id !== null) this.remove(id, waiter);
      },
    );
  }

  /** Wakes the waiters of these deliveries (what a notice carries). */
  notify(ids: string[]): void {
    for (const id of ids) for (const waiter of this.byDelivery.get(id) ?? []) waiter.notify();
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = subscribeDeliveryNotices(this.config, this.config.QUEUE_PREFIX, (ids) =>
      this.notify(ids),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const waiters of this.byDelivery.values()) for (const waiter of waiters) waiter.end();
    await this.unsubscribe?.();
  }

  private add(id: string, waiter: DeliveryWaiter): void {
    const waiters = this.byDelivery.get(id) ?? new Set<DeliveryWaiter>();
    waiters.add(waiter);
    this.byDelivery.set(id, waiters);
  }

  private remove(id: string, waiter: DeliveryWaiter): void {
    const waiters = this.byDelivery.get(id);
    waiters?.delete(waiter);
    if (waiters?.size === 0) this.byDelivery.delete(id);
  }
}

/**
 * One synchronous send's wait on one delivery. Notices that arrive between two `next`
 * calls are kept (as one), so a notice sent while the caller reads Postgres is not lost.
 */
export class DeliveryWaiter {
  private deliveryId: string | null = null;
  private pending = false;
  private ended = false;
  private wake: (() => void) | null = null;
  private released = false;

  constructor(
    private readonly register: (id: string, waiter: DeliveryWaiter) => void,
    private readonly unregister: (id: string | null, waiter: DeliveryWaiter) => void,
  ) {}

  /** Starts listening for notices of this delivery (before its first read). */
  watch(deliveryId: string): void {
    this.deliveryId = deliveryId;
    this.register(deliveryId, this);
  }

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Shutdown: every wait ends now. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /**
   * Resolves true at the next notice (or one that came since the last call), false at the
   * deadline, when `signal` aborts, or at shutdown.
   */
  next(deadline: number, signal: AbortSignal): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted || this.ended) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.wake = null;
        const notified = this.pending && !this.ended && !signal.aborted;
        this.pending = false;
        resolve(notified);
      };
      const timer = setTimeout(finish, left);
      signal.addEventListener('abort', finish, { once: true });
      this.wake = finish;
    });
  }

  /** Gives the waiter's place back; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.wake?.();
    this.unregister(this.deliveryId, this);
  }
}
