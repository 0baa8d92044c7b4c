import type { DataSource } from 'typeorm';
import { HandlerCache } from './handler-cache';

/** Where the cache reads a handler it does not hold, and how long it keeps it. */
describe('HandlerCache', () => {
  const row = {
    id: 'h1',
    code: 'issues',
    direction: 'inbound',
    execution_mode: 'rules',
    callback: null,
    max_retries: 3,
    rules: [{ sequence: 10, name: 'r', conditions: [], action: 'done', targetModel: null }],
  };
  const source = () => ({ query: jest.fn().mockResolvedValue([row]) });

  it('reads a miss on the connection the caller passes, not from the pool', async () => {
    const pool = source();
    const transaction = source();
    const cache = new HandlerCache(pool as unknown as DataSource, 60_000);
    const handler = await cache.get('h1', transaction);
    expect(transaction.query).toHaveBeenCalledTimes(1);
    expect(pool.query).not.toHaveBeenCalled();
    expect(handler).toEqual({
      id: 'h1',
      code: 'issues',
      direction: 'inbound',
      executionMode: 'rules',
      callback: null,
      maxRetries: 3,
      rules: [{ sequence: 10, name: 'r', conditions: [], action: 'done' }],
    });
    // A hit reads nothing, whoever asks.
    expect(await cache.get('h1')).toEqual(handler);
    expect(pool.query).not.toHaveBeenCalled();
  });

  it('reads from its data source when no connection is passed, and again once invalidated', async () => {
    const pool = source();
    const cache = new HandlerCache(pool as unknown as DataSource, 60_000);
    await cache.get('h1');
    await cache.get('h1');
    expect(pool.query).toHaveBeenCalledTimes(1);
    cache.invalidate('h1');
    await cache.get('h1');
    expect(pool.query).toHaveBeenCalledTimes(2);
  });
});
