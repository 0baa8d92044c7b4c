import { LRUCache } from 'lru-cache';

/**
 * Per-endpoint in-flight cap of one dispatcher process (issue 21, item 14): a slow sink
 * must not hold every one of DISPATCHER_CONCURRENCY's slots while other endpoints wait.
 *
 * A delivery over its endpoint's cap waits here for one of the endpoint's slots only while
 * the endpoint is answering promptly (none of its requests in flight for longer than
 * `slowAfterMs`), and at most `maxWaitMs`: a fast endpoint's backlog flows through its cap
 * without being put back to the queue. Otherwise `acquire` answers null and the caller puts
 * the delivery back to `queued` (not an attempt) for `postponeMs`: a slow endpoint's
 * overflow then holds no slot at all.
 *
 * An endpoint that has **proven prompt** — its last `cap` answers each came within
 * `promptAnswerMs`, and none of its requests is in flight for longer than `slowAfterMs` —
 * may use up to `burstCap` slots (by default all but `cap` of the process's): one busy, fast
 * receiver gets the throughput batching needs, while `cap` slots always stay for the other
 * endpoints. An endpoint not seen yet, or whose last answer was slow, gets `cap`: a slow
 * sink never holds more than `cap` slots, even on its first burst. A prompt endpoint that
 * turns slow holds at most `burstCap` slots, and only until those requests end.
 *
 * The postponement grows with the number of this endpoint's deliveries already postponed
 * and not yet due, one "round" per `cap` of them, so a slow endpoint's backlog comes back
 * a cap at a time instead of all of it being claimed and put back every second.
 */
export interface EndpointSlot {
  release(): void;
}

export interface EndpointSlotsOptions {
  /** Most slots an endpoint that has proven prompt may hold (default: `cap`, no burst). */
  burstCap?: number;
  /** An answer within this counts toward proving the endpoint prompt. */
  promptAnswerMs?: number;
  maxWaitMs?: number;
  slowAfterMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  now?: () => number;
}

interface Held {
  startedAt: number;
}

interface EndpointState {
  held: Set<Held>;
  waiters: Array<(slot: EndpointSlot | null) => void>;
}

/** Consecutive prompt answers per endpoint; bounded, so endpoint ids cannot grow it. */
const PROMPT_STREAKS_MAX = 10_000;

export class EndpointSlots {
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly promptStreaks = new LRUCache<string, number>({ max: PROMPT_STREAKS_MAX });
  private readonly burstCap: number;
  private readonly promptAnswerMs: number;
  private readonly postponed = new Map<string, number>();
  private readonly maxWaitMs: number;
  private readonly slowAfterMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly cap: number,
    options: EndpointSlotsOptions = {},
  ) {
    this.burstCap = Math.max(cap, options.burstCap ?? cap);
    this.promptAnswerMs = options.promptAnswerMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? 2000;
    this.slowAfterMs = options.slowAfterMs ?? 2000;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** One of the endpoint's slots, or null when the delivery should be put back instead. */
  acquire(endpointId: string): Promise<EndpointSlot | null> {
    let state = this.endpoints.get(endpointId);
    if (!state) {
      state = { held: new Set(), waiters: [] };
      this.endpoints.set(endpointId, state);
    }
    if (state.held.size < this.capOf(endpointId, state)) {
      return Promise.resolve(this.hold(endpointId, state));
    }
    if (this.isSlow(state)) return Promise.resolve(null);
    const waiters = state.waiters;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const at = waiters.indexOf(handOver);
        if (at >= 0) waiters.splice(at, 1);
        resolve(null);
      }, this.maxWaitMs);
      const handOver = (slot: EndpointSlot | null) => {
        clearTimeout(timer);
        resolve(slot);
      };
      waiters.push(handOver);
    });
  }

  /** How long to put a delivery over the cap back for; counts it as waiting until then. */
  postponeMs(endpointId: string): number {
    const waiting = this.postponed.get(endpointId) ?? 0;
    const rounds = 1 + Math.floor(waiting / this.cap);
    const delayMs =
      Math.min(this.maxDelayMs, this.baseDelayMs * rounds) +
      Math.floor(this.random() * this.baseDelayMs * 0.5);
    this.postponed.set(endpointId, waiting + 1);
    setTimeout(() => {
      const left = (this.postponed.get(endpointId) ?? 1) - 1;
      if (left <= 0) this.postponed.delete(endpointId);
      else this.postponed.set(endpointId, left);
    }, delayMs).unref();
    return delayMs;
  }

  /** Deliveries of the endpoint in flight in this process (for tests and metrics). */
  inFlightOf(endpointId: string): number {
    return this.endpoints.get(endpointId)?.held.size ?? 0;
  }

  private hold(endpointId: string, state: EndpointState): EndpointSlot {
    const held: Held = { startedAt: this.now() };
    state.held.add(held);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        state.held.delete(held);
        const prompt = this.now() - held.startedAt <= this.promptAnswerMs;
        const streak = this.promptStreaks.get(endpointId) ?? 0;
        this.promptStreaks.set(endpointId, prompt ? Math.min(streak + 1, this.cap) : 0);
        const next = state.waiters.shift();
        if (next) next(this.hold(endpointId, state));
        else if (state.held.size === 0) this.endpoints.delete(endpointId);
      },
    };
  }

  /** `burstCap` for an endpoint proven prompt and not slow now, else `cap`. */
  private capOf(endpointId: string, state: EndpointState): number {
    if (this.burstCap === this.cap) return this.cap;
    const proven = (this.promptStreaks.get(endpointId) ?? 0) >= this.cap;
    return proven && !this.isSlow(state) ? this.burstCap : this.cap;
  }

  /** Some request of the endpoint has been in flight for longer than `slowAfterMs`. */
  private isSlow(state: EndpointState): boolean {
    const now = this.now();
    for (const held of state.held) if (now - held.startedAt > this.slowAfterMs) return true;
    return false;
  }
}
