/**
 * Per-endpoint in-flight cap of one dispatcher process (issue 21, item 14): a slow sink
 * must not hold every one of DISPATCHER_CONCURRENCY's slots while other endpoints wait.
 * A delivery over its endpoint's cap is not sent and does not wait in a slot: the caller
 * puts it back to `queued` (not counted as an attempt) for the delay `postponeMs` answers.
 *
 * The delay grows with the number of this endpoint's deliveries already postponed and not
 * yet due, one "round" per `cap` of them, so a backlog of a slow endpoint comes back a cap
 * at a time instead of all of them being claimed and put back every second.
 */
export class EndpointSlots {
  private readonly inFlight = new Map<string, number>();
  private readonly postponed = new Map<string, number>();

  constructor(
    private readonly cap: number,
    private readonly baseDelayMs = 1000,
    private readonly maxDelayMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Takes one of the endpoint's slots; false when all `cap` are in use. */
  tryTake(endpointId: string): boolean {
    const used = this.inFlight.get(endpointId) ?? 0;
    if (used >= this.cap) return false;
    this.inFlight.set(endpointId, used + 1);
    return true;
  }

  give(endpointId: string): void {
    const used = (this.inFlight.get(endpointId) ?? 1) - 1;
    if (used <= 0) this.inFlight.delete(endpointId);
    else this.inFlight.set(endpointId, used);
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
    return this.inFlight.get(endpointId) ?? 0;
  }
}
