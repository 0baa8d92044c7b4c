import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { inboundWriterHeapUsed, inboundWriterRestarts, readWriterPendingWith } from '@app/platform';
import type { EventStore, InsertOutcome, NewInboundEvent } from './event-writer';
import {
  WRITER_THREAD_KEY,
  type FromWriterThread,
  type ToWriterThread,
  type WireEvent,
  type WriterThreadSettings,
} from './writer-thread.protocol';

export interface ThreadedEventWriterLog {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

interface Waiting {
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

/** A thread that dies is started again, but not more often than this. */
const RESTART_DELAY_MS = 1000;
/** How long `close` waits for inserts in flight before it stops the thread anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The gateway's EventStore when the group commit runs on its own thread
 * (`writer-thread.ts`, INBOUND_WRITER_THREAD). `insert` hands the event over — all events
 * of one event-loop turn in one message — and resolves when the thread reports the row
 * committed, exactly as EventWriter would. If the thread dies, every insert handed to it
 * and not answered fails (the caller answers 503, so no 2xx is ever given for a row that
 * might not be committed) and a new thread is started; inserts submitted meanwhile wait for
 * it.
 */
export class ThreadedEventWriter implements EventStore {
  private worker!: Worker;
  /** False from a thread's exit until its successor starts: events wait in the outbox. */
  private alive = false;
  private readonly waiting = new Map<number, Waiting>();
  private outbox: Array<[number, WireEvent]> = [];
  private flushScheduled = false;
  private seq = 0;
  private closing = false;
  private lastStart = 0;
  private idle: (() => void) | null = null;

  constructor(
    private readonly script: string,
    private readonly settings: WriterThreadSettings,
    private readonly log: ThreadedEventWriterLog,
    private readonly closeTimeoutMs = CLOSE_TIMEOUT_MS,
  ) {
    if (!existsSync(script)) {
      // Running from TypeScript sources (ts-node) leaves no compiled thread to start.
      throw new Error(
        `event-writer thread script ${script} not found: build first, or set INBOUND_WRITER_THREAD=false`,
      );
    }
    readWriterPendingWith(() => this.waiting.size);
    this.start();
  }

  /** Inserts handed over and not yet answered. */
  get pendingInserts(): number {
    return this.waiting.size;
  }

  insert(event: NewInboundEvent): Promise<InsertOutcome> {
    if (this.closing) return Promise.reject(new Error('the event writer is shutting down'));
    const seq = ++this.seq;
    const promise = new Promise<InsertOutcome>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
    });
    this.outbox.push([seq, toWire(event)]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOutbox());
    }
    return promise;
  }

  /** Nest calls this after the HTTP server has stopped taking requests. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Waits for inserts in flight (up to 10 s by default; any still unanswered then fail), lets the
   * thread send its last enqueues and close its connections, and stops it.
   */
  async close(): Promise<void> {
    this.closing = true;
    readWriterPendingWith(null);
    if (this.waiting.size > 0 && this.alive) {
      await Promise.race([
        new Promise<void>((resolve) => (this.idle = resolve)),
        new Promise((resolve) => setTimeout(resolve, this.closeTimeoutMs).unref()),
      ]);
    }
    for (const seq of [...this.waiting.keys()]) {
      this.fail(seq, new Error('the event writer shut down before the insert was answered'));
    }
    if (!this.alive) return;
    const worker = this.worker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToWriterThread);
    const timer = setTimeout(() => void worker.terminate(), this.closeTimeoutMs).unref();
    await exited;
    clearTimeout(timer);
  }

  private start(): void {
    this.lastStart = Date.now();
    const worker = new Worker(this.script, { workerData: { [WRITER_THREAD_KEY]: this.settings } });
    worker.on('message', (message: FromWriterThread) => this.onMessage(message));
    worker.on('error', (error) => this.log.error('event writer thread failed', error));
    worker.on('exit', (code) => this.onExit(worker, code));
    this.worker = worker;
    this.alive = true;
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    if (!this.alive) return; // posted when the next thread starts
    const events = this.outbox;
    this.outbox = [];
    try {
      this.worker.postMessage({ type: 'insert', events } satisfies ToWriterThread);
    } catch {
      // A value the structured clone cannot carry fails the whole message: send the events
      // one by one so only the offending one fails.
      for (const entry of events) {
        try {
          this.worker.postMessage({ type: 'insert', events: [entry] } satisfies ToWriterThread);
        } catch (error) {
          this.fail(entry[0], error);
        }
      }
    }
  }

  private onMessage(message: FromWriterThread): void {
    if (message.type === 'settled') {
      for (const [seq, id, duplicate, error] of message.results) {
        const waiting = this.waiting.get(seq);
        if (!waiting) continue;
        this.waiting.delete(seq);
        if (id === null) waiting.reject(new Error(error ?? 'insert failed'));
        else waiting.resolve({ id, duplicate });
      }
      if (this.waiting.size === 0 && this.idle) this.idle();
    } else if (message.type === 'heap') {
      inboundWriterHeapUsed.set(message.usedBytes);
    } else if (message.type === 'warn') {
      this.log.warn(message.message);
    } else if (message.type === 'closed') {
      void this.worker.terminate(); // its connections are closed; nothing is left to do
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.alive = false;
    // What the thread was given is lost with it; what is still in the outbox was never
    // handed over and goes to the next thread.
    const unsent = new Set(this.outbox.map(([seq]) => seq));
    const lost = [...this.waiting.keys()].filter((seq) => !unsent.has(seq));
    for (const seq of lost) {
      this.fail(seq, new Error(`the event writer thread stopped (exit code ${code})`));
    }
    if (this.closing) return;
    inboundWriterRestarts.inc();
    this.log.error(
      `event writer thread stopped (exit code ${code}); ${lost.length} inserts failed, starting a new one`,
    );
    const wait = Math.max(0, this.lastStart + RESTART_DELAY_MS - Date.now());
    setTimeout(() => {
      if (this.closing) return;
      this.start();
      if (this.outbox.length > 0) this.flushOutbox();
    }, wait);
  }

  private fail(seq: number, error: unknown): void {
    const waiting = this.waiting.get(seq);
    if (!waiting) return;
    this.waiting.delete(seq);
    waiting.reject(error);
    if (this.waiting.size === 0 && this.idle) this.idle();
  }
}

/**
 * The event as it crosses: payload as JSON text, the parsed value left behind. A spread
 * with `payload` overwritten, not a rest destructuring: on this per-request path V8 built
 * the rest object ~75× slower (4.7 µs against 62 ns per event in a micro-benchmark).
 */
function toWire(event: NewInboundEvent): WireEvent {
  const { payload, payloadJson } = event;
  return {
    ...event,
    payload: undefined,
    payloadJson:
      payloadJson ?? (payload === null || payload === undefined ? null : JSON.stringify(payload)),
  };
}
