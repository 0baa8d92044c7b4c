import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21 item 1 on the inbound side, against the real gateway and worker (in this
 * process): webhooks whose JSON, form fields or query string use `__proto__`,
 * `constructor` and `prototype` as names are genuine data. They are stored with those
 * fields, processed into records and forwarded deliveries with those fields, and nothing
 * reaches a prototype on the way.
 */
const db = () => process.env.DATABASE_URL!;

const HOSTILE_JSON =
  '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},' +
  '"a":{"__proto__":{"polluted":1},"x":1},"list":[{"__proto__":{"polluted":1}}]}';

const HOSTILE_FORM =
  '__proto__=a&__proto__=b&constructor=c&toString=d&__proto__.polluted=1&' +
  'a%5B__proto__%5D%5Bpolluted%5D=1&constructor%5Bprototype%5D%5Bpolluted%5D=1';
const HOSTILE_FORM_FIELDS: Array<[string, unknown]> = [
  ['__proto__', ['a', 'b']],
  ['constructor', 'c'],
  ['toString', 'd'],
  ['__proto__.polluted', '1'],
  ['a[__proto__][polluted]', '1'],
  ['constructor[prototype][polluted]', '1'],
];

/** JSON with keys sorted at every level: jsonb reorders keys, this compares content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An object literal's `__proto__: x` sets the prototype; this builds data fields. */
function withDataKeys(entries: Array<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Jest runs this file in its own realm, but some globals (structuredClone) come from the
 * process's main one: the app's objects can have either Object.prototype. Both are checked.
 */
const PROTOTYPES: Array<Record<string, unknown>> = [
  Object.prototype as Record<string, unknown>,
  Object.getPrototypeOf(structuredClone({})) as Record<string, unknown>,
];

function polluted(): unknown {
  return PROTOTYPES.map((proto) => proto.polluted).find((value) => value !== undefined);
}

describe('inbound: prototype-named fields are data', () => {
  let harness: Harness;
  let recordUrl: string;
  let forwardUrl: string;
  const model = unique('proto-in');
  const outboundCode = unique('proto-fwd');

  beforeAll(async () => {
    harness = await startHarness();
    await query(
      db(),
      `INSERT INTO outbound_endpoints (tenant_id, code, name, state, method, body_mode, target_host, target_path)
       VALUES ($1, $2, 'parked', 'draft', 'POST', 'json', 'http://127.0.0.1:9', '/hooks')`,
      [await defaultTenantId(), outboundCode],
    );
    const recordHandler = await createHandler(harness, {
      rules: [
        {
          sequence: 10,
          name: 'keep a copy',
          conditions: [],
          action: 'create_record',
          targetModel: model,
          assignments: [
            { field: 'a', source: { kind: 'payload', path: 'a' } },
            { field: 'list', source: { kind: 'payload', path: 'list' } },
            { field: 'proto', source: { kind: 'payload', path: '__proto__' } },
            { field: 'form', source: { kind: 'payload', path: 'constructor' } },
          ],
        },
      ],
    });
    const forwardHandler = await createHandler(harness, {
      rules: [
        {
          sequence: 10,
          name: 'pass on',
          conditions: [],
          action: 'forward',
          forwardTo: outboundCode,
        },
      ],
    });
    recordUrl = (await createInboundEndpoint(harness, { handler: recordHandler.code })).url;
    forwardUrl = (await createInboundEndpoint(harness, { handler: forwardHandler.code })).url;
  });

  afterEach(() => {
    for (const proto of PROTOTYPES) delete proto.polluted;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function finished(id: string): Promise<{ state: string; payload: unknown }> {
    return waitFor(
      async () => {
        const event = await harness.admin(`/inbound-events/${id}`);
        return ['done', 'error', 'dead_letter'].includes(event.body.state) ? event.body : undefined;
      },
      { what: `event ${id} to finish` },
    );
  }

  async function stored(id: string): Promise<{ payload: unknown; query: unknown }> {
    const [row] = await query<{ payload: unknown; query: unknown }>(
      db(),
      `SELECT payload, query FROM inbound_events WHERE id = $1`,
      [id],
    );
    return row;
  }

  it('stores a JSON webhook with __proto__ keys and makes a record of them', async () => {
    const answer = await post(harness, `${recordUrl}?__proto__=q&constructor=r`, HOSTILE_JSON);
    expect(answer.status).toBe(202);
    const event = await finished(answer.body.id);
    expect(polluted()).toBeUndefined();
    expect(event.state).toBe('done');

    const row = await stored(answer.body.id);
    expect(canonical(row.payload)).toBe(canonical(JSON.parse(HOSTILE_JSON)));
    expect(canonical(row.query)).toBe(
      canonical(
        withDataKeys([
          ['__proto__', 'q'],
          ['constructor', 'r'],
        ]),
      ),
    );

    const [record] = await query<{ data: unknown }>(
      db(),
      `SELECT data FROM records WHERE model = $1 AND created_by_event = $2`,
      [model, answer.body.id],
    );
    const source = JSON.parse(HOSTILE_JSON) as Record<string, unknown>;
    expect(canonical(record.data)).toBe(
      canonical(
        withDataKeys([
          ['a', source.a],
          ['list', source.list],
          ['proto', Object.getOwnPropertyDescriptor(source, '__proto__')!.value],
          ['form', Object.getOwnPropertyDescriptor(source, 'constructor')!.value],
        ]),
      ),
    );
  });

  it('forwards a JSON webhook with its __proto__ keys intact', async () => {
    const answer = await post(harness, forwardUrl, HOSTILE_JSON);
    expect(answer.status).toBe(202);
    expect((await finished(answer.body.id)).state).toBe('done');
    expect(polluted()).toBeUndefined();
    const [delivery] = await query<{ payload: unknown }>(
      db(),
      `SELECT payload FROM deliveries WHERE endpoint_code = $1 AND source_event_id = $2`,
      [outboundCode, answer.body.id],
    );
    expect(canonical(delivery.payload)).toBe(canonical(JSON.parse(HOSTILE_JSON)));
  });

  it('stores and forwards a form webhook whose field names are prototype keys', async () => {
    const answer = await post(harness, forwardUrl, HOSTILE_FORM, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(answer.status).toBe(202);
    expect((await finished(answer.body.id)).state).toBe('done');
    expect(polluted()).toBeUndefined();
    const expected = canonical(withDataKeys(HOSTILE_FORM_FIELDS));
    expect(canonical((await stored(answer.body.id)).payload)).toBe(expected);
    const [delivery] = await query<{ payload: unknown }>(
      db(),
      `SELECT payload FROM deliveries WHERE endpoint_code = $1 AND source_event_id = $2`,
      [outboundCode, answer.body.id],
    );
    expect(canonical(delivery.payload)).toBe(expected);

    const health = await fetch(`${harness.inboundUrl}/health`);
    expect(health.status).toBe(200);
  });
});
