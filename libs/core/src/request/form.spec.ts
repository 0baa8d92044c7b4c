import fc from 'fast-check';
import { ProcessingConfigurationError } from '../errors/errors';
import {
  deriveMultipartBoundary,
  encodeForm,
  encodeMultipart,
  flattenForm,
  isMultipartFile,
} from './form';

describe('flattenForm', () => {
  it('flattens nested objects as key[child] and arrays as key[0]', () => {
    expect(
      flattenForm({
        name: 'Ada',
        age: 36,
        admin: false,
        big: 10n,
        address: { city: 'London', geo: { lat: 51.5 } },
        tags: ['a', 'b'],
        lines: [{ sku: 'A1', qty: 2 }],
        nothing: null,
        skipped: undefined,
        at: new Date('2024-01-01T00:00:00Z'),
        empty: {},
        none: [],
        bytes: Buffer.from('hi'),
      }),
    ).toEqual([
      ['name', 'Ada'],
      ['age', '36'],
      ['admin', 'false'],
      ['big', '10'],
      ['address[city]', 'London'],
      ['address[geo][lat]', '51.5'],
      ['tags[0]', 'a'],
      ['tags[1]', 'b'],
      ['lines[0][sku]', 'A1'],
      ['lines[0][qty]', '2'],
      ['nothing', ''],
      ['at', '2024-01-01T00:00:00.000Z'],
      ['bytes', 'aGk='],
    ]);
  });

  it('treats a null payload as empty and a top-level array by index', () => {
    expect(flattenForm(null)).toEqual([]);
    expect(flattenForm(undefined)).toEqual([]);
    expect(flattenForm(['x', { a: 1 }])).toEqual([
      ['0', 'x'],
      ['1[a]', '1'],
    ]);
  });

  it('refuses scalar payloads, invalid dates and cycles', () => {
    expect(() => flattenForm('text')).toThrow(ProcessingConfigurationError);
    expect(() => flattenForm(new Date())).toThrow(/object payload/);
    expect(() => flattenForm({ d: new Date('nope') })).toThrow(/invalid date/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => flattenForm(cyclic)).toThrow(/refers to itself/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(flattenForm({ a: shared, b: shared })).toEqual([
      ['a[x]', '1'],
      ['b[x]', '1'],
    ]);
  });
});

describe('encodeForm', () => {
  it('percent-encodes as application/x-www-form-urlencoded', () => {
    expect(encodeForm({ q: 'a b&c', nested: { 'k=': 'é' } }).toString()).toBe(
      'q=a+b%26c&nested%5Bk%3D%5D=%C3%A9',
    );
  });

  it('replaces lone surrogates (which UTF-8 cannot carry) with U+FFFD', () => {
    expect([...new URLSearchParams(encodeForm({ a: 'x\uD800' }).toString())]).toEqual([
      ['a', 'x\uFFFD'],
    ]);
  });

  /** A minimal qs-style parser: `a[b][0]=x` → { a: { b: { 0: 'x' } } } (arrays as index maps). */
  function parseNested(body: string): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const [name, value] of new URLSearchParams(body)) {
      const keys = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(name);
      if (!keys) throw new Error(`unparsable name ${name}`);
      const path = [keys[1], ...[...keys[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
      let node = root;
      path.forEach((key, i) => {
        if (i === path.length - 1) node[key] = value;
        else {
          if (!Object.prototype.hasOwnProperty.call(node, key)) node[key] = {};
          node = node[key] as Record<string, unknown>;
        }
      });
    }
    return root;
  }

  it('round-trips nested objects of strings through URLSearchParams', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_ .é-]{1,8}$/);
    const tree = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
      node: fc.dictionary(
        key,
        fc.oneof({ depthSize: 'small' }, fc.string({ unit: 'grapheme' }), tie('node')),
        {
          minKeys: 1,
          maxKeys: 4,
        },
      ),
    })).node;
    const prune = (value: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(value).flatMap(([k, v]): Array<[string, unknown]> => {
          if (typeof v === 'string') return [[k, v]];
          const child = prune(v as Record<string, unknown>);
          return Object.keys(child).length > 0 ? [[k, child]] : [];
        }),
      );
    fc.assert(
      fc.property(tree, (payload) => {
        const encoded = encodeForm(payload).toString();
        expect([...new URLSearchParams(encoded)]).toEqual(flattenForm(payload));
        expect(parseNested(encoded)).toEqual(prune(payload));
      }),
      { numRuns: 500 },
    );
  });
});

describe('encodeMultipart', () => {
  it('writes fields as parts and buffers as file parts', () => {
    const { body, contentType } = encodeMultipart(
      {
        title: 'Report',
        meta: { pages: 3 },
        'we"ird\r\nname': 'x',
        pdf: Buffer.from('%PDF'),
        photo: { filename: 'me.png', contentType: 'image/png', data: Buffer.from([1, 2]) },
      },
      'b0undary',
    );
    expect(contentType).toBe('multipart/form-data; boundary=b0undary');
    expect(body.toString('latin1')).toBe(
      [
        '--b0undary',
        'Content-Disposition: form-data; name="title"',
        '',
        'Report',
        '--b0undary',
        'Content-Disposition: form-data; name="meta[pages]"',
        '',
        '3',
        '--b0undary',
        'Content-Disposition: form-data; name="we%22ird%0D%0Aname"',
        '',
        'x',
        '--b0undary',
        'Content-Disposition: form-data; name="pdf"; filename="pdf"',
        'Content-Type: application/octet-stream',
        '',
        '%PDF',
        '--b0undary',
        'Content-Disposition: form-data; name="photo"; filename="me.png"',
        'Content-Type: image/png',
        '',
        '\x01\x02',
        '--b0undary--',
        '',
      ].join('\r\n'),
    );
  });

  it('encodes an empty payload as the closing delimiter only', () => {
    expect(encodeMultipart({}, 'b').body.toString()).toBe('--b--\r\n');
  });

  it('refuses bad boundaries and boundaries that occur in the content', () => {
    expect(() => encodeMultipart({}, 'has space')).toThrow(/Invalid multipart boundary/);
    expect(() => encodeMultipart({}, 'x'.repeat(71))).toThrow(/Invalid multipart boundary/);
    expect(() => encodeMultipart({ a: 'x--bnd' }, 'bnd')).toThrow(/occurs inside a field value/);
    expect(() => encodeMultipart({ a: Buffer.from('--bnd') }, 'bnd')).toThrow(/occurs inside/);
    expect(() => encodeMultipart({ 'k--bnd': 'v' }, 'bnd')).toThrow(/occurs inside/);
    expect(() =>
      encodeMultipart({ f: { filename: '--bnd', data: Buffer.alloc(0) } }, 'bnd'),
    ).toThrow(/occurs inside/);
  });

  it('recognises file descriptors', () => {
    expect(isMultipartFile({ filename: 'a', data: Buffer.alloc(0) })).toBe(true);
    expect(isMultipartFile({ filename: 'a', data: 'x' })).toBe(false);
    expect(isMultipartFile(null)).toBe(false);
  });
});

describe('deriveMultipartBoundary', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = deriveMultipartBoundary('delivery-1', { a: 1 });
    expect(deriveMultipartBoundary('delivery-1', { b: 2 })).toBe(a);
    expect(deriveMultipartBoundary('delivery-2', { a: 1 })).not.toBe(a);
    expect(a).toMatch(/^hookgate-[0-9a-f]{32}$/);
  });

  it('moves on when the first derivation collides with the content', () => {
    const first = deriveMultipartBoundary('seed', {});
    const second = deriveMultipartBoundary('seed', { trap: `--${first}` });
    expect(second).not.toBe(first);
    expect(() => encodeMultipart({ trap: `--${first}` }, second)).not.toThrow();
  });
});
