import { getMetadataStorage } from 'class-validator';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The README's configuration table against the code (issue 25): every variable a config
 * class reads (a class extending BaseConfig or another config class, anywhere in apps/,
 * libs/ or scripts/; its validated properties are the variables) has a row, and every row
 * names a variable some config class reads. A variable added without documenting it, or a
 * row left behind by a removed one, fails here.
 */
const ROOT = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'test' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

const CONFIG_CLASS = /export class (\w+) extends (\w*Config)\b/g;

/** Every config class: BaseConfig and what extends a config class. */
function configClasses(): Array<{ file: string; name: string; schema: new () => object }> {
  const files = ['apps', 'libs', 'scripts'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
  const found = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const names = [...text.matchAll(CONFIG_CLASS)].map((match) => match[1]);
    if (/export class BaseConfig\b/.test(text)) names.push('BaseConfig');
    if (names.length === 0) return [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as Record<string, new () => object>;
    return names.map((name) => ({ file: relative(ROOT, file), name, schema: module[name] }));
  });
  return found;
}

function variablesOf(schema: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

/** The variables named in the first column of the README's configuration table. */
function readmeVariables(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Configuration');
  expect(start).toBeGreaterThan(-1);
  const rows = readme
    .slice(start)
    .split('\n')
    .slice(1)
    .filter(
      (line, i, all) => line.startsWith('|') || all.slice(0, i).every((l) => !l.startsWith('|')),
    )
    .filter((line) => line.startsWith('|'));
  return rows.slice(2).flatMap((row) => {
    const firstCell = row.split('|')[1];
    return [...firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]);
  });
}

/**
 * Tracing starts before any config class loads, so start-tracing.ts reads the standard
 * OpenTelemetry variables itself: the ones it names count as read too.
 */
function tracingVariables(): string[] {
  const source = readFileSync(join(ROOT, 'libs/platform/src/tracing/start-tracing.ts'), 'utf8');
  return [...new Set([...source.matchAll(/\b(OTEL_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => m[1]))];
}

describe('README configuration table', () => {
  const classes = configClasses();
  const read = new Set([
    ...classes.flatMap(({ schema }) => variablesOf(schema)),
    ...tracingVariables(),
  ]);
  const documented = new Set(readmeVariables());

  it('finds the config classes of every app and the shared base', () => {
    expect(classes.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'BaseConfig',
        'AdminConfig',
        'InboundGatewayConfig',
        'OutboundDispatcherConfig',
      ]),
    );
    expect(read.has('DATABASE_URL')).toBe(true);
    expect(read.has('ADMIN_PORT')).toBe(true);
  });

  it('documents every variable a config class reads', () => {
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });

  it('documents no variable that no config class reads', () => {
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
