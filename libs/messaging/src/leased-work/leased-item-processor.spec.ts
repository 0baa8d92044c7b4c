import { EventEmitter } from 'node:events';
import { LeasedItemProcessor, logWorkerErrors } from './leased-item-processor';
import { OUTBOUND_DELIVERY_WORK } from './leased-work';

/** A handler whose runs stay in flight until released, recording what it was given. */
function heldHandler(fail: string[] = []) {
  const started: string[] = [];
  const releases: Array<() => void> = [];
  return {
    started,
    releaseAll: () => releases.splice(0).forEach((release) => release()),
    execute: (id: string) => {
      started.push(id);
      if (fail.includes(id)) return Promise.reject(new Error(`claim of ${id} failed`));
      return new Promise<string>((resolve) => releases.push(() => resolve('done')));
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LeasedItemProcessor.handOff', () => {
  it('runs at once as many items as it has free slots, and answers the rest', async () => {
    const handler = heldHandler();
    const processor = new LeasedItemProcessor(OUTBOUND_DELIVERY_WORK, handler, 2);
    const failed: string[] = [];
    expect(processor.handOff(['a', 'b', 'c'], (id) => failed.push(id))).toEqual(['c']);
    await tick();
    expect(handler.started).toEqual(['a', 'b']);
    // Both slots are taken now: nothing more is taken until one frees.
    expect(processor.handOff(['d'], (id) => failed.push(id))).toEqual(['d']);
    handler.releaseAll();
    await tick();
    expect(processor.handOff(['e'], (id) => failed.push(id))).toEqual([]);
    await tick();
    expect(handler.started).toEqual(['a', 'b', 'e']);
    expect(failed).toEqual([]);
    handler.releaseAll();
  });

  it('gives an item whose run throws to onFailed, to be enqueued after all', async () => {
    const handler = heldHandler(['bad']);
    const processor = new LeasedItemProcessor(OUTBOUND_DELIVERY_WORK, handler, 4);
    const failed: string[] = [];
    expect(processor.handOff(['ok', 'bad'], (id) => failed.push(id))).toEqual([]);
    await tick();
    await tick();
    expect(failed).toEqual(['bad']);
    handler.releaseAll();
  });

  it('lets handed-over items finish before shutdown, and takes none after it began', async () => {
    const handler = heldHandler();
    const processor = new LeasedItemProcessor(OUTBOUND_DELIVERY_WORK, handler, 4);
    processor.handOff(['a'], () => undefined);
    await tick();
    let closed = false;
    const closing = processor.beforeApplicationShutdown().then(() => (closed = true));
    expect(processor.handOff(['b'], () => undefined)).toEqual(['b']);
    await tick();
    expect(closed).toBe(false);
    handler.releaseAll();
    await closing;
    expect(closed).toBe(true);
    expect(handler.started).toEqual(['a']);
  });
});

describe('logWorkerErrors', () => {
  it("logs a worker's error events as warnings, so none is thrown as unhandled", () => {
    const worker = new EventEmitter();
    const warnings: string[] = [];
    logWorkerErrors(worker, { warn: (message: string) => warnings.push(message) }, 'q');
    // Without a listener, an EventEmitter throws on `error`.
    expect(() =>
      worker.emit('error', new Error('Missing key for job j1. moveToFinished')),
    ).not.toThrow();
    expect(warnings).toEqual(['q worker: Missing key for job j1. moveToFinished']);
  });
});
