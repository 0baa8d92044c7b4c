import { randomBytes } from 'node:crypto';
import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from './support/harness';
import { sinkEndpointBody, unique } from './support/fixtures';
import { query } from './support/database';
import { startSink, type Sink, type SinkRequest } from './support/sink';
import { waitFor } from './support/wait';

/**
 * File parts of `deliver` requests (docs/outbound.md "Files") through the real admin API,
 * queue intake, dispatcher, Postgres and Redis to a loopback sink, whose multipart bodies
 * are parsed by an independent parser (undici's, behind `Response.formData()`): bytes,
 * names and types as sent, on the first attempt and on a retry; files kept beside the
 * delivery, not in it; sizes over the configured limits refused (400 on the API, a
 * `too_large` refusal on the queue) with nothing stored; unsafe names refused; files for a
 * JSON endpoint dead-lettered saying why.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;
const MAX_FILE = 4096;
const MAX_TOTAL = 6000;

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

describe('files in deliver requests', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;
  let multipart: string;
  let json: string;
  // Binary content holding CR LF, quotes and a boundary-like `--` run.
  const binary = Buffer.concat([
    Buffer.from('--hookgate-\r\n"x"\r\n'),
    randomBytes(3000),
    Buffer.from([0, 255, 13, 10]),
  ]);
  const text = Buffer.from('line one\r\nline two — ünïcode\n');
  const files = [
    {
      field: 'invoice',
      filename: 'invoice 42.pdf',
      contentType: 'application/pdf',
      contentBase64: binary.toString('base64'),
    },
    { field: 'notes', filename: 'notes.txt', contentBase64: text.toString('base64') },
  ];

  const deliveryRow = (id: string) =>
    waitFor(
      async () => {
        const [row] = await query<{
          state: string;
          last_error: string | null;
          payload_chars: number;
        }>(
          db(),
          `SELECT state, last_error, length(payload::text)::int AS payload_chars FROM deliveries WHERE id = $1`,
          [id],
        );
        return row && ['done', 'error', 'dead_letter'].includes(row.state) ? row : undefined;
      },
      { what: `delivery ${id} finished` },
    );
  const fileRows = async (id: string) =>
    query<{ field: string; filename: string; content_type: string; content: Buffer }>(
      db(),
      `SELECT field, filename, content_type, content FROM delivery_files WHERE delivery_id = $1 ORDER BY position`,
      [id],
    );
  const requestsTo = (path: string) => sink.requests.filter((r) => r.url === path);

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: {
        OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
        DELIVER_FILE_MAX_BYTES: String(MAX_FILE),
        DELIVER_FILES_MAX_TOTAL_BYTES: String(MAX_TOTAL),
      },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
    multipart = unique('files-mp');
    json = unique('files-json');
    for (const [code, bodyMode, path] of [
      [multipart, 'multipart', '/multipart'],
      [json, 'json', '/json'],
    ]) {
      const res = await harness.admin('/outbound-endpoints', {
        body: sinkEndpointBody(code, sink.url, {
          bodyMode,
          targetPath: path,
          retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1 },
        }),
      });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  it('sends the files after the payload fields, byte for byte, on every attempt', async () => {
    sink.script.push({ status: 503, body: 'busy' });
    const before = requestsTo('/multipart').length;
    const res = await harness.admin('/deliveries', {
      body: { endpoint: multipart, payload: { orderId: 'A-42', customer: { name: 'Ada' } }, files },
    });
    expect(res.status).toBe(202);
    const row = await deliveryRow(res.body.id);
    expect(row.state).toBe('done');
    const sent = requestsTo('/multipart').slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      const { fields, files: got } = await parts(request);
      expect(fields).toEqual({ orderId: 'A-42', 'customer[name]': 'Ada' });
      expect(got.map((f) => [f.field, f.name, f.type])).toEqual([
        ['invoice', 'invoice 42.pdf', 'application/pdf'],
        ['notes', 'notes.txt', 'application/octet-stream'],
      ]);
      expect(got[0].bytes.equals(binary)).toBe(true);
      expect(got[1].bytes.equals(text)).toBe(true);
    }
    // The retry rebuilt the same bytes (the boundary derives from the delivery id).
    expect(sent[0].body.equals(sent[1].body)).toBe(true);
    // The files live beside the delivery, not in its payload.
    expect(row.payload_chars).toBeLessThan(100);
    const stored = await fileRows(res.body.id);
    expect(stored.map((f) => [f.field, f.filename, f.content_type, f.content.length])).toEqual([
      ['invoice', 'invoice 42.pdf', 'application/pdf', binary.length],
      ['notes', 'notes.txt', 'application/octet-stream', text.length],
    ]);
    // Deleted with the delivery (retention deletes deliveries the same way).
    await query(db(), `DELETE FROM deliveries WHERE id = $1`, [res.body.id]);
    expect(await fileRows(res.body.id)).toHaveLength(0);
  });

  it('takes files from the queue too', async () => {
    const before = requestsTo('/multipart').length;
    const handle = await publisher.deliver({
      endpoint: multipart,
      payload: { via: 'queue' },
      files: [files[1]],
    });
    const [delivery] = await waitFor(
      () =>
        query<{ id: string }>(db(), `SELECT id FROM deliveries WHERE idempotency_key = $1`, [
          handle.idempotencyKey,
        ]).then((rows) => (rows.length > 0 ? rows : undefined)),
      { what: 'the queued delivery' },
    );
    expect((await deliveryRow(delivery.id)).state).toBe('done');
    const [request] = requestsTo('/multipart').slice(before);
    const { fields, files: got } = await parts(request);
    expect(fields).toEqual({ via: 'queue' });
    expect(got).toHaveLength(1);
    expect(got[0].bytes.equals(text)).toBe(true);
  });

  it('refuses files over the limits: 400 on the API, a too_large refusal on the queue', async () => {
    const big = {
      field: 'f',
      filename: 'big.bin',
      contentBase64: randomBytes(MAX_FILE + 1).toString('base64'),
    };
    const three = Array.from({ length: 2 }, (_, i) => ({
      field: `f${i}`,
      filename: `f${i}.bin`,
      contentBase64: randomBytes(3500).toString('base64'),
    }));
    const count = async () =>
      (await query<{ n: number }>(db(), `SELECT count(*)::int AS n FROM delivery_files`))[0].n;
    const deliveries = async () =>
      (
        await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM deliveries WHERE endpoint_code = $1`,
          [multipart],
        )
      )[0].n;
    const [filesBefore, deliveriesBefore] = [await count(), await deliveries()];

    const perFile = await harness.admin('/deliveries', {
      body: { endpoint: multipart, payload: {}, files: [big] },
    });
    expect(perFile.status).toBe(400);
    expect(perFile.body.details).toEqual([
      {
        field: 'files[0].contentBase64',
        problems: [expect.stringContaining(`at most ${MAX_FILE}`)],
      },
    ]);
    const total = await harness.admin('/deliveries', {
      body: { endpoint: multipart, payload: {}, files: three },
    });
    expect(total.status).toBe(400);
    expect(total.body.details).toEqual([
      { field: 'files', problems: [expect.stringContaining(`at most ${MAX_TOTAL}`)] },
    ]);

    // The key first: a refusal keeps the first 4 KiB of the job's data.
    const handle = await publisher.deliver({
      idempotencyKey: unique('too-large'),
      endpoint: multipart,
      payload: {},
      files: three,
    });
    const [refusal] = await waitFor(
      () =>
        query<{ reason: string; job_name: string }>(
          db(),
          `SELECT reason, job_name FROM outbound_request_refusals WHERE data LIKE '%' || $1 || '%'`,
          [handle.idempotencyKey],
        ).then((rows) => (rows.length > 0 ? rows : undefined)),
      { what: 'the refusal' },
    );
    expect(refusal.job_name).toBe('deliver');
    expect(refusal.reason).toMatch(/^too_large: files: the files are 7000 bytes together/);
    expect(await count()).toBe(filesBefore);
    expect(await deliveries()).toBe(deliveriesBefore);
  });

  it('refuses names that could break the part header or name a path', async () => {
    for (const [over, field] of [
      [{ filename: 'a\r\nContent-Type: text/html' }, 'filename'],
      [{ filename: '../../etc/passwd' }, 'filename'],
      [{ filename: 'say "hi".txt' }, 'filename'],
      [{ field: 'x\ny' }, 'field'],
      [{ contentType: 'text/plain\r\nX-Evil: 1' }, 'contentType'],
      [{ contentBase64: 'not base64' }, 'contentBase64'],
    ] as const) {
      const res = await harness.admin('/deliveries', {
        body: { endpoint: multipart, payload: {}, files: [{ ...files[1], ...over }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('files');
      expect(res.body.details[0].problems[0]).toContain(`files[0].${field}`);
    }
  });

  it('dead-letters files sent to an endpoint that is not multipart, saying why', async () => {
    const before = requestsTo('/json').length;
    const res = await harness.admin('/deliveries', {
      body: { endpoint: json, payload: {}, files: [files[1]] },
    });
    expect(res.status).toBe(202);
    const row = await deliveryRow(res.body.id);
    expect(row.state).toBe('dead_letter');
    expect(row.last_error).toContain('only a multipart endpoint sends files');
    expect(requestsTo('/json')).toHaveLength(before);
  });
});
