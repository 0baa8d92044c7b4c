/**
 * Runs in every test worker before its specs: with several workers, each takes the
 * database and queue prefix global setup made for it, so two specs running at once share
 * neither rows nor queues. Derived prefixes (`${QUEUE_PREFIX}_crash`…) stay under the
 * run's prefix, so teardown still finds them.
 */
const workers = Number(process.env.HOOKGATE_TEST_WORKERS ?? '1');
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
if (workers > 1 && process.env.HOOKGATE_TEST_DATABASE && process.env.DATABASE_URL) {
  const database = `${process.env.HOOKGATE_TEST_DATABASE}_w${worker}`;
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${database}`;
  process.env.DATABASE_URL = url.toString();
  process.env.HOOKGATE_TEST_DATABASE = database;
  process.env.QUEUE_PREFIX = `${process.env.QUEUE_PREFIX}_w${worker}`;
}
