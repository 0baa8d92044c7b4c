// Baseline for "outbound end to end" (issue 24): what a hand-written dispatcher would do,
// with no framework. A raw BullMQ worker on a copy of the `outbound-requests` contract, at
// the dispatcher's concurrency. Per `deliver` job: one INSERT of the delivery row
// (committed, autocommit), `axios.post` of the payload to the sink, then one statement
// that logs the attempt and marks the row done. Per `publish` job: one INSERT of a row per
// subscribed endpoint (the 10 fan-out targets, known from the environment: no lookup),
// then the ten posts in parallel, each logged the same way. The job completes once every
// attempt is logged, so a crash re-runs it; no idempotency check, no templating, no
// signing, no SSRF check, no retry scheduling.
import { randomUUID } from 'node:crypto';
import axios from 'axios';
import { Worker } from 'bullmq';
import pg from 'pg';
import { serveUntilStopped } from './worker-lifecycle.mjs';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_SIZE ?? 10),
});
const deliveries = env.BASELINE_DELIVERIES_TABLE;
const attempts = env.BASELINE_ATTEMPTS_TABLE;
const fanTargets = JSON.parse(env.BASELINE_FAN_TARGETS);

const INSERT_SQL = `
  INSERT INTO ${deliveries}
    (id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload, idempotency_key, next_attempt_at)
  SELECT t.id, $1::uuid, t.endpoint_id, t.code, $2::text, 'queued', $3::jsonb, $4::text, now()
    FROM unnest($5::uuid[], $6::uuid[], $7::text[]) AS t(id, endpoint_id, code)`;

const RECORD_SQL = `
  WITH attempt AS (
    INSERT INTO ${attempts}
      (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at, duration_ms,
       response_status, outcome)
    VALUES ($1, $2, $3, 1, $4, now(), $5, $6, $7)
  )
  UPDATE ${deliveries}
     SET state = $8, attempts = 1, response_status = $6,
         completed_at = CASE WHEN $8 = 'done' THEN now() END, updated_at = now()
   WHERE id = $1`;

async function send(row, payload) {
  const started = new Date();
  let status = null;
  try {
    const response = await axios.post(row.url, payload, {
      timeout: 10_000,
      validateStatus: () => true,
    });
    status = response.status;
  } catch {
    // no answer: logged as a retry with no status
  }
  const ok = status !== null && status >= 200 && status < 300;
  await pool.query(RECORD_SQL, [
    row.id,
    env.BASELINE_TENANT_ID,
    row.endpointId,
    started,
    Date.now() - started.getTime(),
    status,
    ok ? 'success' : 'retry',
    ok ? 'done' : 'queued',
  ]);
}

async function take(job) {
  const targets =
    job.name === 'publish'
      ? fanTargets
      : [
          {
            endpointId: env.BASELINE_ENDPOINT_ID,
            code: 'bench-sink',
            url: env.BASELINE_TARGET_URL,
          },
        ];
  const rows = targets.map((target) => ({ ...target, id: randomUUID() }));
  await pool.query(INSERT_SQL, [
    env.BASELINE_TENANT_ID,
    job.data.eventType ?? null,
    JSON.stringify(job.data.payload),
    job.data.idempotencyKey ?? null,
    rows.map((row) => row.id),
    rows.map((row) => row.endpointId),
    rows.map((row) => row.code),
  ]);
  await Promise.all(rows.map((row) => send(row, job.data.payload)));
}

const worker = new Worker(env.BASELINE_QUEUE, take, {
  connection: { url: env.REDIS_URL },
  prefix: env.QUEUE_PREFIX,
  concurrency: Number(env.BASELINE_CONCURRENCY ?? 64),
});
await serveUntilStopped(worker, pool, 'baseline worker');
