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
