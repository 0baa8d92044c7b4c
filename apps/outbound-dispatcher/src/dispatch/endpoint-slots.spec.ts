import { EndpointSlots } from './endpoint-slots';

describe('EndpointSlots', () => {
  it('gives each endpoint at most its cap, independently of other endpoints', () => {
    const slots = new EndpointSlots(2);
    expect(slots.tryTake('a')).toBe(true);
    expect(slots.tryTake('a')).toBe(true);
    expect(slots.tryTake('a')).toBe(false);
    expect(slots.tryTake('b')).toBe(true);
    slots.give('a');
    expect(slots.inFlightOf('a')).toBe(1);
    expect(slots.tryTake('a')).toBe(true);
  });

  it('puts a backlog back a cap at a time, with longer delays the more are waiting', () => {
    jest.useFakeTimers();
    try {
      const slots = new EndpointSlots(2, 1000, 3000, () => 0);
      const delays = Array.from({ length: 8 }, () => slots.postponeMs('a'));
      expect(delays).toEqual([1000, 1000, 2000, 2000, 3000, 3000, 3000, 3000]);
      jest.advanceTimersByTime(3000);
      expect(slots.postponeMs('a')).toBe(1000);
    } finally {
      jest.useRealTimers();
    }
  });
});
