// Baseline for "inbound end to end" (issue 24), with bench/baselines/inbound-receiver.mjs
// in front of it: a raw BullMQ worker, at the gateway's worker concurrency, that does by
// hand what the bench's 3-rule handler does. Per job, in one transaction: claim the event
// row (`received` → `processing`), evaluate the three rules (opened + X-GitHub-Event:
// issues → upsert; closed/deleted → upsert with the action uppercased; anything else →
// done), upsert the record (a transaction-scoped advisory lock on the lookup, the lookup
// through the GIN index, then UPDATE … data || $ or INSERT), then settle the event `done`
// with its matched rule and `processed_at`. No execution log, no effect planner, no leases,
// no retries.
import { Worker } from 'bullmq';
import pg from 'pg';
import { serveUntilStopped } from './worker-lifecycle.mjs';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_SIZE ?? 10),
});
const events = env.BASELINE_EVENTS_TABLE;
const records = env.BASELINE_RECORDS_TABLE;
const tenantId = env.BASELINE_TENANT_ID;
const MODEL = 'bench_issues';

function decide(payload, headers) {
  const number = payload?.issue?.number;
  if (payload?.action === 'opened' && headers['x-github-event'] === 'issues') {
    return {
      rule: 'opened issues',
      lookup: { number },
      data: { number, title: payload.issue.title, state: 'open' },
    };
  }
  if (payload?.action === 'closed' || payload?.action === 'deleted') {
    return {
      rule: 'closed issues',
      lookup: { number },
      data: { number, state: String(payload.action).toUpperCase() },
    };
  }
  return { rule: 'everything else' };
}

async function upsert(client, eventId, lookup, data) {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `${MODEL}:${JSON.stringify(lookup)}`,
  ]);
  const found = await client.query(
    `SELECT id FROM ${records} WHERE tenant_id = $1 AND model = $2 AND data @> $3::jsonb LIMIT 1`,
    [tenantId, MODEL, JSON.stringify(lookup)],
  );
  if (found.rows.length > 0) {
    await client.query(
      `UPDATE ${records} SET data = data || $2::jsonb, updated_by_event = $3, updated_at = now()
        WHERE id = $1`,
      [found.rows[0].id, JSON.stringify(data), eventId],
    );
  } else {
    await client.query(
      `INSERT INTO ${records} (tenant_id, model, data, created_by_event, updated_by_event)
       VALUES ($1, $2, $3::jsonb, $4, $4)`,
      [tenantId, MODEL, JSON.stringify(data), eventId],
    );
  }
}

async function processEvent(job) {
  const { eventId } = job.data;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query(
      `UPDATE ${events} SET state = 'processing', attempts = attempts + 1, updated_at = now()
        WHERE id = $1 AND state = 'received'
        RETURNING payload, headers`,
      [eventId],
    );
    if (claimed.rows.length === 0) {
      await client.query('ROLLBACK');
      return;
    }
    const { payload, headers } = claimed.rows[0];
    const decision = decide(payload, headers);
    if (decision.lookup) await upsert(client, eventId, decision.lookup, decision.data);
    await client.query(
      `UPDATE ${events} SET state = 'done', matched_rule = $2, processed_at = now(), updated_at = now()
        WHERE id = $1`,
      [eventId, decision.rule],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const worker = new Worker(env.BASELINE_QUEUE, processEvent, {
  connection: { url: env.REDIS_URL },
  prefix: env.QUEUE_PREFIX,
  concurrency: Number(env.BASELINE_CONCURRENCY ?? 64),
  removeOnComplete: { count: 0 },
  removeOnFail: { count: 1000 },
});
await serveUntilStopped(worker, pool, 'baseline inbound worker');
