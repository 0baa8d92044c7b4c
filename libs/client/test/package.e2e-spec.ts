import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * `@hookgate/client` as a service installs it (issue 25): `npm pack` builds the tarball,
 * a project outside the repo installs it (dependencies from npm's cache where it has them),
 * a small file compiles against its declarations under `strict: true`, and run with plain
 * Node it publishes through the package to the running admin and dispatcher, finds the
 * delivery with the handle `deliver()` answered, and the loopback sink gets the request.
 */
const run = promisify(execFile);
const REPO = join(__dirname, '..', '..', '..');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

const CONSUMER = `
import {
  HookgatePublisher,
  createHookgateClient,
  jobContractSchema,
  type DeliverJob,
  type PublishHandle,
} from '@hookgate/client';
import { createHookgateClient as createBrowserClient } from '@hookgate/client/http';
import schemaFile from '@hookgate/client/job-contract.schema.json';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(name + ' is not set');
    return value;
  };
  const admin = { baseUrl: env('ADMIN_URL'), apiKey: env('PUBLISHER_KEY') };
  const publisher = new HookgatePublisher({
    redisUrl: env('REDIS_URL'),
    prefix: env('QUEUE_PREFIX'),
    admin,
  });
  const job: DeliverJob = { endpoint: env('ENDPOINT'), payload: { order: 42 }, context: {} };
  try {
    const handle: PublishHandle = await publisher.deliver(job);
    const [delivery] = await handle.waitForDeliveries({ timeoutMs: 20_000 });
    const me = await createHookgateClient(admin).GET('/api/v1/me');
    const role: 'admin' | 'operator' | 'publisher' | undefined = me.data?.role;
    const browser = createBrowserClient(admin);
    const again = await browser.GET('/api/v1/deliveries/{id}', {
      params: { path: { id: delivery.id } },
    });
    process.stdout.write(
      JSON.stringify({
        idempotencyKey: handle.idempotencyKey,
        delivery: { id: delivery.id, endpointCode: delivery.endpointCode },
        detailId: again.data?.id,
        role,
        schemaTitle: jobContractSchema.title,
        sameSchema: JSON.stringify(schemaFile) === JSON.stringify(jobContractSchema),
      }),
    );
  } finally {
    await publisher.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(String(error instanceof Error ? error.stack : error));
  process.exit(1);
});
`;

/** Packs the package, installs the tarball in `dir` and compiles CONSUMER there. */
async function packInstallCompile(dir: string): Promise<string[]> {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: join(REPO, 'libs', 'client'),
    maxBuffer: 16 * 1024 * 1024,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const typesNode = JSON.parse(
    await readFile(join(REPO, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
  ) as { version: string };
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'hookgate-client-consumer', private: true, version: '1.0.0' }),
  );
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(dir, filename),
      `@types/node@${typesNode.version}`,
    ],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  await writeFile(join(dir, 'main.ts'), CONSUMER);
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'node16',
        moduleResolution: 'node16',
        target: 'ES2022',
        lib: ['ES2023'],
        types: ['node'],
        esModuleInterop: true,
        resolveJsonModule: true,
        // Every declaration file is checked, the package's included.
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['main.ts'],
    }),
  );
  await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch(
    (error: { stdout?: string }) => {
      throw new Error(`the consumer does not compile:\n${error.stdout ?? String(error)}`);
    },
  );
  return files.map((f) => f.path);
}

describe('@hookgate/client, packed and installed outside the repo', () => {
  let harness: Harness;
  let sink: Sink;
  let dir: string;
  let shipped: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookgate-client-'));
    // Packing and installing take most of the time: done while the apps boot.
    [harness, sink, shipped] = await Promise.all([
      startHarness({ dispatcher: true, env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } }),
      startSink(),
      packInstallCompile(dir),
    ]);
  });

  afterAll(async () => {
    await Promise.all([harness?.close(), sink?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships its build, declarations, schema and docs, and no tests', () => {
    for (const file of [
      'dist/index.d.ts',
      'dist/http.d.ts',
      'dist/schema.d.ts',
      'dist/job-contract.schema.json',
      'README.md',
      'CHANGELOG.md',
      'examples/publish.py',
    ]) {
      expect(shipped).toContain(file);
    }
    expect(shipped.filter((f) => f.includes('.spec.'))).toEqual([]);
  });

  it('compiles in a strict project and publishes to the running apps, finding the delivery', async () => {
    const publisherKey = await harness.admin('/api-keys', {
      body: { name: unique('client-package'), role: 'publisher' },
    });
    expect(publisherKey.status).toBe(201);
    const code = unique('client-pkg');
    const endpoint = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url),
    });
    expect(endpoint.status).toBe(201);

    const { stdout } = await run(process.execPath, [join(dir, 'out', 'main.js')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        REDIS_URL: process.env.REDIS_URL,
        QUEUE_PREFIX: process.env.QUEUE_PREFIX,
        ADMIN_URL: harness.adminUrl,
        PUBLISHER_KEY: publisherKey.body.key,
        ENDPOINT: code,
      },
    });
    const result = JSON.parse(stdout) as {
      idempotencyKey: string;
      delivery: { id: string; endpointCode: string };
      detailId: string;
      role: string;
      schemaTitle: string;
      sameSchema: boolean;
    };
    expect(result).toMatchObject({
      delivery: { endpointCode: code },
      detailId: result.delivery.id,
      role: 'publisher',
      schemaTitle: 'Hookgate outbound-requests job contract',
      sameSchema: true,
    });
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await harness.admin(`/deliveries?idempotencyKey=${result.idempotencyKey}`);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([result.delivery.id]);
    const hit = await waitFor(() => (sink.requests.length > 0 ? sink.requests[0] : undefined), {
      timeoutMs: 20_000,
      what: 'the sink to receive the delivery',
    });
    expect(JSON.parse(hit.body.toString('utf8'))).toEqual({ order: 42 });
  });
});
