// Baseline for "inbound accept" (SPEC §10): what a hand-written receiver would do, with
// no framework. Raw `node:http`; per request: read the body, check the GitHub signature
// (`X-Hub-Signature-256`), parse the JSON, one `INSERT` of the same columns Hookgate
// stores into a copy of `inbound_events`, one `Queue.add`, then 202. Durable like
// Hookgate: the row is committed (autocommit) before the answer.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { Queue } from 'bullmq';
import pg from 'pg';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_SIZE ?? 10),
});
const queue = new Queue(env.BASELINE_QUEUE, {
  connection: { url: env.REDIS_URL },
  prefix: env.QUEUE_PREFIX,
  defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
});
const secret = env.BASELINE_SECRET;

const INSERT_SQL = `
  INSERT INTO ${env.BASELINE_TABLE}
    (id, tenant_id, endpoint_id, endpoint_path, state, method, url, headers, query, raw_body,
     content_type, payload, semantic, delivery_identity, replay_identity, reject_reason)
  VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, '{}', $12, NULL, NULL)
  ON CONFLICT DO NOTHING
  RETURNING id`;

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function signatureValid(header, body) {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function receive(req, body, res) {
  if (!signatureValid(req.headers['x-hub-signature-256'], body)) {
    return answer(res, 401, { error: 'signature_invalid' });
  }
  let payload;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return answer(res, 400, { error: 'payload_invalid' });
  }
  const id = randomUUID();
  const query = Object.fromEntries(new URL(req.url, 'http://127.0.0.1').searchParams);
  const inserted = await pool.query(INSERT_SQL, [
    id,
    env.BASELINE_TENANT_ID,
    env.BASELINE_ENDPOINT_ID,
    env.BASELINE_ENDPOINT_PATH,
    req.method,
    req.url,
    JSON.stringify(req.headers),
    JSON.stringify(query),
    body,
    req.headers['content-type'] ?? null,
    JSON.stringify(payload),
    req.headers['x-github-delivery'] ?? null,
  ]);
  if (inserted.rowCount === 0) return answer(res, 200, { duplicate: true });
  await queue.add('process', { eventId: id }, { jobId: `${id}-0` });
  return answer(res, 202, { id, state: 'received' });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    receive(req, Buffer.concat(chunks), res).catch((error) => {
      if (!res.headersSent) answer(res, 503, { error: 'unavailable', reason: String(error) });
    });
  });
});
server.keepAliveTimeout = 65_000;

async function shutdown() {
  server.close();
  await Promise.allSettled([queue.close(), pool.end()]);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('disconnect', () => process.exit(0));

await queue.waitUntilReady();
await pool.query('SELECT 1');
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
