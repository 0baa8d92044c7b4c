import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { databaseUrl, dropDatabase, query, uniqueName } from './support/database';
import { waitFor } from './support/wait';

/**
 * Docs that run (issue 25): the blocks of README.md and docs/*.md fenced as
 * ```` ```sh runnable ```` or ```` ```ts runnable ```` run in order, one fresh bash per
 * file (so each file works on its own in a new shell, given the exported ADMIN_API_KEY the
 * quick start tells the reader to paste), against the built apps and `npm run
 * demo:receiver`. The docs' fixed addresses (gateway 3000, admin 3001, receiver 4000) are
 * swapped for this run's ports; nothing else is changed. TypeScript blocks are type-checked
 * under the repo's tsconfig (`@hookgate/client` resolving to the publisher in-repo) and run
 * with node. A block that exits non-zero, or a doc whose webhooks and publishes do not all
 * end `done` with a verified signature at the receiver, fails the test. A block preceded by
 * `<!-- from: <path> -->` must appear verbatim in that file.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..');
const KEY = 'docs-test-admin-key-0123456789abcdef';
const RECEIVER_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** Where `@hookgate/client` is in this repository (type-check: sources; run: the build). */
const CLIENT_SOURCE = './libs/client/src';
const CLIENT_BUILT = join(ROOT, 'dist', 'libs', 'client', 'src', 'index.js');

interface Block {
  file: string;
  line: number;
  heading: string;
  lang: 'sh' | 'ts';
  code: string;
}

function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

function runnableBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#')) heading = lines[i].replace(/^#+\s*/, '');
    const open = /^```(sh|ts) runnable\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    blocks.push({
      file,
      line: start + 1,
      heading,
      lang: open[1] as 'sh' | 'ts',
      code: body.join('\n'),
    });
  }
  return blocks;
}

/** Blocks under `<!-- from: path -->`, and whether each is verbatim in its file. */
function quotedBlocks(file: string): Array<{ file: string; source: string; found: boolean }> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/<!-- from: (\S+) -->\s*```\w*\n([\s\S]*?)\n```/g)].map((match) => ({
    file,
    source: match[1],
    found: readFileSync(join(ROOT, match[1]), 'utf8').includes(match[2]),
  }));
}

/** Type-checks a TypeScript block as the repo compiles code, and returns its JavaScript. */
function compileTs(block: Block, dir: string, index: number): string {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const file = join(dir, `block-${index}.ts`);
  writeFileSync(file, block.code);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    paths: { ...parsed.options.paths, '@hookgate/client': [CLIENT_SOURCE] },
    rootDir: undefined,
    outDir: undefined,
    noEmit: false,
    sourceMap: false,
    types: ['node'],
  };
  const program = ts.createProgram([file], options);
  const source = program.getSourceFile(file)!;
  const problems = ts.getPreEmitDiagnostics(program, source);
  if (problems.length > 0) {
    const text = ts.formatDiagnostics(problems, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    });
    throw new Error(`${block.file}:${block.line} (${block.heading}) does not compile:\n${text}`);
  }
  let js = '';
  program.emit(source, (name, text) => {
    if (name.endsWith('.js')) js = text;
  });
  const out = join(dir, `block-${index}.js`);
  writeFileSync(out, js);
  return out;
}

function runBash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('runnable docs', () => {
  const database = uniqueName('hg_docs');
  const url = databaseUrl(database);
  const prefix = `${process.env.QUEUE_PREFIX}_docs`;
  const dir = mkdtempSync(join(tmpdir(), 'hg-docs-'));
  let apps: RunningApp[] = [];
  let receiver: ChildProcess | undefined;
  let receiverOutput = '';
  let ports = { admin: 0, inbound: 0, dispatcher: 0, receiver: 0 };

  beforeAll(async () => {
    const [admin, inbound, dispatcher, receiverPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    ports = { admin, inbound, dispatcher, receiver: receiverPort };
    const env = {
      DATABASE_URL: url,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    // The admin app first: it creates and migrates the database the others then find.
    apps.push(spawnApp('admin', { ...env, ADMIN_PORT: String(admin) }));
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${admin}/health/ready`)).status === 200 ? true : undefined,
      { timeoutMs: 60_000, what: `admin ready: ${apps[0].output()}` },
    );
    apps.push(
      spawnApp('inbound-gateway', { ...env, INBOUND_PORT: String(inbound) }),
      spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcher) }),
    );
    receiver = spawn(
      process.execPath,
      [
        join(ROOT, 'scripts', 'demo-receiver.mjs'),
        '--port',
        String(receiverPort),
        '--secret',
        RECEIVER_SECRET,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    receiver.stdout!.on('data', (chunk: Buffer) => (receiverOutput += chunk.toString()));
    for (const [app, port] of [
      [apps[1], inbound],
      [apps[2], dispatcher],
    ] as const) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, what: `ready on ${port}: ${app.output()}` },
      );
    }
    await waitFor(() => (receiverOutput.includes('listening') ? true : undefined), {
      what: 'the demo receiver',
    });
  });

  afterAll(async () => {
    receiver?.kill('SIGTERM');
    await Promise.all(apps.map((app) => stopApp(app)));
    apps = [];
    await dropDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });

  const blocks = docFiles().flatMap(runnableBlocks);

  it('covers the quick start, every inbound preset and outbound publishing', () => {
    const covered = (file: string) =>
      new Set(blocks.filter((b) => b.file === file).map((b) => b.heading));
    expect([...covered('README.md')]).toEqual(
      expect.arrayContaining(['Quick start', 'Send a webhook from a backend service']),
    );
    expect([...covered('docs/inbound.md')]).toEqual(
      expect.arrayContaining([
        'Set up an endpoint',
        'GitHub',
        'Stripe',
        'Shopify',
        'Slack',
        'Standard Webhooks / Svix',
        'Any HMAC sender',
      ]),
    );
    expect([...covered('docs/outbound.md')]).toEqual(
      expect.arrayContaining(['1. Configure an endpoint', '2. Publish from a backend service']),
    );
    expect([...covered('docs/record-triggers.md')]).toEqual(
      expect.arrayContaining(['From a GitHub issue to the CRM']),
    );
    expect(blocks.some((b) => b.lang === 'ts')).toBe(true);
  });

  it('quotes files verbatim where a block says it does', () => {
    const quoted = docFiles().flatMap(quotedBlocks);
    expect(quoted.length).toBeGreaterThan(0);
    expect(quoted.filter((q) => !q.found)).toEqual([]);
  });

  it('runs every runnable block in order, and what they send ends done', async () => {
    const addresses = (code: string) =>
      code
        .replaceAll('127.0.0.1:3000', `127.0.0.1:${ports.inbound}`)
        .replaceAll('127.0.0.1:3001', `127.0.0.1:${ports.admin}`)
        .replaceAll('127.0.0.1:4000', `127.0.0.1:${ports.receiver}`);
    // What a reader's fresh shell has: a PATH, a HOME and the key they exported; the
    // TypeScript blocks read REDIS_URL and QUEUE_PREFIX like a service configured for them.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      ADMIN_API_KEY: KEY,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: prefix,
    };
    const hook = join(dir, 'resolve-client.cjs');
    writeFileSync(
      hook,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === '@hookgate/client' ? ${JSON.stringify(CLIENT_BUILT)} : request, ...rest);
};\n`,
    );
    const files = [...new Set(blocks.map((b) => b.file))];
    let index = 0;
    for (const file of files) {
      const parts = ['set -euo pipefail'];
      for (const block of blocks.filter((b) => b.file === file)) {
        const where = `${block.file}:${block.line} (${block.heading})`;
        parts.push(`echo ${JSON.stringify(`::block ${where}`)}`);
        if (block.lang === 'sh') {
          parts.push(addresses(block.code));
        } else {
          const js = compileTs({ ...block, code: addresses(block.code) }, dir, index++);
          parts.push(`node -r ${JSON.stringify(hook)} ${JSON.stringify(js)}`);
        }
        parts.push('echo');
      }
      const { code, output } = await runBash(parts.join('\n'), env);
      if (code !== 0) {
        const failed = [...output.matchAll(/^::block (.*)$/gm)].pop()?.[1] ?? file;
        throw new Error(`the block at ${failed} failed (exit ${code}):\n${output.slice(-4000)}`);
      }
    }

    // Everything the docs sent settles, and well.
    await waitFor(
      async () => {
        const [row] = await query<{ busy: number }>(
          url,
          `SELECT (SELECT count(*) FROM inbound_events WHERE state IN ('received', 'processing'))
                + (SELECT count(*) FROM deliveries WHERE state IN ('queued', 'processing'))::int AS busy`,
        );
        return Number(row.busy) === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the docs’ events and deliveries to settle' },
    );
    const events = await query<{ endpoint_path: string; state: string }>(
      url,
      `SELECT endpoint_path, state FROM inbound_events ORDER BY received_at`,
    );
    expect(events.filter((e) => e.state !== 'done')).toEqual([]);
    expect(events.map((e) => e.endpoint_path)).toEqual(
      expect.arrayContaining([
        'quickstart/github',
        'github/issues',
        'stripe',
        'shopify',
        'slack',
        'standard',
        'custom',
      ]),
    );
    const records = await query<{ model: string }>(url, `SELECT model FROM records`);
    expect(records.map((r) => r.model)).toEqual(
      expect.arrayContaining(['quickstart_issues', 'issues', 'customers']),
    );
    const deliveries = await query<{ endpoint_code: string; state: string; event_type: string }>(
      url,
      `SELECT endpoint_code, state, event_type FROM deliveries ORDER BY created_at, id`,
    );
    expect(deliveries.filter((d) => d.state !== 'done')).toEqual([]);
    expect(new Set(deliveries.map((d) => d.endpoint_code))).toEqual(
      new Set(['quickstart-receiver', 'billing-sync', 'crm-issues']),
    );
    // docs/record-triggers.md: the webhook's upsert, then the admin API's rename.
    expect(
      deliveries.filter((d) => d.endpoint_code === 'crm-issues').map((d) => d.event_type),
    ).toEqual(['record.issues.created', 'record.issues.updated']);
    const verified = receiverOutput.match(/signature: ok/g) ?? [];
    expect(verified).toHaveLength(deliveries.length);
    expect(receiverOutput).not.toContain('signature: invalid');
  });
});
