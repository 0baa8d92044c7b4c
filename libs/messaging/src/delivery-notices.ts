import type { RedisClient, RedisTarget } from '@app/platform/redis-connection';
import { subscribeJsonChannel } from './config-changes';

/**
 * "A delivery left `processing`" notices, from the dispatcher to admins holding a
 * synchronous send (`POST /deliveries?wait=`). A notice is only a hint to look again:
 * the waiter reads the attempt from Postgres, so a lost, late or spurious notice costs a
 * wait or a read, never a wrong answer. Ids are coalesced per event-loop turn into one
 * PUBLISH, so the dispatcher's hot path pays a fraction of a Redis command per delivery.
 */
export function deliveryNoticeChannel(prefix: string): string {
  return `${prefix}:delivery-attempted`;
}

/** Most ids in one message; a larger turn publishes several. */
const MAX_IDS_PER_NOTICE = 500;

/** The dispatcher's side: announces delivery ids, never waits and never throws. */
export class DeliveryNoticePublisher {
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    private readonly redis: Pick<RedisClient, 'publish'>,
    private readonly prefix: string,
  ) {}

  announce(deliveryId: string): void {
    this.pending.push(deliveryId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.pending;
    this.pending = [];
    const channel = deliveryNoticeChannel(this.prefix);
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_NOTICE) {
      const message = JSON.stringify(ids.slice(i, i + MAX_IDS_PER_NOTICE));
      // A notice lost with Redis only delays a waiter until its deadline's Postgres read.
      this.redis.publish(channel, message).catch(() => undefined);
    }
  }
}

/** Subscribes on a connection of its own; returns the function that unsubscribes. */
export function subscribeDeliveryNotices(
  target: RedisTarget,
  prefix: string,
  onIds: (ids: string[]) => void,
): () => Promise<void> {
  // A malformed notice is ignored: waiters still read Postgres at their deadline.
  return subscribeJsonChannel(target, deliveryNoticeChannel(prefix), (ids) => {
    if (Array.isArray(ids)) onIds(ids.filter((id): id is string => typeof id === 'string'));
  });
}
