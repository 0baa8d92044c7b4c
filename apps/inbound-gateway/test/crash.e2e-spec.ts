import { Queue } from 'bullmq';
import { QueueName } from '@app/messaging';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Crash safety with real processes: the gateway (receiver and worker in one process) is
 * killed with SIGKILL while it works through a batch; a new one finishes the batch. Nothing
 * acknowledged is lost and every record reflects each event exactly once.
 */
jest.setTimeout(180_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

describe('inbound worker killed mid-batch', () => {
  let gateway: RunningApp | undefined;
  let admin: RunningApp | undefined;

  afterAll(async () => {
    if (gateway) await stopApp(gateway, 'SIGKILL');
    if (admin) await stopApp(admin);
  });

  it('loses nothing and applies each event once', async () => {
    const env = {
      DATABASE_URL: db(),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}_crash`,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      RECONCILE_INTERVAL_SECONDS: '1',
      PROCESSING_LEASE_SECONDS: '3',
      INBOUND_WORKER_CONCURRENCY: '4',
    };
    const [inboundPort, adminPort] = await Promise.all([freePort(), freePort()]);
    admin = spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) });
    gateway = spawnApp('inbound-gateway', { ...env, INBOUND_PORT: String(inboundPort) });
    for (const [app, port] of [
      [admin, adminPort],
      [gateway, inboundPort],
    ] as const) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
        {
          timeoutMs: 60_000,
          what: `ready on ${port}: ${app.output()}`,
        },
      );
    }
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      return res.json() as Promise<any>;
    };
    const code = `crash-${Date.now().toString(36)}`;
    await api('/handlers', {
      code,
      name: 'crash',
      direction: 'inbound',
      executionMode: 'rules',
      rules: [
        {
          sequence: 1,
          name: 'count',
          conditions: [],
          action: 'upsert_record',
          targetModel: code,
          lookups: [{ field: 'n', source: { kind: 'payload', path: 'n' } }],
          assignments: [
            { field: 'n', source: { kind: 'payload', path: 'n' } },
            { field: 'event', source: { kind: 'event', field: 'id' } },
          ],
        },
      ],
    });
    const endpoint = await api('/inbound-endpoints', { name: code, path: code, handler: code });

    const total = 1500;
    const acknowledged: string[] = [];
    // The queue is paused while the batch is posted, so that the worker starts on all of it
    // at once and the kill below lands mid-work (it would otherwise keep up with the posts).
    const jobs = new Queue(QueueName.InboundEvents, {
      connection: { url: process.env.REDIS_URL },
      prefix: env.QUEUE_PREFIX,
    });
    await jobs.pause();
    for (let start = 0; start < total; start += 100) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(`http://127.0.0.1:${inboundPort}${endpoint.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ n: start + i }),
          }).then(async (res) => ({
            status: res.status,
            body: (await res.json()) as { id: string },
          })),
        ),
      );
      for (const answer of answers) if (answer.status === 202) acknowledged.push(answer.body.id);
    }
    expect(acknowledged).toHaveLength(total);
    await jobs.resume();
    await jobs.close();

    const doneCount = async () => {
      const [row] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM inbound_events WHERE endpoint_path = $1 AND state = 'done'`,
        [code],
      );
      return Number(row.n);
    };

    // Kill the gateway while it is still working through the batch.
    await waitFor(async () => ((await doneCount()) > 50 ? true : undefined), { intervalMs: 20 });
    await stopApp(gateway, 'SIGKILL');
    expect(await doneCount()).toBeLessThan(total);

    gateway = spawnApp('inbound-gateway', { ...env, INBOUND_PORT: String(inboundPort) });
    await waitFor(async () => ((await doneCount()) === total ? true : undefined), {
      timeoutMs: 120_000,
      what: `all ${total} events done; gateway output: ${gateway.output().slice(-2000)}`,
    });
    const records = await query<{ n: string; distinct_n: string }>(
      db(),
      `SELECT count(*) AS n, count(DISTINCT data->>'n') AS distinct_n FROM records WHERE model = $1`,
      [code],
    );
    expect(Number(records[0].n)).toBe(total);
    expect(Number(records[0].distinct_n)).toBe(total);
  });
});
