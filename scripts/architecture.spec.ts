import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * The house's import boundaries and size limits (issue 22, docs/architecture.md), read from
 * the sources of apps/<app>/src and libs/<lib>/src (tests, fixtures and declaration files
 * aside). Imports are found by TypeScript's own pre-processor, so `export … from`,
 * `require()` and `import()` count as much as `import … from`.
 *
 * The rules that hold today are enforced here; the one issue 22 is working towards (SQL only
 * in libs/persistence/src/repositories and migrations) is described in the architecture doc.
 * libs/core's purity is also an ESLint rule (libs/core/eslint-boundary.cjs, proven by
 * libs/core/test/boundary.spec.ts); this test applies the same list to every import form.
 */
const ROOT = join(__dirname, '..');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreBoundary = require('../libs/core/eslint-boundary.cjs') as { forbidden: string[] };

interface Package {
  kind: 'app' | 'lib';
  name: string;
}

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  path: string;
  pkg: Package;
  text: string;
}

interface Import {
  from: SourceFile;
  specifier: string;
  /** The package a relative or @app/ import lands in; undefined for a third-party module. */
  target?: Package;
}

const isSource = (name: string) =>
  /\.tsx?$/.test(name) &&
  !name.endsWith('.d.ts') &&
  !name.endsWith('.spec.ts') &&
  !name.endsWith('.spec.tsx') &&
  !name.endsWith('.e2e-spec.ts');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return ['node_modules', 'test', 'fixtures', '__tests__'].includes(name) ? [] : walk(path);
    }
    return isSource(name) ? [path] : [];
  });
}

const toPosix = (path: string) => path.split(sep).join('/');

/** apps/<name>/… or libs/<name>/… → the package; anything else (scripts, test) → undefined. */
function packageOf(path: string): Package | undefined {
  const match = /^(apps|libs)\/([^/]+)\//.exec(path);
  if (!match) return undefined;
  return { kind: match[1] === 'apps' ? 'app' : 'lib', name: match[2] };
}

function sourceFiles(): SourceFile[] {
  return ['apps', 'libs'].flatMap((top) =>
    readdirSync(join(ROOT, top))
      .filter((name) => existsSync(join(ROOT, top, name, 'src')))
      .flatMap((name) => walk(join(ROOT, top, name, 'src')))
      .map((full) => {
        const path = toPosix(relative(ROOT, full));
        return { path, pkg: packageOf(path)!, text: readFileSync(full, 'utf8') };
      }),
  );
}

function importsOf(file: SourceFile): Import[] {
  const { importedFiles } = ts.preProcessFile(file.text, true, true);
  return importedFiles.map(({ fileName: specifier }) => {
    const alias = /^@app\/([^/]+)/.exec(specifier);
    if (alias) return { from: file, specifier, target: { kind: 'lib', name: alias[1] } };
    if (specifier.startsWith('.')) {
      const landed = toPosix(relative(ROOT, resolve(ROOT, dirname(file.path), specifier)));
      return { from: file, specifier, target: packageOf(`${landed}/`) };
    }
    return { from: file, specifier };
  });
}

const describeImport = (i: Import) => `${i.from.path} imports '${i.specifier}'`;

/** The rules, each a predicate over one import: true means the import breaks the rule. */
const RULES: Record<string, (i: Import) => boolean> = {
  'libs/core imports no framework, ORM, queue, Redis or HTTP client (eslint-boundary.cjs list)': (
    i,
  ) => i.from.pkg.name === 'core' && i.from.pkg.kind === 'lib' && isForbiddenInCore(i),
  'libs/core imports no other @app library': (i) =>
    i.from.pkg.kind === 'lib' &&
    i.from.pkg.name === 'core' &&
    i.target !== undefined &&
    i.target.name !== 'core',
  'libs/platform imports no other @app library': (i) =>
    i.from.pkg.kind === 'lib' &&
    i.from.pkg.name === 'platform' &&
    i.target !== undefined &&
    !(i.target.kind === 'lib' && i.target.name === 'platform'),
  'an app never imports another app': (i) =>
    i.from.pkg.kind === 'app' && i.target?.kind === 'app' && i.target.name !== i.from.pkg.name,
  'a library never imports an app': (i) => i.from.pkg.kind === 'lib' && i.target?.kind === 'app',
  'a relative import stays inside its own package (cross-package imports use @app/<lib>)': (i) =>
    i.specifier.startsWith('.') &&
    (i.target === undefined ||
      i.target.kind !== i.from.pkg.kind ||
      i.target.name !== i.from.pkg.name),
};

function isForbiddenInCore(i: Import): boolean {
  return coreBoundary.forbidden.some((pattern) =>
    pattern.endsWith('/*')
      ? i.specifier.startsWith(pattern.slice(0, -1))
      : i.specifier === pattern || i.specifier.startsWith(`${pattern}/`),
  );
}

function violations(files: SourceFile[]): Record<string, string[]> {
  const imports = files.flatMap(importsOf);
  return Object.fromEntries(
    Object.entries(RULES).map(([rule, breaks]) => [
      rule,
      imports.filter(breaks).map(describeImport),
    ]),
  );
}

const noViolations = Object.fromEntries(Object.keys(RULES).map((rule) => [rule, []]));

describe('import boundaries (docs/architecture.md, "Who may import whom")', () => {
  const files = sourceFiles();

  it('reads the sources of every app and library', () => {
    const packages = new Set(files.map((f) => `${f.pkg.kind}:${f.pkg.name}`));
    for (const expected of [
      'app:inbound-gateway',
      'app:outbound-dispatcher',
      'app:admin',
      'app:console',
      'lib:core',
      'lib:persistence',
      'lib:messaging',
      'lib:platform',
      'lib:outbound',
      'lib:connectors',
      'lib:callbacks',
      'lib:client',
    ]) {
      expect(packages).toContain(expected);
    }
    expect(files.some((f) => f.path.endsWith('.spec.ts'))).toBe(false);
    expect(files.some((f) => f.path.includes('/test/'))).toBe(false);
  });

  it('holds for every source file today', () => {
    expect(violations(files)).toEqual(noViolations);
  });

  // Each rule must be able to fail: one planted import per rule, in memory.
  const plant = (path: string, text: string): SourceFile => ({
    path,
    pkg: packageOf(path)!,
    text,
  });

  it.each([
    [
      'libs/core imports no framework, ORM, queue, Redis or HTTP client (eslint-boundary.cjs list)',
      plant('libs/core/src/x.ts', "export { Injectable } from '@nestjs/common';"),
    ],
    [
      'libs/core imports no framework, ORM, queue, Redis or HTTP client (eslint-boundary.cjs list)',
      plant('libs/core/src/x.ts', "const { Queue } = require('bullmq');"),
    ],
    [
      'libs/core imports no framework, ORM, queue, Redis or HTTP client (eslint-boundary.cjs list)',
      plant('libs/core/src/x.ts', "const typeorm = await import('typeorm/index');"),
    ],
    [
      'libs/core imports no other @app library',
      plant('libs/core/src/x.ts', "import type { SecretBox } from '@app/persistence';"),
    ],
    [
      'libs/platform imports no other @app library',
      plant('libs/platform/src/x.ts', "import { DataSource } from '@app/persistence/pg-pool';"),
    ],
    [
      'an app never imports another app',
      plant('apps/admin/src/x.ts', "import { x } from '../../inbound-gateway/src/config';"),
    ],
    [
      'a library never imports an app',
      plant('libs/outbound/src/x.ts', "import { x } from '../../../apps/admin/src/config';"),
    ],
    [
      'a relative import stays inside its own package (cross-package imports use @app/<lib>)',
      plant('apps/admin/src/x/y.ts', "import { x } from '../../../../libs/core/src/rules';"),
    ],
  ])('fails on a planted violation of "%s"', (rule, planted) => {
    expect(violations([planted])[rule]).toEqual([
      expect.stringContaining(planted.path) as unknown as string,
    ]);
  });

  it('allows what the rules allow', () => {
    const allowed = [
      plant('libs/core/src/x.ts', "import { createHmac } from 'node:crypto';\nimport './y';"),
      plant('libs/platform/src/x.ts', "import { Injectable } from '@nestjs/common';"),
      plant('libs/messaging/src/x.ts', "import { Semaphore } from '@app/platform';"),
      plant('apps/admin/src/a/b.ts', "import { x } from '../common/ids';"),
      plant('apps/inbound-gateway/src/x.ts', "import { Queue } from 'bullmq';"),
    ];
    expect(violations(allowed)).toEqual(noViolations);
  });
});

/**
 * Size limits (issue 22, "Acceptance"): a use case or service says one thing, an app module
 * is a composition root. Today's offenders are listed with their size when listed; the list
 * may only shrink: an entry fails once its file is within the limit (or gone), and a listed
 * file may not grow past the size it was listed with.
 */
const USE_CASE_OR_SERVICE_LIMIT = 300; // at most this many lines
const APP_MODULE_LIMIT = 100; // fewer lines than this

const OVERSIZED: Record<string, { lines: number; why: string }> = {};

/** Lines as `wc -l` counts them. */
const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

interface Limited {
  path: string;
  lines: number;
  /** The most lines the file may have. */
  max: number;
}

function limitedFiles(files: SourceFile[]): Limited[] {
  return files.flatMap(({ path, text }) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const lines = lineCount(text);
    if (name.endsWith('.use-case.ts') || name.endsWith('.service.ts')) {
      return [{ path, lines, max: USE_CASE_OR_SERVICE_LIMIT }];
    }
    if (/^apps\/[^/]+\/src\/app\.module\.ts$/.test(path)) {
      return [{ path, lines, max: APP_MODULE_LIMIT - 1 }];
    }
    return [];
  });
}

/** What is wrong with the sizes, one line each; empty when all is well. */
function sizeProblems(
  limited: Limited[],
  allowlist: Record<string, { lines: number; why: string }>,
): string[] {
  const byPath = new Map(limited.map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const f of limited) {
    const listed = allowlist[f.path];
    if (f.lines <= f.max) continue;
    if (!listed) {
      problems.push(`${f.path}: ${f.lines} lines, the limit is ${f.max}: split it`);
    } else if (f.lines > listed.lines) {
      problems.push(
        `${f.path}: ${f.lines} lines, more than the ${listed.lines} it is allowlisted with: split it rather than raise the entry`,
      );
    }
  }
  for (const [path, listed] of Object.entries(allowlist)) {
    const f = byPath.get(path);
    if (!f) problems.push(`${path}: allowlisted (${listed.why}) but no longer exists: remove it`);
    else if (f.lines <= f.max) {
      problems.push(
        `${path}: allowlisted but now ${f.lines} lines, within the limit of ${f.max}: remove the entry`,
      );
    }
  }
  return problems;
}

describe('size limits (issue 22)', () => {
  const limited = limitedFiles(sourceFiles());

  it('finds the use cases, services and app modules', () => {
    expect(limited.filter((f) => f.path.endsWith('/app.module.ts')).map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'apps/admin/src/app.module.ts',
        'apps/inbound-gateway/src/app.module.ts',
        'apps/outbound-dispatcher/src/app.module.ts',
      ]),
    );
    expect(limited.filter((f) => f.path.endsWith('.use-case.ts')).length).toBeGreaterThan(1);
    expect(limited.filter((f) => f.path.endsWith('.service.ts')).length).toBeGreaterThan(5);
  });

  it('no use case or service over 300 lines, no app module of 100 lines or more, beyond the shrinking allowlist', () => {
    expect(sizeProblems(limited, OVERSIZED)).toEqual([]);
  });

  it('fails on a new offender, a grown offender and a stale entry', () => {
    const planted: Limited[] = [
      { path: 'apps/admin/src/a/new.service.ts', lines: 301, max: 300 },
      { path: 'apps/admin/src/a/ok.use-case.ts', lines: 300, max: 300 },
      { path: 'apps/admin/src/a/grown.service.ts', lines: 420, max: 300 },
      { path: 'apps/admin/src/a/shrunk.service.ts', lines: 250, max: 300 },
      { path: 'apps/x/src/app.module.ts', lines: 100, max: 99 },
    ];
    const allowlist = {
      'apps/admin/src/a/grown.service.ts': { lines: 400, why: 'test' },
      'apps/admin/src/a/shrunk.service.ts': { lines: 400, why: 'test' },
      'apps/admin/src/a/gone.service.ts': { lines: 400, why: 'test' },
    };
    expect(sizeProblems(planted, allowlist)).toEqual([
      expect.stringMatching(/^apps\/admin\/src\/a\/new\.service\.ts: 301 lines, the limit is 300/),
      expect.stringMatching(
        /^apps\/admin\/src\/a\/grown\.service\.ts: 420 lines, more than the 400/,
      ),
      expect.stringMatching(/^apps\/x\/src\/app\.module\.ts: 100 lines, the limit is 99/),
      expect.stringMatching(/^apps\/admin\/src\/a\/shrunk\.service\.ts: allowlisted but now 250/),
      expect.stringMatching(
        /^apps\/admin\/src\/a\/gone\.service\.ts: allowlisted .* no longer exists/,
      ),
    ]);
  });
});
