import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { Queue } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, QueueName } from '@app/messaging/queues';
import { describeEnqueueFailure, INBOUND_EVENT_WORK } from '@app/messaging/leased-work/leased-work';
import { PacedEnqueuer } from '@app/messaging/leased-work/paced-enqueuer';
import { createPgPool } from '@app/persistence/pg-pool';
import { closeQueueConnection, queueConnection } from '@app/platform/redis-connection';
import { EventWriter, runSqlOnPg, type NewInboundEvent } from './event-writer';
import {
  WRITER_THREAD_KEY,
  type FromWriterThread,
  type SettledInsert,
  type ToWriterThread,
  type WireEvent,
  type WriterThreadSettings,
} from './writer-thread.protocol';

const HEAP_REPORT_MS = 5000;

/**
 * The gateway's event-writer thread: the group commit (EventWriter over its own `pg` pool)
 * and the enqueue of stored events (PacedEnqueuer over its own queue connection). The
 * main thread keeps HTTP, verification and parsing; serialising each statement's rows,
 * parsing Postgres's answers and building BullMQ pipelines happen here, on another core.
 * Results go back in one message per event-loop turn.
 */
function run(port: NonNullable<typeof parentPort>, settings: WriterThreadSettings): void {
  const send = (message: FromWriterThread) => port.postMessage(message);
  const pool = createPgPool(
    {
      url: settings.databaseUrl,
      poolSize: settings.poolSize,
      applicationName: settings.applicationName,
    },
    (error) => send({ type: 'warn', message: `idle Postgres connection failed: ${error.message}` }),
  );
  const connection = queueConnection({
    REDIS_URL: settings.redisUrl,
    REDIS_CLUSTER_NODES: settings.redisClusterNodes,
  });
  const queue = new Queue(QueueName.InboundEvents, {
    connection,
    prefix: settings.queuePrefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  queue.on('error', () => undefined); // a failed addBulk is reported through onError below
  const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, (error) =>
    send({ type: 'warn', message: describeEnqueueFailure(INBOUND_EVENT_WORK, error) }),
  );
  const writer = new EventWriter(runSqlOnPg(pool, settings.preparedStatements), {
    enqueuer,
  });

  // The main thread's /metrics shows this thread's heap (its own isolate, not in the
  // process's default metrics).
  const reportHeap = () => send({ type: 'heap', usedBytes: getHeapStatistics().used_heap_size });
  reportHeap();
  const heap = setInterval(reportHeap, HEAP_REPORT_MS);
  heap.unref();

  let settled: SettledInsert[] = [];
  const flushSettled = () => {
    send({ type: 'settled', results: settled });
    settled = [];
  };
  const settle = (result: SettledInsert) => {
    if (settled.length === 0) setImmediate(flushSettled);
    settled.push(result);
  };

  port.on('message', (message: ToWriterThread) => {
    if (message.type === 'insert') {
      for (const [seq, wire] of message.events) {
        writer.insert(fromWire(wire)).then(
          (outcome) => settle([seq, outcome.id, outcome.duplicate]),
          (error: unknown) =>
            settle([seq, null, false, error instanceof Error ? error.message : String(error)]),
        );
      }
    } else if (message.type === 'close') {
      // The main thread sends this once no insert is pending: what is left is the last
      // enqueue, held back by the interval.
      clearInterval(heap);
      void enqueuer
        .drain()
        .then(() => Promise.allSettled([queue.close(), pool.end()]))
        .then(() => closeQueueConnection(connection))
        .then(() => send({ type: 'closed' }));
    }
  });
}

function fromWire(wire: WireEvent): NewInboundEvent {
  const body = wire.rawBody;
  return {
    ...wire,
    payload: undefined,
    rawBody: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  };
}

const settings = (workerData as Record<string, WriterThreadSettings> | null)?.[WRITER_THREAD_KEY];
if (parentPort && settings) run(parentPort, settings);
