import { join } from 'node:path';
import type { NewInboundEvent } from './event-writer';
import { ThreadedEventWriter } from './threaded-event-writer';

/**
 * The main-thread side of the writer thread, against a stand-in thread
 * (test/fixtures/fake-writer-thread.cjs) that answers without a database. The real thread
 * is covered end to end by writer-thread.e2e-spec.ts.
 */
const FAKE_THREAD = join(__dirname, '..', '..', 'test', 'fixtures', 'fake-writer-thread.cjs');
const SETTINGS = {
  databaseUrl: 'postgres://unused',
  poolSize: 1,
  redisUrl: 'redis://unused',
  queuePrefix: 'unused',
  applicationName: 'unused',
  preparedStatements: true,
};

let n = 0;
function event(endpointPath = 'ep'): NewInboundEvent {
  n += 1;
  return {
    id: `event-${n}`,
    tenantId: 't',
    endpointId: 'e',
    endpointPath,
    state: 'received',
    method: 'POST',
    url: `/webhooks/${endpointPath}`,
    headers: { 'content-type': 'application/json' },
    query: {},
    rawBody: Buffer.from('{"a":1}'),
    contentType: 'application/json',
    payload: { a: 1 },
    semantic: {},
    deliveryIdentity: null,
    replayIdentity: null,
  };
}

describe('ThreadedEventWriter', () => {
  let writer: ThreadedEventWriter | undefined;
  const warnings: string[] = [];
  const errors: string[] = [];
  const log = {
    warn: (message: string) => warnings.push(message),
    error: (message: string) => errors.push(message),
  };

  beforeEach(() => {
    warnings.length = 0;
    errors.length = 0;
  });

  afterEach(async () => {
    await writer?.close();
    writer = undefined;
  });

  it('refuses to start without the compiled thread script', () => {
    expect(() => new ThreadedEventWriter('/nowhere/writer-thread.js', SETTINGS, log)).toThrow(
      /INBOUND_WRITER_THREAD=false/,
    );
  });

  it("hands one turn's inserts over in one message and resolves each with its answer", async () => {
    writer = new ThreadedEventWriter(FAKE_THREAD, SETTINGS, log);
    const events = [event(), event(), event()];
    const outcomes = await Promise.all(events.map((e) => writer!.insert(e)));
    expect(outcomes).toEqual(events.map((e) => ({ id: e.id, duplicate: false })));
    expect(warnings).toEqual(['batch of 3']);
    expect(writer.pendingInserts).toBe(0);
  });

  it('fails only the insert the thread could not store', async () => {
    writer = new ThreadedEventWriter(FAKE_THREAD, SETTINGS, log);
    const settled = await Promise.allSettled([
      writer.insert(event()),
      writer.insert(event('fail')),
    ]);
    expect(settled[0].status).toBe('fulfilled');
    expect(settled[1]).toEqual({ status: 'rejected', reason: new Error('no such endpoint') });
  });

  it('fails what a dying thread was given, starts a new one, and serves from it', async () => {
    writer = new ThreadedEventWriter(FAKE_THREAD, SETTINGS, log);
    const doomed = [writer.insert(event()), writer.insert(event('die'))];
    const settled = await Promise.allSettled(doomed);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/exit code 7/);
    expect(
      errors.some((message) => /stopped \(exit code 7\); 2 inserts failed/.test(message)),
    ).toBe(true);
    // Submitted while no thread runs: held, then handed to the next thread.
    const later = event();
    await expect(writer.insert(later)).resolves.toEqual({ id: later.id, duplicate: false });
  });

  it('on close, fails inserts that are never answered and stops the thread', async () => {
    writer = new ThreadedEventWriter(FAKE_THREAD, SETTINGS, log, 200);
    const held = writer.insert(event('hold'));
    const closing = writer.close();
    await expect(held).rejects.toThrow(/shut down before the insert was answered/);
    await closing;
    await expect(writer.insert(event())).rejects.toThrow(/shutting down/);
  });
});
