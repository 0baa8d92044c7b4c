import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/*
 * docker-compose.yml is a deployment artefact people run as is, so its two security
 * properties are held here (issue 21, item 7): it carries no usable ADMIN_API_KEY or
 * SECRETS_KEY (compose must refuse to start until the operator sets them), and it never
 * publishes Postgres or Redis beyond the loopback interface.
 */

const REQUIRED_SECRETS = ['ADMIN_API_KEY', 'SECRETS_KEY'] as const;
const PRIVATE_SERVICES = ['postgres', 'redis'] as const;
const APP_SERVICES = ['inbound-gateway', 'admin', 'outbound-dispatcher'] as const;

interface ComposeService {
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number | { host_ip?: string; published?: string | number }>;
}

const composePath = join(__dirname, '..', 'docker-compose.yml');
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
