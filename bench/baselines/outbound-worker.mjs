// Baseline for "outbound" (SPEC §10): a raw BullMQ worker at the dispatcher's concurrency.
// Per delivery: one `axios.post` of the job's payload to the sink, then one `UPDATE` of its
// row in a copy of `deliveries` (state, attempts, response status, completion time). No
// attempt log, no templating, no signing, no SSRF check, no retry scheduling.
import axios from 'axios';
import { Worker } from 'bullmq';
import pg from 'pg';
import { serveUntilStopped } from './worker-lifecycle.mjs';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_SIZE ?? 10),
});

const UPDATE_SQL = `
  UPDATE ${env.BASELINE_TABLE}
     SET state = $2, attempts = attempts + 1, response_status = $3,
         completed_at = CASE WHEN $4 THEN now() ELSE NULL END, updated_at = now()
   WHERE id = $1`;

const worker = new Worker(
  env.BASELINE_QUEUE,
  async (job) => {
    const response = await axios.post(env.BASELINE_TARGET_URL, job.data.payload, {
      timeout: 10_000,
      validateStatus: () => true,
    });
    const ok = response.status >= 200 && response.status < 300;
    await pool.query(UPDATE_SQL, [job.data.id, ok ? 'done' : 'error', response.status, ok]);
  },
  {
    connection: { url: env.REDIS_URL },
    prefix: env.QUEUE_PREFIX,
    concurrency: Number(env.BASELINE_CONCURRENCY ?? 32),
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  },
);
await serveUntilStopped(worker, pool, 'baseline worker');
