import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/*
 * docker-compose.yml is a deployment artefact people run as is, so its two security
 * properties are held here (issue 21, item 7): it carries no usable ADMIN_API_KEY or
 * SECRETS_KEY (compose must refuse to start until the operator sets them), and it never
 * publishes Postgres or Redis beyond the loopback interface. And its running properties
 * (issue 25): every long-running service has a healthcheck and a restart policy, migrations
 * run once in a one-shot `migrate` service with the built script (the image has no
 * TypeScript to rebuild) before the apps start with MIGRATE_ON_BOOT=false, the `demo`
 * profile adds a receiver, and the Dockerfile runs the Node major package.json requires.
 */

const REQUIRED_SECRETS = ['ADMIN_API_KEY', 'SECRETS_KEY'] as const;
const PRIVATE_SERVICES = ['postgres', 'redis'] as const;
const APP_SERVICES = ['inbound-gateway', 'admin', 'outbound-dispatcher'] as const;

interface ComposeService {
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number | { host_ip?: string; published?: string | number }>;
  restart?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  command?: string | string[];
  profiles?: string[];
  volumes?: string[];
}

const root = join(__dirname, '..');
const composePath = join(root, 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, ComposeService>;
};

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** `${NAME:?message}` and nothing else: no default, no literal, no `${NAME}` that may be empty. */
function isRequiredInterpolation(name: string, value: string): boolean {
  return new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`).test(value);
}

/** The host address a compose port entry binds, or undefined when it binds every interface. */
function hostIpOf(entry: NonNullable<ComposeService['ports']>[number]): string | undefined {
  if (typeof entry === 'object') return entry.host_ip;
  const text = String(entry);
  // Short syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]; an IPv6 host is bracketed.
  const v6 = /^\[([^\]]+)\]:/.exec(text);
  if (v6) return v6[1];
  const parts = text.split(':');
  return parts.length === 3 ? parts[0] : undefined;
}

describe('docker-compose.yml', () => {
  it('runs every app with ADMIN_API_KEY and SECRETS_KEY required from the environment', () => {
    for (const name of APP_SERVICES) {
      const env = environmentOf(compose.services[name]);
      for (const secret of REQUIRED_SECRETS) {
        expect({ service: name, secret, value: env[secret] }).toEqual({
          service: name,
          secret,
          value: expect.stringMatching(new RegExp(`^\\$\\{${secret}:\\?`)),
        });
      }
    }
  });

  it('never gives ADMIN_API_KEY or SECRETS_KEY a default or a literal value', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const env = environmentOf(service);
      for (const [key, value] of Object.entries(env)) {
        for (const secret of REQUIRED_SECRETS) {
          if (key === secret || value.includes(secret)) {
            expect({
              service: name,
              key,
              value,
              ok: isRequiredInterpolation(secret, value),
            }).toEqual({ service: name, key, value, ok: true });
          }
        }
      }
    }
    // Also in the raw text: a `${VAR:-default}` or `${VAR-default}` anywhere (anchors, comments
    // turned into config later) would hand out a known key.
    for (const secret of REQUIRED_SECRETS) {
      expect(composeText).not.toMatch(new RegExp(`\\$\\{${secret}:?-`));
    }
  });

  it('publishes Postgres and Redis on 127.0.0.1 at most', () => {
    for (const name of PRIVATE_SERVICES) {
      const service = compose.services[name];
      expect(service).toBeDefined();
      for (const entry of service.ports ?? []) {
        expect({ service: name, entry, hostIp: hostIpOf(entry) }).toEqual({
          service: name,
          entry,
          hostIp: '127.0.0.1',
        });
      }
    }
  });
});

/** The TypeScript source `npm run build` compiles to `dist/scripts/<name>.js`. */
function builtScriptSource(command: string): string | undefined {
  const name = /dist\/scripts\/([\w-]+)\.js/.exec(command)?.[1];
  return name && existsSync(join(root, 'scripts', `${name}.ts`)) ? name : undefined;
}

const commandText = (command: string | string[] | undefined): string =>
  Array.isArray(command) ? command.join(' ') : (command ?? '');

describe('docker-compose.yml running properties', () => {
  const longRunning = Object.entries(compose.services).filter(([name]) => name !== 'migrate');

  it('gives every long-running service a healthcheck and a restart policy', () => {
    expect(longRunning.map(([name]) => name)).toEqual(
      expect.arrayContaining([...PRIVATE_SERVICES, ...APP_SERVICES]),
    );
    for (const [name, service] of longRunning) {
      expect({
        service: name,
        restart: service.restart,
        healthcheck:
          commandText(service.healthcheck?.test).length > 0 && !service.healthcheck?.disable,
      }).toEqual({ service: name, restart: 'unless-stopped', healthcheck: true });
    }
  });

  it('checks the apps with the healthcheck script of the image, built from scripts/', () => {
    for (const name of APP_SERVICES) {
      const test = commandText(compose.services[name].healthcheck?.test);
      expect({ service: name, script: builtScriptSource(test) }).toEqual({
        service: name,
        script: 'healthcheck',
      });
    }
  });

  it('migrates once, with the built script, before any app starts with MIGRATE_ON_BOOT=false', () => {
    const migrate = compose.services.migrate;
    expect(migrate).toBeDefined();
    const command = commandText(migrate.command);
    expect(builtScriptSource(command)).toBe('migrate');
    // `npm run migrate` rebuilds first and fails in the image, which has no sources.
    expect(command).not.toMatch(/npm run migrate(?!:built)/);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    expect(environmentOf(migrate).DATABASE_URL).toBe(
      environmentOf(compose.services.admin).DATABASE_URL,
    );
    for (const name of APP_SERVICES) {
      const service = compose.services[name];
      expect({ service: name, migrateOnBoot: environmentOf(service).MIGRATE_ON_BOOT }).toEqual({
        service: name,
        migrateOnBoot: 'false',
      });
      expect({ service: name, dependsOn: service.depends_on }).toEqual({
        service: name,
        dependsOn: {
          postgres: { condition: 'service_healthy' },
          redis: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        },
      });
    }
  });

  it('has a demo profile with a receiver running scripts/demo-receiver.mjs on loopback', () => {
    const demo = Object.entries(compose.services).filter(([, service]) =>
      service.profiles?.includes('demo'),
    );
    expect(demo.map(([name]) => name)).toEqual(['demo-receiver']);
    const [, receiver] = demo[0];
    const mounted = (receiver.volumes ?? []).map((volume) => volume.split(':')[0]);
    expect(mounted).toContain('./scripts/demo-receiver.mjs');
    expect(existsSync(join(root, 'scripts', 'demo-receiver.mjs'))).toBe(true);
    expect(commandText(receiver.command)).toContain('demo-receiver.mjs');
    for (const entry of receiver.ports ?? []) expect(hostIpOf(entry)).toBe('127.0.0.1');
    // The apps never wait for it: it is absent unless the profile is on.
    for (const name of APP_SERVICES) {
      expect(Object.keys(compose.services[name].depends_on ?? {})).not.toContain('demo-receiver');
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const engines = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    }
  ).engines.node;

  it('builds and runs on the Node major package.json requires', () => {
    const required = /^>=(\d+)/.exec(engines)?.[1];
    expect(required).toBeDefined();
    const bases = [...dockerfile.matchAll(/^FROM\s+node:(\d+)\S*/gm)].map((m) => m[1]);
    expect(bases).toEqual([required, required]);
    for (const [name, service] of Object.entries(compose.services)) {
      const image = (service as { image?: string }).image;
      if (image?.startsWith('node:'))
        expect({ name, image }).toEqual({
          name,
          image: expect.stringMatching(new RegExp(`^node:${required}-`)),
        });
    }
  });

  it('declares a HEALTHCHECK with the built healthcheck script', () => {
    // The instruction with its continuation lines (each ending in a backslash).
    const lines = dockerfile.split('\n');
    const start = lines.findIndex((line) => line.startsWith('HEALTHCHECK '));
    expect(start).toBeGreaterThanOrEqual(0);
    let end = start;
    while (lines[end].endsWith('\\')) end += 1;
    const healthcheck = lines.slice(start, end + 1).join('\n');
    expect(builtScriptSource(healthcheck)).toBe('healthcheck');
  });
});
