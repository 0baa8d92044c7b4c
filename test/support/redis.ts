import Redis from 'ioredis';

/** Deletes every key under this run's queue prefix — a "Redis flush" that cannot hurt other runs. */
export async function flushQueuePrefix(prefix = process.env.QUEUE_PREFIX!): Promise<number> {
  return deleteKeysMatching([`${prefix}:*`]);
}

/**
 * Deletes the run's keys at the end: those under its prefix and under the prefixes that
 * specs derive from it (`<prefix>_crash`, `{<prefix>_scaleout}`, …).
 */
export async function deleteRunKeys(prefix: string): Promise<number> {
  return deleteKeysMatching([`${prefix}:*`, `${prefix}_*`, `{${prefix}_*`]);
}

async function deleteKeysMatching(patterns: string[]): Promise<number> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 1,
  });
  let deleted = 0;
  try {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
