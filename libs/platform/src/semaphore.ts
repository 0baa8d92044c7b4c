/**
 * Counts permits for work that must not run more than `permits` at once in a process (the
 * dispatcher's deliveries in flight, whatever jobs carry them). Waiters are served in
 * arrival order.
 */
export class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new Error('Semaphore needs at least one permit');
    }
    this.free = permits;
  }

  /** Runs `work` once a permit is free, and gives the permit back however it ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.free += 1;
    }
  }

  /** Permits not in use (for tests and metrics). */
  get available(): number {
    return this.free;
  }
}
