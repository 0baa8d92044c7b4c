import { isUuidv7, uuidv7, uuidv7Timestamp } from './uuidv7';

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10', () => {
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuidv7(id)).toBe(true);
  });

  it('encodes the given Unix milliseconds in the first 48 bits', () => {
    const now = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
    const id = uuidv7(now);
    expect(id.slice(0, 13)).toBe(
      `${now.toString(16).padStart(12, '0').slice(0, 8)}-${now.toString(16).padStart(12, '0').slice(8)}`,
    );
    expect(uuidv7Timestamp(id)).toBe(now);
    expect(uuidv7Timestamp(uuidv7(0))).toBe(0);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const now = Date.UTC(2030, 0, 1);
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // 5000 ids overflow the 12-bit counter, which borrows the next milliseconds.
    expect(uuidv7Timestamp(ids[ids.length - 1])).toBeGreaterThan(now);
    const later = uuidv7(now + 10_000);
    expect(later > ids[ids.length - 1]).toBe(true);
  });

  it('keeps counting through a small backward clock step', () => {
    const now = Date.UTC(2031, 0, 1);
    const first = uuidv7(now);
    const stepped = uuidv7(now - 5);
    expect(stepped > first).toBe(true);
    expect(uuidv7Timestamp(stepped)).toBe(now);
  });

  it('is random across calls', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uuidv7()));
    expect(ids.size).toBe(1000);
  });

  it('never hands out the same random bits twice, across refills of its random pool', () => {
    // The pool holds 410 ids' worth; 2,000 ids refill it several times. The last 62 bits
    // are random in every id, so a reused slice would show up as a repeated tail.
    const start = Date.UTC(2032, 0, 1);
    const tails = Array.from({ length: 2000 }, (_, i) => uuidv7(start + i * 2000).slice(19));
    expect(new Set(tails).size).toBe(tails.length);
  });

  it.each([-1, Number.NaN, 2 ** 48, Infinity])('refuses timestamp %p', (now) => {
    expect(() => uuidv7(now)).toThrow(RangeError);
  });

  it('reads timestamps only from UUIDv7s', () => {
    expect(() => uuidv7Timestamp('00000000-0000-4000-8000-000000000000')).toThrow(RangeError);
    expect(isUuidv7(42)).toBe(false);
    expect(isUuidv7(uuidv7().toUpperCase())).toBe(true);
  });
});
