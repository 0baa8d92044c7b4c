import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21 item 5: a sink's answer that Postgres cannot store as sent (a NUL in the body,
 * bytes outside ASCII in a header) must not erase its own attempt. Before the fix the
 * attempt statement failed: the delivery went to `error` with no attempt row, a retryable
 * 500 became terminal, and the deliveries whose attempts were logged in the same batch
 * lost their retry (left `queued` with no job).
 *
 * The reconciler is pushed out of the test's reach, so a delivery only comes back if the
 * dispatcher itself scheduled its retry.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const fastRetries = { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 2 };
const CLEAN_DELIVERIES = 7;
/** Latin-1 as undici reads it: ÿ, the invalid UTF-8 pair C3 28, and ED A0 80 (a UTF-8 surrogate). */
const ODD_HEADER = 'a\u00ff\u00c3(\u00ed\u00a0\u0080z';

/**
 * Answers each delivery's first request with a 500 only once every first request has
 * arrived, all in the same moment, so their attempts are logged together; later requests
 * get a 200, as does every request to `/plain`. `/nul` answers with a NUL in its body and
 * odd bytes in a header.
 */
async function startHoldingSink(expectedFirsts: number) {
  const seen = new Map<string, number>();
  const bodies: string[] = [];
  const held: Array<() => void> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const key = `${req.url} ${body}`;
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      if (count > 1 || req.url?.startsWith('/plain')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      held.push(() => {
        if (req.url?.startsWith('/nul')) {
          res.writeHead(500, {
            'content-type': 'text/plain',
            'x-odd': ODD_HEADER,
            'set-cookie': 'session=sink-session-secret; HttpOnly',
          });
          res.end('a\0b');
        } else {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('busy');
        }
      });
      if (held.length === expectedFirsts) for (const answer of held.splice(0)) answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a sink answer Postgres cannot store as sent', () => {
  let harness: Harness;
  let publisher: HookgatePublisher;
  let sink: Awaited<ReturnType<typeof startHoldingSink>>;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', RECONCILE_INTERVAL_SECONDS: '3600' },
    });
    sink = await startHoldingSink(CLEAN_DELIVERIES + 1);
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  async function endpoint(targetPath: string): Promise<string> {
    const code = unique('nul');
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, { targetPath, retryPolicy: fastRetries }),
    });
    expect(res.status).toBe(201);
    return code;
  }

  it('keeps the attempt (sanitized) and the retry of it and of its batch neighbours', async () => {
    const nulCode = await endpoint('/nul');
    const cleanCode = await endpoint('/clean');
    await publisher.deliver({ endpoint: nulCode, payload: { n: 0 }, idempotencyKey: unique('k') });
    for (let i = 0; i < CLEAN_DELIVERIES; i++) {
      await publisher.deliver({
        endpoint: cleanCode,
        payload: { n: i + 1 },
        idempotencyKey: unique('k'),
      });
    }

    const current = () =>
      query<{ id: string; endpoint_code: string; state: string }>(
        db(),
        `SELECT id, endpoint_code, state FROM deliveries WHERE endpoint_code = ANY($1) ORDER BY created_at`,
        [[nulCode, cleanCode]],
      );
    // On timeout the states as they are: the assertion below then says which got stuck.
    const rows = await waitFor(
      async () => {
        const found = await current();
        return found.length === CLEAN_DELIVERIES + 1 &&
          found.every((r) => ['done', 'error', 'dead_letter'].includes(r.state))
          ? found
          : undefined;
      },
      { timeoutMs: 40_000, what: 'every delivery to be retried and settle' },
    ).catch(current);
    // Every one of them was retried by the dispatcher and succeeded on its second attempt.
    expect(rows.map((r) => r.state)).toEqual(rows.map(() => 'done'));

    const nul = rows.find((r) => r.endpoint_code === nulCode)!;
    const attempts = await query<{
      attempt_number: number;
      outcome: string;
      response_status: number | null;
      response_body: string | null;
      response_headers: Record<string, string> | null;
    }>(
      db(),
      `SELECT attempt_number, outcome, response_status, response_body, response_headers
         FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [nul.id],
    );
    expect(attempts.map((a) => [a.attempt_number, a.outcome, a.response_status])).toEqual([
      [1, 'retry', 500],
      [2, 'success', 200],
    ]);
    expect(attempts[0].response_body).toBe('a\ufffdb');
    expect(attempts[0].response_headers?.['x-odd']).toBe(ODD_HEADER);

    const cleanAttempts = await query<{ delivery_id: string; n: number }>(
      db(),
      `SELECT delivery_id, count(*)::int AS n FROM delivery_attempts
        WHERE delivery_id = ANY($1) GROUP BY delivery_id`,
      [rows.filter((r) => r.endpoint_code === cleanCode).map((r) => r.id)],
    );
    expect(cleanAttempts.map((a) => a.n)).toEqual(cleanAttempts.map(() => 2));
    expect(cleanAttempts).toHaveLength(CLEAN_DELIVERIES);
  });

  it('takes a published payload, context and key holding NUL and lone surrogates', async () => {
    // Before: the intake's insert was refused (jsonb), so the publish request was lost.
    const code = await endpoint('/plain');
    await publisher.deliver({
      endpoint: code,
      payload: { note: 'a\0b', odd: '\ud800' },
      context: { region: 'e\0u' },
      idempotencyKey: unique('k\0'),
    });
    const [row] = await waitFor(
      async () => {
        const found = await query<{ state: string; context: Record<string, string> }>(
          db(),
          `SELECT state, context FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return found[0]?.state === 'done' ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'the published delivery to be done' },
    );
    expect(row.context).toEqual({ region: 'e\ufffdu' });
    expect(sink.bodies.map((b) => JSON.parse(b) as unknown)).toContainEqual({
      note: 'a\ufffdb',
      odd: '\ufffd',
    });
  });
});
