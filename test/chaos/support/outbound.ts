import { query } from '../../support/database';
import { sinkEndpointBody, whsec } from '../../support/fixtures';
import type { Sink } from '../../support/sink';
import type { Stack } from './stack';

/** An active outbound endpoint to the sink, signed so each request carries `webhook-id`. */
export async function sinkEndpoint(
  stack: Stack,
  code: string,
  sink: { url: string },
  options: { timeoutMs?: number; maxAttempts?: number } = {},
): Promise<void> {
  await stack.create(
    '/outbound-endpoints',
    sinkEndpointBody(code, sink.url, {
      timeoutMs: options.timeoutMs ?? 2000,
      retryPolicy: {
        maxAttempts: options.maxAttempts ?? 10,
        initialDelaySeconds: 1,
        multiplier: 1,
        maxDelaySeconds: 1,
      },
      signing: { type: 'standard-webhooks', secret: whsec(`chaos-secret-${code}`) },
    }),
  );
}

export interface DeliveryRow {
  id: string;
  state: string;
  attempts: number;
}

export async function deliveriesOf(code: string): Promise<DeliveryRow[]> {
  return query<DeliveryRow>(
    process.env.DATABASE_URL!,
    `SELECT d.id, d.state, (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts
       FROM deliveries d WHERE d.endpoint_code = $1`,
    [code],
  );
}

export async function attemptsOf(
  code: string,
): Promise<Array<{ delivery_id: string; outcome: string; started_at: Date }>> {
  return query(
    process.env.DATABASE_URL!,
    `SELECT a.delivery_id, a.outcome, a.started_at FROM delivery_attempts a
       JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_code = $1`,
    [code],
  );
}

export async function countDeliveries(code: string, states: string[]): Promise<number> {
  const [row] = await query<{ n: number }>(
    process.env.DATABASE_URL!,
    `SELECT count(*)::int AS n FROM deliveries WHERE endpoint_code = $1 AND state = ANY($2)`,
    [code, states],
  );
  return row.n;
}

/** The sink's own log: requests per `webhook-id` (the delivery id), with their times. */
export function sinkLog(sink: Sink): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const request of sink.requests) {
    const id = String(request.headers['webhook-id']);
    seen.set(id, [...(seen.get(id) ?? []), request.at]);
  }
  return seen;
}
