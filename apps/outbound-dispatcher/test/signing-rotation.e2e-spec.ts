import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { startHarness, type Harness } from '../../../test/support/harness';
import { RetentionJob } from '../../admin/src/retention/retention.job';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink, type SinkRequest } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Outbound signing-secret rotation end to end (issue 26 item 4): admin API → dispatcher →
 * loopback sink, verified with the official `standardwebhooks` and `stripe` SDKs as the
 * receivers would. During the window a receiver holding only the old secret and one holding
 * only the new both verify; after it only the new one does, and retention deletes the old.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;

describe('outbound signing-secret rotation', () => {
  let harness: Harness;
  let sink: Sink;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
  });

  afterAll(async () => {
    await sink?.close();
    await harness?.close();
  });

  async function endpoint(body: Record<string, unknown>): Promise<{ id: string; code: string }> {
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(unique('rot'), sink.url, body),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Sends one delivery to `code` and answers the request the sink received for it. */
  async function sendOne(code: string, marker: string): Promise<SinkRequest> {
    const res = await harness.admin('/deliveries', {
      body: { endpoint: code, payload: { marker } },
    });
    expect(res.status).toBe(202);
    return waitFor(
      async () => sink.requests.find((r) => r.body.toString().includes(`"${marker}"`)),
      { timeoutMs: 20_000, what: `the sink receives ${marker}` },
    );
  }

  const verifies = (secret: string, request: SinkRequest): boolean => {
    try {
      new Webhook(secret).verify(
        request.body.toString(),
        request.headers as Record<string, string>,
      );
      return true;
    } catch {
      return false;
    }
  };

  it('signs with both secrets during the window and the new one only after it', async () => {
    const oldSecret = whsec();
    const target = await endpoint({ signing: { type: 'standard-webhooks', secret: oldSecret } });

    const before = await sendOne(target.code, unique('before'));
    expect(String(before.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(oldSecret, before)).toBe(true);

    const rotated = await harness.admin(`/outbound-endpoints/${target.id}/rotate-secret`, {
      body: { overlapSeconds: 4 },
    });
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(2_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(4_000);
    expect(rotated.body.endpoint.signing).toEqual({
      type: 'standard-webhooks',
      secretSet: true,
      previousSecretExpiresAt: rotated.body.previousSecretExpiresAt,
    });

    // Right after the rotation (well inside the dispatcher's 5 s endpoint cache): the
    // configuration-change announcement must have dropped the cached old configuration.
    const during = await sendOne(target.code, unique('during'));
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, during)).toBe(true);
    expect(verifies(newSecret, during)).toBe(true);
    expect(verifies(whsec(), during)).toBe(false);

    await sleep(Math.max(0, expiresAt - Date.now()) + 200);
    const after = await sendOne(target.code, unique('after'));
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(verifies(oldSecret, after)).toBe(false);

    // The secrets never appear in a read, the audit entry or Postgres in plaintext.
    const read = await harness.admin(`/outbound-endpoints/${target.id}`);
    expect(JSON.stringify(read.body)).not.toContain(newSecret.slice(6));
    const audit = await query<{ action: string; after: unknown }>(
      db(),
      `SELECT action, after FROM audit_entries WHERE entity_id = $1 AND action = 'outbound-endpoint.rotate-secret'`,
      [target.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ overlapSeconds: 4, generated: true });
    expect(JSON.stringify(audit)).not.toContain(newSecret.slice(6));
    const [stored] = await query<{ secrets: Record<string, string>; signing: object }>(
      db(),
      `SELECT secrets, signing FROM outbound_endpoints WHERE id = $1`,
      [target.id],
    );
    expect(Object.keys(stored.secrets).sort()).toEqual(['previousSigningSecret', 'signingSecret']);
    expect(JSON.stringify(stored.secrets)).not.toContain(oldSecret.slice(6));

    // The retention pass deletes the old secret once the window has closed.
    const purged = await harness.adminApp.get(RetentionJob).purge();
    expect(purged.ran).toBe(true);
    expect(purged.expiredSigningSecrets).toBeGreaterThanOrEqual(1);
    const [cleaned] = await query<{ secrets: Record<string, string>; signing: object }>(
      db(),
      `SELECT secrets, signing FROM outbound_endpoints WHERE id = $1`,
      [target.id],
    );
    expect(Object.keys(cleaned.secrets)).toEqual(['signingSecret']);
    expect(cleaned.signing).toEqual({ type: 'standard-webhooks' });
  });

  it('takes a given secret; a PUT keeps the window unless it sets a new secret', async () => {
    const oldSecret = whsec();
    const newSecret = whsec();
    const target = await endpoint({ signing: { type: 'standard-webhooks', secret: oldSecret } });
    const rotated = await harness.admin(`/outbound-endpoints/${target.id}/rotate-secret`, {
      body: { secret: newSecret, overlapSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toBe(newSecret);

    const renamed = await harness.admin(`/outbound-endpoints/${target.id}`, {
      method: 'PUT',
      body: { name: 'renamed', signing: { type: 'standard-webhooks' } },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.signing.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
    const stillBoth = await sendOne(target.code, unique('kept'));
    expect(verifies(oldSecret, stillBoth)).toBe(true);
    expect(verifies(newSecret, stillBoth)).toBe(true);

    const third = whsec();
    const replaced = await harness.admin(`/outbound-endpoints/${target.id}`, {
      method: 'PUT',
      body: { signing: { type: 'standard-webhooks', secret: third } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.signing).toEqual({ type: 'standard-webhooks', secretSet: true });
    const onlyThird = await sendOne(target.code, unique('third'));
    expect(verifies(third, onlyThird)).toBe(true);
    expect(verifies(oldSecret, onlyThird)).toBe(false);
    expect(verifies(newSecret, onlyThird)).toBe(false);
  });

  it('timestamped hmac carries both v1 signatures; Stripe constructEvent accepts either', async () => {
    const target = await endpoint({
      signing: { type: 'hmac', header: 'Stripe-Signature', timestamped: true, secret: 'old-k' },
    });
    const rotated = await harness.admin(`/outbound-endpoints/${target.id}/rotate-secret`, {
      body: { secret: 'new-k', overlapSeconds: 600 },
    });
    expect(rotated.status).toBe(200);
    const request = await sendOne(target.code, unique('stripe'));
    const header = String(request.headers['stripe-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const stripe = new Stripe('sk_test_x');
    for (const secret of ['old-k', 'new-k']) {
      expect(stripe.webhooks.constructEvent(request.body, header, secret)).toBeTruthy();
    }
    expect(() => stripe.webhooks.constructEvent(request.body, header, 'other')).toThrow();
  });

  it('refuses what cannot work: an overlap on plain hmac, no signing, a malformed secret', async () => {
    const plain = await endpoint({
      signing: { type: 'hmac', header: 'X-Signature', prefix: 'sha256=', secret: 'old' },
    });
    const overlap = await harness.admin(`/outbound-endpoints/${plain.id}/rotate-secret`, {
      body: { overlapSeconds: 60 },
    });
    expect(overlap.status).toBe(400);
    expect(overlap.body.details).toEqual([
      {
        field: 'overlapSeconds',
        problems: [expect.stringMatching(/^plain hmac signing holds one/)],
      },
    ]);
    const atOnce = await harness.admin(`/outbound-endpoints/${plain.id}/rotate-secret`, {
      body: { overlapSeconds: 0 },
    });
    expect(atOnce.status).toBe(200);
    expect(atOnce.body.previousSecretExpiresAt).toBeNull();
    expect(atOnce.body.secret).toMatch(/^[0-9a-f]{64}$/);

    const unsigned = await endpoint({});
    const none = await harness.admin(`/outbound-endpoints/${unsigned.id}/rotate-secret`, {
      body: {},
    });
    expect(none.status).toBe(409);

    const standard = await endpoint({ signing: { type: 'standard-webhooks', secret: whsec() } });
    const malformed = await harness.admin(`/outbound-endpoints/${standard.id}/rotate-secret`, {
      body: { secret: 'whsec_not base64!' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.details.map((d: { field: string }) => d.field)).toEqual(['secret']);
    const tooLong = await harness.admin(`/outbound-endpoints/${standard.id}/rotate-secret`, {
      body: { overlapSeconds: 31 * 86_400 },
    });
    expect(tooLong.status).toBe(400);
    const audited = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM audit_entries WHERE entity_id = $1 AND action = 'outbound-endpoint.rotate-secret'`,
      [standard.id],
    );
    expect(Number(audited[0].n)).toBe(0);
  });
});
