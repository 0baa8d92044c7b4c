import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * All SQL lives in libs/persistence/src/repositories (and the migrations): no source file
 * of an app or a library outside them calls `query(`, `createQueryBuilder` or
 * `getRepository` (issue 22). Tests, bench and scripts aside.
 *
 * PENDING lists the files not moved yet, each with why. It may only shrink: a listed file
 * that no longer matches fails this test too, so the entry is removed with the move.
 */
const PENDING: Record<string, string> = {};

const ROOTS = ['apps', 'libs'];
const ALLOWED_HOMES = ['libs/persistence/src/repositories/', 'libs/persistence/src/migrations/'];
const SQL_CALL = /\.query\s*[<(]|createQueryBuilder|getRepository/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !/\.(spec|e2e-spec)\.ts$/.test(path) ? [path] : [];
  });
}

describe('where SQL lives', () => {
  const repo = join(__dirname, '..', '..', '..');
  const files = ROOTS.flatMap((root) =>
    readdirSync(join(repo, root)).flatMap((pkg) => {
      const src = join(repo, root, pkg, 'src');
      try {
        return sourceFiles(src);
      } catch {
        return [];
      }
    }),
  ).map((path) => relative(repo, path).split(sep).join('/'));
  const speaking = files.filter(
    (path) =>
      !ALLOWED_HOMES.some((home) => path.startsWith(home)) &&
      SQL_CALL.test(readFileSync(join(repo, path), 'utf8')),
  );

  it('finds the sources it checks', () => {
    expect(files).toContain('libs/persistence/src/repositories/handlers.repository.ts');
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no SQL outside the repositories and migrations, but for the pending files', () => {
    expect(speaking.filter((path) => !(path in PENDING))).toEqual([]);
  });

  it('lists no pending file that has already moved (the list only shrinks)', () => {
    expect(Object.keys(PENDING).filter((path) => !speaking.includes(path))).toEqual([]);
  });
});
