import type { INestApplication } from '@nestjs/common';
import type { HandlerRegistry } from '@app/core';
import { loadConfig, MetricsListener } from '@app/platform';
import { createAdmin } from '../../apps/admin/src/main';
import { AdminConfig } from '../../apps/admin/src/config';
import { createInboundGateway } from '../../apps/inbound-gateway/src/main';
import { InboundGatewayConfig } from '../../apps/inbound-gateway/src/config';
import { createDispatcher } from '../../apps/outbound-dispatcher/src/main';
import { OutboundDispatcherConfig } from '../../apps/outbound-dispatcher/src/config';
import { distWriterThread } from './processes';

/**
 * Boots apps in the test process against the run's database and queue prefix (set by
 * global setup), on ephemeral loopback ports. For tests about behaviour across HTTP,
 * Postgres and Redis; tests about processes use ./processes.ts instead.
 */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface Harness {
  inboundUrl: string;
  /** The gateway's metrics listener (`/metrics` is not on its webhook port). */
  inboundMetricsUrl: string;
  adminUrl: string;
  apps: INestApplication[];
  inboundApp: INestApplication;
  adminApp: INestApplication;
  dispatcherApp?: INestApplication;
  admin(
    path: string,
    init?: { method?: string; body?: unknown; key?: string },
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    HOST: '127.0.0.1',
    // Any free port: parallel runs must not fight over the default 9464.
    INBOUND_METRICS_PORT: '0',
    ...extra,
  };
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Also boot the outbound dispatcher (its HTTP server stays closed). */
  dispatcher?: boolean;
  /** The gateway's callbacks, instead of the build's (`buildHandlerRegistry`). */
  registry?: HandlerRegistry;
  /** The dispatcher's handler registry instead of the shipped one. */
  dispatcherRegistry?: HandlerRegistry;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const extraEnv = opts.env ?? {};
  const inbound = await createInboundGateway(loadConfig(InboundGatewayConfig, env(extraEnv)), {
    writerThreadScript: distWriterThread(),
    registry: opts.registry,
  });
  const admin = await createAdmin(loadConfig(AdminConfig, env(extraEnv)));
  const dispatcher = opts.dispatcher
    ? await createDispatcher(loadConfig(OutboundDispatcherConfig, env(extraEnv)), {
        registry: opts.dispatcherRegistry,
      })
    : undefined;
  if (dispatcher) await dispatcher.init();
  const inboundUrl = await listen(inbound);
  const adminUrl = await listen(admin);
  const metrics = inbound.get(MetricsListener).address();
  return {
    inboundUrl,
    inboundMetricsUrl: `http://${metrics.host}:${metrics.port}`,
    adminUrl,
    apps: dispatcher ? [inbound, admin, dispatcher] : [inbound, admin],
    inboundApp: inbound,
    adminApp: admin,
    dispatcherApp: dispatcher,
    async admin(path, init = {}) {
      const res = await fetch(`${adminUrl}/api/v1${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${init.key ?? TEST_ADMIN_KEY}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await Promise.all([inbound.close(), admin.close(), dispatcher?.close()]);
    },
  };
}

/**
 * The admin app alone, listening on an ephemeral loopback port, on the run's database and
 * queue prefix; `env` adds or overrides variables (a key, a log level, another database).
 */
export async function startAdminApp(
  env: Record<string, string | undefined> = {},
): Promise<{ app: INestApplication; url: string }> {
  const app = await createAdmin(
    loadConfig(AdminConfig, {
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...env,
    }),
  );
  await app.listen(0, '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`,
  };
}
