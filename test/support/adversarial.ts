import fc from 'fast-check';
import { request as httpRequest, Agent } from 'node:http';
import { Client } from 'pg';

/**
 * The adversarial admin-API suite, shared by the short e2e run and the long chaos run
 * (issue 21). Driven by the admin app's own OpenAPI document: every operation in it is
 * called by four principals (an operator key and a publisher key of the default tenant, an
 * admin key of another tenant, no key) with fast-check requests built from the document (path and query
 * parameters, request body schemas and their examples) and then made hostile: prototype
 * keys at any depth, dotted and bracketed keys, repeated keys, huge strings, NUL, unpaired
 * surrogates, broken and overlong percent-encodings, deep or huge JSON, odd numbers.
 *
 * After every request it checks, from outside the app: no 5xx and an answer at all; no
 * property appeared on `Object.prototype` (directly when the app runs in this process,
 * and by canary requests whose answers must not move); a refused request (4xx) changed
 * the row count of no table; the victim tenant (the one the principal does not belong
 * to) is unchanged row for row and none of its ids appears in an answer; a request
 * without a key got no 2xx; an operator or publisher key changed no configuration of its
 * own tenant and no key or tenant anywhere, and a publisher no event or record either,
 * whatever the answer said. After every batch the app must still answer its health and
 * metrics routes. Everything is seeded: the run prints its seed, and each failure its own
 * seed and fast-check path.
 */

// ---------------------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------------------

export type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
};

type OpenApiParameter = { name: string; in: string; schema?: Schema; required?: boolean };
type OpenApiOperation = {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
};
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  /** `POST /api/v1/handlers/{id}` */
  label: string;
  method: string;
  template: string;
  pathParams: Array<{ name: string; schema: Schema }>;
  queryParams: Array<{ name: string; schema: Schema }>;
  body?: Schema;
  /** Under /api/v1: needs a key. */
  authenticated: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const params = op.parameters ?? [];
      out.push({
        label: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        queryParams: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
        authenticated: template.startsWith('/api/'),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------

/** Property names the suite tries to plant on Object.prototype; the checks look for each. */
export const MARKERS = ['hgPolluted', 'name', 'role', 'isAdmin', 'tenantId'] as const;

const HUGE = 100_000;

/** Strings that have broken parsers, validators, stores or templates somewhere. */
const NASTY: string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'a\uDC00b\uD800',
  '\uFEFF',
  '\u202E',
  '\u2028',
  '\r\n',
  '..',
  '../..',
  '%',
  '%ZZ',
  '%00',
  '%C0%AE',
  '{a}',
  '{..}',
  '${x}',
  '{{x}}',
  '*',
  '**',
  '*.*',
  '*a*a*a*a*a*a*a*a*a*a*a*a*a',
  "' OR 1=1 --",
  '"; DROP TABLE tenants; --',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0',
  '1e400',
  '9007199254740993',
  '123456789012345678901234567890',
  '0x10',
  '2026-13-45',
  '2026-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '-271821-04-20T00:00:00Z',
  'true',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'e\u0301',
  '𝕏',
  'admin',
  'operator',
  'default',
];

/** Any UTF-16 code unit: lone surrogates, NUL and controls included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

const hugeString = (size: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .constantFrom('a', 'é', '\u0000', '\uD800', '𝕏', '{x}', '*a', '.', ',')
      .map((c) => c.repeat(Math.ceil(size / c.length))),
    fc
      .tuple(fc.string({ unit: anyCodeUnit, minLength: 1, maxLength: 8 }), fc.nat(50))
      .map(([s, n]) => s.repeat(Math.ceil((size + n) / s.length))),
  );

/**
 * Hostile strings; `hugeSize` is the size of the long ones: ~100 KB in bodies, a few KB in
 * URLs (Node answers 431 to a head over 16 KB before the app sees it; a few such requests
 * are sent on purpose, the rest should reach the app).
 */
const hostileStrings = (hugeSize: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 3, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 1, arbitrary: hugeString(hugeSize) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...MARKERS).map((m) => `__proto__.${m}`),
    },
  );

export const hostileString = hostileStrings(HUGE);
const urlHostileString = hostileStrings(1_000);

/** Query / form keys aimed at object builders: prototype paths at any depth. */
const protoKey: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      '__proto__.M',
      '__proto__[M]',
      '__proto__',
      'constructor.prototype.M',
      'constructor[prototype][M]',
      'a[__proto__][M]',
      'a.__proto__.M',
      'a.b.__proto__.M',
      'a[b][__proto__][M]',
      'x.constructor.prototype.M',
      '__proto__.__proto__.M',
      '__proto__.constructor.prototype.M',
      'prototype.M',
      '[__proto__]M',
      '__proto__]M',
      '%5F%5Fproto%5F%5F.M',
      '__pro__proto__to__.M',
      'M',
    ),
    fc.constantFrom(...MARKERS),
  )
  .map(([template, marker]) => template.replace('M', marker));

const shapedKey: fc.Arbitrary<string> = fc.constantFrom(
  'a.b',
  'a.b.c.d.e.f.g.h.i.j.k',
  'a[b]',
  'a[b][c]',
  'a[]',
  'a[0]',
  'a[1000000]',
  'a[-1]',
  '.',
  '..',
  'a..b',
  '.a',
  'a.',
  '[',
  ']',
  'a[',
  'a]b',
  '[]',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'length',
  'data.x',
  'customer.email',
  'limit',
  'cursor',
  '',
);

// ---------------------------------------------------------------------------------------
// Raw URL encoding (fetch and URL normalise; these must reach the server as written)
// ---------------------------------------------------------------------------------------

/** UTF-8 bytes of a JS string, with lone surrogates as their WTF-8 bytes (ED A0 80 …). */
function wtf8(s: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i += 1) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i += 1;
      }
    }
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      bytes.push(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 63),
        0x80 | ((c >> 6) & 63),
        0x80 | (c & 63),
      );
  }
  return bytes;
}

const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Percent-encodes everything but unreserved characters (and, when `keep`, `.[]`). */
export function encodeComponent(s: string, keep = false): string {
  return wtf8(s)
    .map((b) => {
      const ch = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_~]/.test(ch) || (keep && /[.[\]*]/.test(ch))) return ch;
      return hex(b);
    })
    .join('');
}

/** Encodings a lenient or strict decoder may trip on. */
const ODD_ENCODINGS = [
  '%ZZ',
  '%',
  '%0',
  '%00',
  '%C0%AE',
  '%C0%AE%C0%AE',
  '%E0%80%AE',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%F4%90%80%80',
  '%FF%FE',
  '%25',
  '%252e%252e',
  '%2e%2e',
  '%2F',
  '+',
  '%u0041',
  '%E2%80%AE',
];

/** How one string travels in a URL: encoded properly, left mostly raw, or with odd bytes. */
const encoded = (value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 5, arbitrary: value.map((s) => encodeComponent(s, true)) },
    { weight: 2, arbitrary: value.map((s) => encodeComponent(s)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(value, fc.constantFrom(...ODD_ENCODINGS), fc.nat())
        .map(([s, odd, at]) => {
          const e = encodeComponent(s, true);
          const cut = e.length === 0 ? 0 : at % (e.length + 1);
          // Never split an existing %XX triplet: the odd bytes go between whole escapes.
          const safe = e.lastIndexOf('%', cut - 1) > cut - 3 ? e.length : cut;
          return e.slice(0, safe) + odd + e.slice(safe);
        }),
    },
  );

// ---------------------------------------------------------------------------------------
// JSON bodies, built from the document's schemas and made hostile
// ---------------------------------------------------------------------------------------

/** A JSON value whose objects may hold `__proto__` keys, duplicate keys and raw tokens. */
type J = null | boolean | number | string | J[] | JObject | RawJson;
class JObject {
  constructor(readonly entries: Array<[string, J]>) {}
}
class RawJson {
  constructor(readonly text: string) {}
}

export function jsonText(v: J): string {
  if (v instanceof RawJson) return v.text;
  if (v instanceof JObject)
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
  return JSON.stringify(v);
}

function fromPlain(value: unknown): J {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === 'object')
    return new JObject(Object.entries(value as object).map(([k, v]) => [k, fromPlain(v)]));
  return value as J;
}

const deep = (depth: number, leaf = '1') =>
  new RawJson('{"a":'.repeat(depth) + leaf + '}'.repeat(depth));

const protoObject: fc.Arbitrary<J> = fc
  .tuple(
    fc.constantFrom('__proto__', 'constructor', 'prototype'),
    fc.constantFrom(...MARKERS),
    fc.constantFrom<J>('polluted', 1, true, null, new JObject([['x', 1]])),
  )
  .map(([key, marker, value]) =>
    key === 'constructor'
      ? new JObject([[key, new JObject([['prototype', new JObject([[marker, value]])]])]])
      : new JObject([[key, new JObject([[marker, value]])]]),
  );

/** A value of the wrong kind, size or shape, for any position in a body. */
export const hostileJson: fc.Arbitrary<J> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  {
    weight: 3,
    arbitrary: fc.constantFrom<J>(
      null,
      true,
      0,
      -1,
      -0,
      0.5,
      2 ** 31,
      Number.MAX_SAFE_INTEGER + 2,
      new RawJson('1e400'),
      new RawJson('-1e400'),
      new RawJson('1e-400'),
      new RawJson('123456789012345678901234567890'),
      new RawJson('-0.0'),
      new RawJson('1E+2'),
      '123456789012345678901234567890',
      '1e400',
      [],
      [null],
      new JObject([]),
      new JObject([['', '']]),
    ),
  },
  { weight: 2, arbitrary: protoObject },
  {
    weight: 1,
    arbitrary: fc.constantFrom(5, 60, 200, 5_000).map((d) => deep(d)),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('1', '"x"', '{}', 'null', '[]')
      .map((item) => new RawJson(`[${Array(50_000).fill(item).join(',')}]`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(protoKey, shapedKey), hostileString), { maxLength: 4 })
      .map((entries) => new JObject(entries)),
  },
);

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && s.$ref; i += 1) {
    const name = s.$ref.split('/').pop()!;
    s = doc.components?.schemas?.[name] ?? {};
  }
  if (s.allOf && s.allOf.length > 0) {
    const parts = s.allOf.map((part) => resolve(doc, part));
    return {
      ...s,
      allOf: undefined,
      type: s.type ?? parts.find((p) => p.type)?.type,
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), s.properties ?? {}),
      required: [...parts.flatMap((p) => p.required ?? []), ...(s.required ?? [])],
    };
  }
  return s;
}

const LOOPBACK_URLS = ['http://127.0.0.1:9', 'http://127.0.0.1:9/base', 'http://[::1]:9'];
/** Fields whose values become outbound targets: only loopback (no fuzz traffic leaves). */
const URL_FIELDS = new Set(['targetHost', 'baseUrl', 'url']);
const UNIQUE_FIELDS = new Set(['code', 'name', 'path', 'suffix']);

/** A value the schema accepts, preferring the document's own examples. */
function cleanValue(
  doc: OpenApiDocument,
  raw: Schema | undefined,
  field = '',
  depth = 0,
): fc.Arbitrary<J> {
  const schema = resolve(doc, raw);
  if (URL_FIELDS.has(field)) return fc.constantFrom<J>(...LOOPBACK_URLS);
  const choices: Array<fc.Arbitrary<J>> = [];
  if (schema.example !== undefined) choices.push(fc.constant(fromPlain(schema.example)));
  if (schema.default !== undefined) choices.push(fc.constant(fromPlain(schema.default)));
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum.map(fromPlain));
  if (schema.oneOf || schema.anyOf) {
    const alternatives = (schema.oneOf ?? schema.anyOf)!.map((s) =>
      cleanValue(doc, s, field, depth + 1),
    );
    return fc.oneof(...alternatives, ...choices);
  }
  if (depth > 6) return fc.constant(null);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') choices.push(fc.uuid());
      else if (schema.format === 'date-time')
        choices.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      else choices.push(fc.string({ minLength: 1, maxLength: 12 }));
      if (UNIQUE_FIELDS.has(field) && typeof schema.example === 'string') {
        const example = schema.example;
        choices.push(fc.stringMatching(/^[a-z0-9]{4,8}$/).map((suffix) => `${example}-${suffix}`));
      }
      break;
    case 'number':
    case 'integer':
      choices.push(
        fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1e6) }),
      );
      break;
    case 'boolean':
      choices.push(fc.boolean());
      break;
    case 'array':
      choices.push(fc.array(cleanValue(doc, schema.items, field, depth + 1), { maxLength: 3 }));
      break;
    default: {
      const props = Object.entries(schema.properties ?? {});
      if (props.length > 0) {
        const required = new Set(schema.required ?? []);
        choices.push(
          fc
            .tuple(
              ...props.map(([name, s]) =>
                required.has(name)
                  ? cleanValue(doc, s, name, depth + 1).map((v) => [name, v] as [string, J])
                  : fc.option(
                      cleanValue(doc, s, name, depth + 1).map((v) => [name, v] as [string, J]),
                      { freq: 2 },
                    ),
              ),
            )
            .map((entries) => new JObject(entries.filter((e): e is [string, J] => e !== null))),
        );
      } else if (choices.length === 0) {
        choices.push(
          fc
            .dictionary(
              fc.string({ maxLength: 8 }),
              fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
              {
                maxKeys: 3,
              },
            )
            .map(fromPlain),
        );
      }
    }
  }
  return choices.length === 1 ? choices[0] : fc.oneof(...choices);
}

/** Every node of a value, each with a setter, for one targeted mutation. */
function nodes(root: J): Array<{ node: J; set: (v: J) => void; object?: JObject }> {
  const out: Array<{ node: J; set: (v: J) => void; object?: JObject }> = [];
  const walk = (node: J, set: (v: J) => void) => {
    out.push({ node, set, object: node instanceof JObject ? node : undefined });
    if (node instanceof JObject)
      node.entries.forEach((entry) => walk(entry[1], (v) => (entry[1] = v)));
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, (v) => (node[i] = v)));
  };
  let top = root;
  walk(root, (v) => (top = v));
  void top;
  return out;
}

/** A clean body with one node replaced, or one hostile key added to one object. */
function cloneJ(v: J): J {
  if (v instanceof JObject) return new JObject(v.entries.map(([k, x]) => [k, cloneJ(x)]));
  if (Array.isArray(v)) return v.map(cloneJ);
  return v;
}

function mutate(value: J, at: number, hostile: J, key: string, addKey: boolean): J {
  // A copy: generated values (the document's examples above all) are shared between runs.
  const box = new JObject([['root', cloneJ(value)]]);
  const all = nodes(box).slice(1);
  if (all.length === 0) return hostile;
  const target = all[at % all.length];
  if (addKey) {
    const objects = all.filter((n) => n.object);
    if (objects.length > 0) {
      objects[at % objects.length].object!.entries.push([key, hostile]);
      return box.entries[0][1];
    }
  }
  target.set(hostile);
  return box.entries[0][1];
}

export interface Body {
  contentType?: string;
  bytes: Buffer;
  /** Short description for reports. */
  kind: string;
}

const rawBodies: Array<[string, string | Buffer, string?]> = [
  ['invalid', '{'],
  ['invalid', '{"a":1,}'],
  ['invalid', "{'a':1}"],
  ['invalid', '{"a":NaN}'],
  ['invalid', '\uFEFF{}'],
  ['invalid', '{"a":"\u0000"}'],
  ['bare', 'null'],
  ['bare', '"x"'],
  ['bare', '1e400'],
  ['bare', '[]'],
  ['bare', '[{}]'],
  ['deep', '['.repeat(100_000)],
  ['deep', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
  ['deep', '['.repeat(60) + ']'.repeat(60)],
  [
    'overlong',
    Buffer.from([
      0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xae, 0xe0, 0x80, 0xae, 0xed, 0xa0, 0x80, 0x22,
      0x7d,
    ]),
  ],
  ['utf16', Buffer.from('{"name":"x"}', 'utf16le'), 'application/json; charset=utf-16'],
  ['charset', '{"name":"x"}', 'application/json; charset=koi8-r'],
  ['huge', `{"name":"${'a'.repeat(1_900_000)}"}`],
  ['too-large', `{"name":"${'a'.repeat(2_200_000)}"}`],
  ['dup', '{"name":"a","name":{"__proto__":{"hgPolluted":1}},"__proto__":{"hgPolluted":1}}'],
  [
    'form',
    '__proto__[hgPolluted]=1&constructor[prototype][hgPolluted]=1&a[__proto__][name]=x',
    'application/x-www-form-urlencoded',
  ],
  [
    'form',
    'a[b][c][d][e][f][g][h][i][j][k][l]=1&a[]=1&a[]=2&name=x',
    'application/x-www-form-urlencoded',
  ],
  ['text', 'hello', 'text/plain'],
  [
    'multipart',
    '--x\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n--x--\r\n',
    'multipart/form-data; boundary=x',
  ],
];

export function bodyArbitrary(
  doc: OpenApiDocument,
  schema: Schema | undefined,
): fc.Arbitrary<Body> {
  const clean = cleanValue(doc, schema ?? { type: 'object' });
  const json = (kind: string) => (v: J) => ({
    kind,
    contentType: 'application/json',
    bytes: Buffer.from(jsonText(v), 'utf8'),
  });
  return fc.oneof(
    { weight: 3, arbitrary: clean.map(json('schema')) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          clean,
          fc.nat(),
          hostileJson,
          fc.oneof(protoKey, shapedKey, fc.constantFrom('__proto__', 'constructor')),
          fc.boolean(),
        )
        .map(([v, at, h, key, addKey]) => mutate(v, at, h, key, addKey))
        .map(json('mutated')),
    },
    { weight: 1, arbitrary: hostileJson.map(json('hostile')) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...rawBodies).map(([kind, text, type]) => ({
        kind,
        contentType: type ?? 'application/json',
        bytes: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'),
      })),
    },
  );
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

export interface Pools {
  /** Ids of real rows in both tenants, by kind (`handler`, `delivery`, …). */
  ids: string[];
  /** Record models that exist. */
  models: string[];
}

export interface FuzzRequest {
  method: string;
  /** Raw request target, sent byte for byte. */
  target: string;
  body?: Body;
}

function pathValue(param: { name: string; schema: Schema }, pools: Pools): fc.Arbitrary<string> {
  const known: Array<fc.Arbitrary<string>> = [];
  if (param.schema.enum?.length)
    known.push(fc.constantFrom(...param.schema.enum.map((v) => encodeComponent(String(v)))));
  if (param.name === 'model' && pools.models.length)
    known.push(fc.constantFrom(...pools.models.map((m) => encodeComponent(m))));
  else if (pools.ids.length) known.push(fc.constantFrom(...pools.ids));
  return fc.oneof(
    ...known.map((arbitrary) => ({ weight: 6, arbitrary })),
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: encoded(urlHostileString) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...ODD_ENCODINGS,
        '.',
        '..',
        '%2e',
        'a%2Fb',
        '%3F',
        '%23',
        'x'.repeat(10_000),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...pools.ids).map((id) => `${id}%00`),
    },
  );
}

/** Query values: a document value now and then, mostly hostile. */
function queryValue(schema: Schema | undefined): fc.Arbitrary<string> {
  const valid: Array<fc.Arbitrary<string>> = [fc.constantFrom('1', '10', 'x')];
  if (schema?.enum?.length) valid.push(fc.constantFrom(...schema.enum.map(String)));
  if (schema?.type === 'integer' || schema?.type === 'number')
    valid.push(fc.integer({ min: -5, max: 600 }).map(String));
  return fc.oneof(
    { weight: 2, arbitrary: fc.oneof(...valid) },
    { weight: 3, arbitrary: urlHostileString },
  );
}

function queryArbitrary(op: Operation): fc.Arbitrary<string> {
  const known =
    op.queryParams.length > 0
      ? fc.constantFrom(...op.queryParams.map((p) => p.name))
      : fc.constant('limit');
  const schemaOf = (key: string) => op.queryParams.find((p) => p.name === key)?.schema;
  const key = fc.oneof(
    { weight: 3, arbitrary: known },
    { weight: 4, arbitrary: protoKey },
    { weight: 2, arbitrary: shapedKey },
    { weight: 1, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 10 }) },
  );
  const pair = key.chain((k) =>
    fc.tuple(
      encoded(fc.constant(k)),
      encoded(queryValue(schemaOf(k))),
      fc.constantFrom('=', '=', '=', '', '=='),
    ),
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.array(pair, { minLength: 1, maxLength: 6 }),
          fc.constantFrom('&', '&', '&&', ';'),
          fc.nat(3),
        )
        .map(([pairs, sep, repeat]) => {
          const parts = pairs.map(([k, v, eq]) => (eq === '' ? k : `${k}${eq}${v}`));
          // Repeated keys: the same key again (arrays, or last-one-wins surprises).
          for (let i = 0; i < repeat && parts.length > 0; i += 1)
            parts.push(parts[i % parts.length]);
          return `?${parts.join(sep)}`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '?&',
        '?=',
        '?==x',
        '?%ZZ=1',
        '?a=%ZZ',
        '?a=%ED%A0%80',
        '?a=%C0%AE',
        `?a=${'x'.repeat(HUGE)}`,
        `?${Array.from({ length: 2_000 }, (_, i) => `k${i}=1`).join('&')}`,
        `?a=${'a'.repeat(12_000)}`,
        `?${Array(100).fill('a[]=1').join('&')}`,
        `?limit=1&limit=2&cursor=a&cursor=b`,
      ),
    },
  );
}

export function requestArbitrary(
  doc: OpenApiDocument,
  op: Operation,
  pools: Pools,
): fc.Arbitrary<FuzzRequest> {
  const segments = op.pathParams.map((p) => pathValue(p, pools));
  const hasBody = op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH';
  return fc
    .tuple(
      fc.tuple(...segments),
      queryArbitrary(op),
      hasBody ? fc.option(bodyArbitrary(doc, op.body), { freq: 8 }) : fc.constant(null),
    )
    .map(([values, query, body]) => {
      let path = op.template;
      op.pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i])));
      return { method: op.method, target: `${path}${query}`, body: body ?? undefined };
    });
}

export function describeRequest(req: FuzzRequest): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const body = req.body
    ? ` [${req.body.kind}; ${req.body.contentType ?? 'no type'}; ${req.body.bytes.length} B] ${cut(req.body.bytes.toString('utf8'), 300)}`
    : '';
  return `${req.method} ${cut(req.target, 400)}${body}`;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface Answer {
  status: number;
  text: string;
  error?: string;
}

/** One request as written (target bytes untouched), answering 0 when none came. */
export function send(
  baseUrl: string,
  req: FuzzRequest,
  key?: string,
  timeoutMs = 30_000,
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...extraHeaders };
    if (key) headers.authorization = `Bearer ${key}`;
    if (req.body) {
      if (req.body.contentType) headers['content-type'] = req.body.contentType;
      headers['content-length'] = req.body.bytes.length;
    }
    let done = false;
    const finish = (answer: Answer) => {
      if (!done) {
        done = true;
        resolve(answer);
      }
    };
    let client;
    try {
      client = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: req.method,
          path: req.target,
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e) => finish({ status: 0, text: '', error: e.message }));
        },
      );
    } catch (error) {
      // The client itself refused the target (a byte http.request will not write): not
      // the server's doing, so it counts as a 4xx-like refusal on our side.
      finish({ status: -1, text: '', error: (error as Error).message });
      return;
    }
    client.setTimeout(timeoutMs, () => client.destroy(new Error('timeout')));
    client.on('error', (e) => finish({ status: 0, text: '', error: e.message }));
    client.end(req.body?.bytes);
  });
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/** Watches the prototypes of this process's built-ins (the in-process app's, too). */
export class PrototypeWatch {
  private readonly baseline = new Map<object, Map<string | symbol, PropertyDescriptor>>();
  private readonly targets: object[] = [
    Object.prototype,
    Array.prototype,
    Function.prototype,
    String.prototype,
  ];

  constructor() {
    for (const target of this.targets) {
      const own = new Map<string | symbol, PropertyDescriptor>();
      for (const key of Reflect.ownKeys(target))
        own.set(key, Object.getOwnPropertyDescriptor(target, key)!);
      this.baseline.set(target, own);
    }
  }

  /** What changed since the baseline, put back as it was. */
  checkAndRestore(): string[] {
    const changed: string[] = [];
    for (const target of this.targets) {
      const own = this.baseline.get(target)!;
      const label = (target as { constructor?: { name?: string } }).constructor?.name ?? '?';
      for (const key of Reflect.ownKeys(target)) {
        const now = Object.getOwnPropertyDescriptor(target, key)!;
        const was = own.get(key);
        if (!was) {
          changed.push(
            `${label}.prototype.${String(key)} = ${JSON.stringify(now.value)?.slice(0, 60)}`,
          );
          delete (target as Record<string | symbol, unknown>)[key];
        } else if (was.value !== now.value || was.get !== now.get || was.set !== now.set) {
          changed.push(`${label}.prototype.${String(key)} replaced`);
          Object.defineProperty(target, key, was);
        }
      }
    }
    for (const marker of MARKERS) {
      if (({} as Record<string, unknown>)[marker] !== undefined)
        changed.push(`({}).${marker} still set`);
    }
    return changed;
  }
}

/** Tables whose rows a request could write; the stats rollup writes on its own clock. */
async function tables(client: Client): Promise<{ all: string[]; tenanted: string[] }> {
  const rows = (
    await client.query<{ table_name: string; tenanted: boolean }>(
      `SELECT t.table_name,
              EXISTS (SELECT 1 FROM information_schema.columns c
                       WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
                         AND c.column_name = 'tenant_id') AS tenanted
         FROM information_schema.tables t
        WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
          AND t.table_name NOT LIKE 'stats\\_%' AND t.table_name NOT IN ('migrations', 'typeorm_metadata')
        ORDER BY 1`,
    )
  ).rows;
  return {
    all: rows.map((r) => r.table_name),
    tenanted: rows.filter((r) => r.tenanted).map((r) => r.table_name),
  };
}

export interface DbState {
  counts: Record<string, number>;
  /** Per tenant, per table: its row count and newest row version (any write moves it). */
  tenants: Record<string, Record<string, string>>;
}

/** Reads row counts of every table and each watched tenant's digest in one round trip. */
export class DbProbe {
  private sql = '';
  private constructor(
    private readonly client: Client,
    private readonly tenantIds: string[],
  ) {}

  static async open(databaseUrl: string, tenantIds: string[]): Promise<DbProbe> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const probe = new DbProbe(client, tenantIds);
    const { all, tenanted } = await tables(client);
    // A row's xmin is the transaction that wrote its current version: any insert or update
    // raises the maximum, any delete lowers the count. Cheap on a tenant with many rows.
    const digest = (table: string, where: string) =>
      `(SELECT count(*)::text || ':' || coalesce(max(t.xmin::text::bigint), 0)::text FROM "${table}" t WHERE ${where})`;
    const parts = all.map((table) => `'count:${table}', (SELECT count(*) FROM "${table}")`);
    tenantIds.forEach((id, i) => {
      parts.push(`'${i}:tenants', ${digest('tenants', `t.id = $${i + 1}`)}`);
      for (const table of tenanted)
        parts.push(`'${i}:${table}', ${digest(table, `t.tenant_id = $${i + 1}`)}`);
      if (all.includes('handler_rules'))
        parts.push(
          `'${i}:handler_rules', ${digest('handler_rules', `t.handler_id IN (SELECT id FROM handlers WHERE tenant_id = $${i + 1})`)}`,
        );
    });
    // json_build_object takes at most 100 arguments: one object per 40 pairs, merged.
    const chunks: string[] = [];
    for (let i = 0; i < parts.length; i += 40)
      chunks.push(`jsonb_build_object(${parts.slice(i, i + 40).join(', ')})`);
    probe.sql = `SELECT ${chunks.join(' || ')} AS state`;
    return probe;
  }

  async read(): Promise<DbState> {
    const [{ state }] = (
      await this.client.query<{ state: Record<string, string | number> }>(this.sql, this.tenantIds)
    ).rows;
    const out: DbState = { counts: {}, tenants: {} };
    for (const [key, value] of Object.entries(state)) {
      const [scope, table] = key.split(/:(.*)/s);
      if (scope === 'count') out.counts[table] = Number(value);
      else (out.tenants[this.tenantIds[Number(scope)]] ??= {})[table] = String(value);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

export function diffCounts(a: Record<string, number>, b: Record<string, number>): string[] {
  return Object.keys({ ...a, ...b })
    .filter((t) => a[t] !== b[t])
    .map((t) => `${t} ${a[t]}→${b[t]}`);
}

export function diffDigests(
  a: Record<string, string> = {},
  b: Record<string, string> = {},
): string[] {
  return Object.keys({ ...a, ...b }).filter((t) => a[t] !== b[t]);
}

/** 32-bit FNV-1a, to derive one reproducible seed per batch from the run's seed. */
export function seedFor(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of label) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
