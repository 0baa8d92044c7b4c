import { randomBytes } from 'node:crypto';
import { TEST_ADMIN_KEY, type Harness } from './support/harness';
import { sinkEndpointBody, unique } from './support/fixtures';
import { query } from './support/database';
import { type Sink, type SinkRequest } from './support/sink';
import { waitFor } from './support/wait';
import type { PrivateRedis } from './chaos/support/private-redis';
import { startPrivateRedisStack, type PrivateRedisStack } from './support/private-redis-stack';

/**
 * Deliveries with `files` (a multipart endpoint, docs/outbound.md "Files") across a Redis
 * restart, on a Redis server of the test's own without persistence (the shared one is
 * never stopped): a restart comes back empty, so every job is lost and the dispatcher's
 * reconciler (RECONCILE_INTERVAL_SECONDS=1 here) must re-enqueue the rows from Postgres.
 *
 * - Accepted before the outage, one in flight and the rest waiting when Redis is killed
 *   (their jobs are lost with it): every one reaches the sink exactly once, its file parts
 *   byte for byte, one attempt each, and ends `done` with its files still kept beside it
 *   (they go with the delivery, retention included, not when it is sent).
 * - Sent while Redis is down: `POST /deliveries` accepts durably (202 by a deadline, the
 *   row `queued` and all its file rows in Postgres, nothing at the sink), and once Redis
 *   is back each is sent exactly once, byte for byte; the same Idempotency-Key sent again
 *   is answered as a duplicate and sends nothing more.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;
const ACCEPT_DEADLINE_MS = 5_000;

interface FileSpec {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

async function parts(request: SinkRequest) {
  const form = await new Response(request.body, {
    headers: { 'content-type': String(request.headers['content-type']) },
  }).formData();
  const fields: Record<string, string> = {};
  const files: Array<{ field: string; name: string; type: string; bytes: Buffer }> = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') fields[field] = value;
    else
      files.push({
        field,
        name: value.name,
        type: value.type,
        bytes: Buffer.from(await value.arrayBuffer()),
      });
  }
  return { fields, files };
}

describe('files in deliveries across a Redis restart', () => {
  let redis: PrivateRedis;
  let harness: Harness;
  let sink: Sink;
  let stack: PrivateRedisStack;

  beforeAll(async () => {
    stack = await startPrivateRedisStack({ DISPATCHER_ENDPOINT_CONCURRENCY: '1' });
    ({ redis, harness, sink } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function multipartEndpoint(): Promise<{ code: string; path: string }> {
    const code = unique('files-redis');
    const path = `/${code}`;
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, { bodyMode: 'multipart', targetPath: path }),
    });
    expect(res.status).toBe(201);
    return { code, path };
  }

  /** Two files per delivery, binary content that holds CR LF and a boundary-like run. */
  function filesFor(marker: string): FileSpec[] {
    return [
      {
        field: 'invoice',
        filename: `${marker}.pdf`,
        contentType: 'application/pdf',
        bytes: Buffer.concat([Buffer.from('--hookgate-\r\n'), randomBytes(2500)]),
      },
      {
        field: 'notes',
        filename: 'notes.txt',
        contentType: 'text/plain',
        bytes: Buffer.from(`notes for ${marker}\r\n— ünïcode\n`),
      },
    ];
  }

  const deliver = (code: string, marker: string, files: FileSpec[], idempotencyKey?: string) =>
    fetch(`${harness.adminUrl}/api/v1/deliveries`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        endpoint: code,
        payload: { marker },
        idempotencyKey,
        files: files.map((f) => ({
          field: f.field,
          filename: f.filename,
          contentType: f.contentType,
          contentBase64: f.bytes.toString('base64'),
        })),
      }),
      signal: AbortSignal.timeout(ACCEPT_DEADLINE_MS),
    });

  const rowsOf = (code: string) =>
    query<{ id: string; state: string; attempts: number; files: number; file_bytes: number }>(
      db(),
      `SELECT d.id, d.state,
              (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts,
              (SELECT count(*)::int FROM delivery_files f WHERE f.delivery_id = d.id) AS files,
              (SELECT coalesce(sum(length(f.content)), 0)::int FROM delivery_files f
                WHERE f.delivery_id = d.id) AS file_bytes
         FROM deliveries d WHERE d.endpoint_code = $1 ORDER BY d.created_at, d.id`,
      [code],
    );

  /** Every request the sink received on `path`, by the marker its payload field carries. */
  async function requestsByMarker(path: string) {
    const byMarker = new Map<string, Array<Awaited<ReturnType<typeof parts>>>>();
    for (const request of sink.requests.filter((r) => r.url === path)) {
      const parsed = await parts(request);
      const marker = parsed.fields.marker;
      byMarker.set(marker, [...(byMarker.get(marker) ?? []), parsed]);
    }
    return byMarker;
  }

  async function expectSentOnceByteExact(path: string, sent: Map<string, FileSpec[]>) {
    const received = await requestsByMarker(path);
    expect([...received.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [marker, files] of sent) {
      const requests = received.get(marker)!;
      expect({ marker, requests: requests.length }).toEqual({ marker, requests: 1 });
      const got = requests[0].files;
      expect(got.map((f) => [f.field, f.name, f.type])).toEqual(
        files.map((f) => [f.field, f.filename, f.contentType]),
      );
      got.forEach((f, i) =>
        expect({ marker, i, equal: f.bytes.equals(files[i].bytes) }).toEqual({
          marker,
          i,
          equal: true,
        }),
      );
    }
  }

  const allDone = (code: string, n: number) =>
    waitFor(
      async () => {
        const rows = await rowsOf(code);
        return rows.length === n && rows.every((r) => r.state === 'done') ? rows : undefined;
      },
      { timeoutMs: 60_000, what: `${n} deliveries of ${code} done` },
    );

  it('sends deliveries accepted before the outage exactly once, byte for byte, when Redis is killed mid-dispatch', async () => {
    const { code, path } = await multipartEndpoint();
    // The first requests are held by the sink, and the endpoint has one slot per dispatcher
    // (DISPATCHER_ENDPOINT_CONCURRENCY=1): at the kill one is in flight, the rest wait.
    sink.script.push({ status: 200, delayMs: 1500 }, { status: 200, delayMs: 1500 });
    const sent = new Map<string, FileSpec[]>();
    for (let i = 0; i < 6; i++) {
      const marker = unique(`before-${i}`);
      const files = filesFor(marker);
      const res = await deliver(code, marker, files);
      expect(res.status).toBe(202);
      sent.set(marker, files);
    }
    await waitFor(() => (sink.requests.some((r) => r.url === path) ? true : undefined), {
      what: 'a first request in flight at the sink',
    });
    await redis.kill();
    // Work was still pending at the kill: fewer requests at the sink than deliveries, and
    // not every row done (one endpoint slot: the rest wait on the held first request).
    expect(sink.requests.filter((r) => r.url === path).length).toBeLessThan(sent.size);
    expect((await rowsOf(code)).filter((r) => r.state === 'done').length).toBeLessThan(sent.size);
    await redis.restart();

    const rows = await allDone(code, sent.size);
    await expectSentOnceByteExact(path, sent);
    for (const row of rows) {
      expect({ id: row.id, attempts: row.attempts, files: row.files }).toEqual({
        id: row.id,
        attempts: 1,
        files: 2,
      });
    }
    // The files stay beside the delivery until it is deleted (retention), then go with it.
    await query(db(), `DELETE FROM deliveries WHERE id = $1`, [rows[0].id]);
    const [left] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM delivery_files WHERE delivery_id = $1`,
      [rows[0].id],
    );
    expect(left.n).toBe(0);
  });

  it('accepts deliveries with files durably while Redis is down and sends each exactly once after it returns', async () => {
    const { code, path } = await multipartEndpoint();
    const sent = new Map<string, FileSpec[]>();
    const keys = new Map<string, string>();

    await redis.kill();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const marker = unique(`down-${i}`);
      const files = filesFor(marker);
      const key = unique('files-redis-key');
      const started = Date.now();
      const res = await deliver(code, marker, files, key);
      expect(Date.now() - started).toBeLessThan(ACCEPT_DEADLINE_MS);
      expect(res.status).toBe(202);
      const body = (await res.json()) as { id: string; state: string };
      expect(body.state).toBe('queued');
      ids.push(body.id);
      sent.set(marker, files);
      keys.set(marker, key);
    }
    // Durable and whole: every row queued with all its file bytes, nothing sent yet.
    const stored = await rowsOf(code);
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
    const bytesOf = (files: FileSpec[]) => files.reduce((n, f) => n + f.bytes.length, 0);
    expect(stored.map((r) => [r.state, r.files, r.file_bytes, r.attempts])).toEqual(
      [...sent.values()].map((files) => ['queued', 2, bytesOf(files), 0]),
    );
    expect(sink.requests.filter((r) => r.url === path)).toHaveLength(0);

    await redis.restart();
    const rows = await allDone(code, sent.size);
    expect(rows.map((r) => r.attempts)).toEqual(rows.map(() => 1));
    await expectSentOnceByteExact(path, sent);

    // The same key again is the same delivery: answered as a duplicate, nothing more sent.
    const [marker, files] = [...sent.entries()][0];
    const replay = await deliver(code, marker, files, keys.get(marker));
    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({ id: ids[0], duplicate: true });
    expect(await rowsOf(code)).toHaveLength(sent.size);
    await expectSentOnceByteExact(path, sent);
  });
});
