import type { AdminConfig } from '../config';
import { DeliveryWaiters } from './delivery-waiters';

function waiters(max: number): DeliveryWaiters {
  return new DeliveryWaiters({ DELIVERY_WAIT_MAX_WAITERS: max } as AdminConfig);
}

const never = new AbortController().signal;

describe('DeliveryWaiters', () => {
  it('holds at most the cap of waiters; a released place is given again', () => {
    const held = waiters(2);
    const a = held.acquire();
    const b = held.acquire();
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(held.acquire()).toBeNull();
    expect(held.size).toBe(2);
    a!.release();
    a!.release(); // idempotent: the count drops once
    expect(held.size).toBe(1);
    expect(held.acquire()).not.toBeNull();
    expect(held.size).toBe(2);
  });

  it('wakes only the waiters of the announced delivery', async () => {
    const held = waiters(10);
    const mine = held.acquire()!;
    const other = held.acquire()!;
    mine.watch('d1');
    other.watch('d2');
    const deadline = Date.now() + 5_000;
    const woken = mine.next(deadline, never);
    const otherWoken = other.next(Date.now() + 50, never);
    held.notify(['d1', 'unknown']);
    await expect(woken).resolves.toBe(true);
    await expect(otherWoken).resolves.toBe(false);
  });

  it('keeps a notice that came between two waits', async () => {
    const held = waiters(1);
    const waiter = held.acquire()!;
    waiter.watch('d1');
    held.notify(['d1']);
    await expect(waiter.next(Date.now() + 5_000, never)).resolves.toBe(true);
    await expect(waiter.next(Date.now() + 20, never)).resolves.toBe(false);
  });

  it('ends a wait at its deadline, when the client goes away, and at shutdown', async () => {
    const held = waiters(3);
    const timed = held.acquire()!;
    timed.watch('d1');
    const started = Date.now();
    await expect(timed.next(started + 30, never)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);

    const gone = new AbortController();
    const aborted = held.acquire()!;
    aborted.watch('d2');
    const waiting = aborted.next(Date.now() + 60_000, gone.signal);
    gone.abort();
    await expect(waiting).resolves.toBe(false);

    const shut = held.acquire()!;
    shut.watch('d3');
    const atShutdown = shut.next(Date.now() + 60_000, never);
    await held.onApplicationShutdown();
    await expect(atShutdown).resolves.toBe(false);
  });

  it('forgets a released waiter: a later notice reaches nobody', async () => {
    const held = waiters(1);
    const waiter = held.acquire()!;
    waiter.watch('d1');
    waiter.release();
    held.notify(['d1']);
    expect(held.size).toBe(0);
    expect((held as unknown as { byDelivery: Map<string, unknown> }).byDelivery.size).toBe(0);
  });
});
