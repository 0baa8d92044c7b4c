import { AdminConfig } from '../apps/admin/src/config';
import { InboundGatewayConfig } from '../apps/inbound-gateway/src/config';
import { OutboundDispatcherConfig } from '../apps/outbound-dispatcher/src/config';
import { loadConfigOrExit } from '@app/platform';

/**
 * The Docker image's HEALTHCHECK (and compose's): `node dist/scripts/healthcheck.js` asks
 * the app named by APP for `GET /health` on its own port, read from the same variables and
 * defaults the app reads, and exits 0 on a 200 within 3 seconds, else 1. Liveness, not
 * readiness: a Postgres outage must not make Docker restart apps that are waiting it out
 * (readiness is `/health/ready`, for load balancers). Pass `--ready` to ask that instead.
 */
const PORTS = {
  'inbound-gateway': () => loadConfigOrExit(InboundGatewayConfig).INBOUND_PORT,
  admin: () => loadConfigOrExit(AdminConfig).ADMIN_PORT,
  'outbound-dispatcher': () => loadConfigOrExit(OutboundDispatcherConfig).DISPATCHER_PORT,
} as const;

async function main(): Promise<number> {
  const app = process.env.APP ?? 'inbound-gateway';
  if (!(app in PORTS)) {
    process.stderr.write(`healthcheck: APP must be one of ${Object.keys(PORTS).join(', ')}\n`);
    return 1;
  }
  const port = PORTS[app as keyof typeof PORTS]();
  const path = process.argv.includes('--ready') ? '/health/ready' : '/health';
  const url = `http://127.0.0.1:${port}${path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (res.status === 200) return 0;
    process.stderr.write(`healthcheck: ${url} answered ${res.status}: ${await res.text()}\n`);
  } catch (error) {
    process.stderr.write(`healthcheck: ${url}: ${String(error)}\n`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`healthcheck: ${String(error)}\n`);
    process.exit(1);
  },
);
