import { EndpointSlots } from './endpoint-slots';

describe('EndpointSlots', () => {
  let clock = 0;
  const now = () => clock;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
  });
  afterEach(() => jest.useRealTimers());

  it('gives each endpoint at most its cap, independently of other endpoints', async () => {
    const slots = new EndpointSlots(2, { now });
    const a1 = await slots.acquire('a');
    const a2 = await slots.acquire('a');
    expect(a1 && a2).toBeTruthy();
    expect(await slots.acquire('b')).not.toBeNull();
    expect(slots.inFlightOf('a')).toBe(2);
    a1!.release();
    a1!.release();
    expect(slots.inFlightOf('a')).toBe(1);
  });

  it('lets a delivery over the cap of a prompt endpoint wait for the next free slot', async () => {
    const slots = new EndpointSlots(1, { now, maxWaitMs: 1000 });
    const first = await slots.acquire('a');
    const waiting = slots.acquire('a');
    first!.release();
    const second = await waiting;
    expect(second).not.toBeNull();
    expect(slots.inFlightOf('a')).toBe(1);
  });

  it('answers null after maxWaitMs, and at once while a request of the endpoint is slow', async () => {
    const slots = new EndpointSlots(1, { now, maxWaitMs: 1000, slowAfterMs: 5000 });
    await slots.acquire('a');
    const waiting = slots.acquire('a');
    jest.advanceTimersByTime(1001);
    expect(await waiting).toBeNull();
    clock = 6000;
    expect(await slots.acquire('a')).toBeNull();
  });

  it('puts a backlog back a cap at a time, with longer delays the more are waiting', () => {
    const slots = new EndpointSlots(2, { baseDelayMs: 1000, maxDelayMs: 3000, random: () => 0 });
    const delays = Array.from({ length: 8 }, () => slots.postponeMs('a'));
    expect(delays).toEqual([1000, 1000, 2000, 2000, 3000, 3000, 3000, 3000]);
    jest.advanceTimersByTime(3000);
    expect(slots.postponeMs('a')).toBe(1000);
  });
});

describe('EndpointSlots burst for an endpoint proven prompt', () => {
  let clock = 0;
  const now = () => clock;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
  });
  afterEach(() => jest.useRealTimers());

  async function holdAll(slots: EndpointSlots, id: string, count: number) {
    const held = [];
    for (let i = 0; i < count; i++) {
      const slot = await Promise.race([
        slots.acquire(id),
        new Promise<'over'>((resolve) => {
          setTimeout(() => resolve('over'), 0);
          jest.advanceTimersByTime(0);
        }),
      ]);
      if (slot === 'over' || slot === null) break;
      held.push(slot);
    }
    return held;
  }

  it('gives an unseen endpoint only its cap, even on its first burst', async () => {
    const slots = new EndpointSlots(2, { now, burstCap: 6, slowAfterMs: 5000 });
    expect(await holdAll(slots, 'new', 10)).toHaveLength(2);
  });

  it('lets an endpoint whose last cap answers were prompt use the burst cap', async () => {
    const slots = new EndpointSlots(2, { now, burstCap: 6, promptAnswerMs: 100 });
    for (const slot of await holdAll(slots, 'fast', 2)) slot.release();
    expect(await holdAll(slots, 'fast', 10)).toHaveLength(6);
  });

  it('takes the burst back after a slow answer, and while a request is slow', async () => {
    const slots = new EndpointSlots(2, {
      now,
      burstCap: 6,
      promptAnswerMs: 100,
      slowAfterMs: 5000,
    });
    for (const slot of await holdAll(slots, 'e', 2)) slot.release();
    // A slow answer ends the streak: back to the cap.
    const [slow] = await holdAll(slots, 'e', 1);
    clock += 1000;
    slow.release();
    expect(await holdAll(slots, 'e', 10)).toHaveLength(2);
  });

  it('refuses the burst while one of its requests is in flight past slowAfterMs', async () => {
    const slots = new EndpointSlots(2, { now, burstCap: 6, promptAnswerMs: 100, slowAfterMs: 500 });
    for (const slot of await holdAll(slots, 'e', 2)) slot.release();
    const first = await holdAll(slots, 'e', 1);
    expect(first).toHaveLength(1);
    clock += 600;
    // Prompt so far, but the request in flight is now slow: only the cap.
    expect(await holdAll(slots, 'e', 10)).toHaveLength(1);
  });
});
