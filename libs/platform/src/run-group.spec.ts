import { runGroup } from './run-group';

describe('runGroup', () => {
  it('runs every item and tallies the outcomes', async () => {
    const seen: string[] = [];
    const summary = await runGroup(['a', 'b', 'c', 'd'], (id) => {
      seen.push(id);
      return Promise.resolve(id === 'c' ? null : id === 'd' ? 'queued' : 'done');
    });
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(summary).toBe('done 2, skipped 1, queued 1');
  });

  it('lets every item finish before rethrowing the first failure', async () => {
    const finished: string[] = [];
    const run = async (id: string) => {
      if (id === 'b') throw new Error('postgres unreachable');
      await new Promise((resolve) => setTimeout(resolve, 10));
      finished.push(id);
      return 'done';
    };
    await expect(runGroup(['a', 'b', 'c'], run)).rejects.toThrow('postgres unreachable');
    expect(finished.sort()).toEqual(['a', 'c']);
  });
});
