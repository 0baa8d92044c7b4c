// The lifecycle every baseline worker shares: report errors, close on SIGTERM, exit when
// the bench goes away, and tell the bench it is ready once Redis and Postgres answer.

/** Runs `worker` (a BullMQ Worker) with `pool` (a pg Pool) until the bench stops it. */
export async function serveUntilStopped(worker, pool, name) {
  worker.on('error', (error) => process.stderr.write(`${name}: ${error}\n`));
  const shutdown = async () => {
    await Promise.allSettled([worker.close(), pool.end()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('disconnect', () => process.exit(0));
  await worker.waitUntilReady();
  await pool.query('SELECT 1');
  process.send({ type: 'ready' });
}
