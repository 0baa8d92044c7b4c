/**
 * Gathers items submitted concurrently into batches, so work that would cost one database
 * round trip per item (a claim, a state update) costs one per batch. Items submitted in
 * the same turn of the event loop, or while earlier batches are in flight, share a batch;
 * each caller's promise settles with its own item's result once its batch has run.
 *
 * Under light load a batch holds one item and the only cost is a `setImmediate`.
 */
export interface MicroBatcherOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Batches running at once; the rest wait and join the next batch. */
  maxInFlight: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  private readonly pending: Array<Pending<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;

  /** `run` answers one result per item, in the items' order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) {
      throw new Error('MicroBatcher needs maxBatch ≥ 1 and maxInFlight ≥ 1');
    }
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.pending.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        if (this.pending.length > 0) this.schedule();
      });
    }
  }

  private async flush(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length) {
        throw new Error(`batch of ${batch.length} answered ${results.length} results`);
      }
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
