import { defaultTenantId, query } from './database';
import type { Harness } from './harness';

/** Small builders for admin-API fixtures, each asserting the API accepted them. */
let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** A Standard Webhooks secret (`whsec_` + base64) derived from a readable seed. */
export function whsec(seed: string): string {
  return 'whsec_' + Buffer.from(seed).toString('base64');
}

/**
 * The admin-API body of an active outbound endpoint that POSTs JSON to a loopback sink
 * (`/hooks`), the shape outbound tests start from; `overrides` adds or replaces fields.
 */
export function sinkEndpointBody(
  code: string,
  sinkUrl: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    code,
    name: code,
    state: 'active',
    method: 'POST',
    bodyMode: 'json',
    targetHost: sinkUrl,
    targetPath: '/hooks',
    ...overrides,
  };
}

export async function createHandler(
  harness: Harness,
  body: Record<string, unknown>,
): Promise<{ id: string; code: string }> {
  const code = (body.code as string | undefined) ?? unique('h');
  const res = await harness.admin('/handlers', {
    body: { code, name: code, direction: 'inbound', executionMode: 'rules', ...body },
  });
  if (res.status !== 201)
    throw new Error(`handler not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createInboundEndpoint(
  harness: Harness,
  body: Record<string, unknown>,
): Promise<{ id: string; path: string; url: string }> {
  const path = (body.path as string | undefined) ?? unique('ep');
  const res = await harness.admin('/inbound-endpoints', { body: { name: path, path, ...body } });
  if (res.status !== 201)
    throw new Error(`endpoint not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function post(
  harness: Harness,
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${harness.inboundUrl}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/**
 * A draft outbound endpoint, inserted directly (a dead loopback target): deliveries
 * forwarded to it wait in `draft`, nothing is sent.
 */
export async function insertDraftOutboundEndpoint(code: string, name = 'CRM'): Promise<void> {
  await query(
    process.env.DATABASE_URL!,
    `INSERT INTO outbound_endpoints (tenant_id, code, name, state, method, body_mode, target_host, target_path)
     VALUES ($1, $2, $3, 'draft', 'POST', 'json', 'http://127.0.0.1:9', '/hooks')`,
    [await defaultTenantId(), code, name],
  );
}
