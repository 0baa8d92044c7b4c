import { PayloadValidationError } from '@app/core';
import { parseUrlEncoded, readPayload } from './parse-payload';

const parsePayload = (contentType: string | undefined, body: Buffer) =>
  readPayload(contentType, body).value;

describe('readPayload', () => {
  const json = (text: string) => parsePayload('application/json', Buffer.from(text, 'utf8'));

  it('parses JSON (including +json types) and urlencoded forms; other types give null', () => {
    expect(json('{"a":[1,{"b":true}]}')).toEqual({ a: [1, { b: true }] });
    expect(
      parsePayload('application/cloudevents+json; charset=utf-8', Buffer.from('{"x":1}')),
    ).toEqual({
      x: 1,
    });
    expect(
      parsePayload('application/x-www-form-urlencoded', Buffer.from('a=1&b=2&b=3&b=4')),
    ).toEqual({ a: '1', b: ['2', '3', '4'] });
    expect(parsePayload('text/plain', Buffer.from('{"a":1}'))).toBeNull();
    expect(parsePayload(undefined, Buffer.from('{"a":1}'))).toBeNull();
    expect(json('')).toBeNull();
  });

  it('rejects a body declared JSON that is not', () => {
    expect(() => json('{"not json')).toThrow(PayloadValidationError);
  });

  it('keeps NUL out of the rejection reason, which is stored as text', () => {
    let reason = '';
    try {
      parsePayload('application/json', Buffer.from([75, 69, 0, 95, 35, 126, 163, 42]));
    } catch (error) {
      reason = (error as PayloadValidationError).reason;
    }
    expect(reason).toContain('not valid JSON');
    expect(reason).not.toContain('\0');
  });

  it('rejects JSON nested deeper than jsonb and JSON.stringify can take, and keeps deep-enough JSON', () => {
    const nest = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    expect(() => parsePayload('application/json', Buffer.from(nest(20_000)))).toThrow(
      PayloadValidationError,
    );
    expect(() =>
      parsePayload('application/json', Buffer.from('['.repeat(129) + ']'.repeat(129))),
    ).toThrow(PayloadValidationError);
    expect(parsePayload('application/json', Buffer.from(nest(128)))).toBeDefined();
    // Brackets inside strings are not nesting.
    const text = JSON.stringify({ s: '{['.repeat(500) + '\\"' });
    expect(parsePayload('application/json', Buffer.from(text))).toEqual(JSON.parse(text));
  });

  it('replaces characters jsonb cannot store, in values and keys, and leaves the rest alone', () => {
    expect(json('{"a":"x\\u0000y","k\\u0000":["\\ud800",  "ok"],"pair":"\\ud83d\\ude00"}')).toEqual(
      {
        a: 'x\ufffdy',
        'k\ufffd': ['\ufffd', 'ok'],
        pair: '😀',
      },
    );
    expect(json('{"lone":"\\udc00 and \\uDBFF"}')).toEqual({ lone: '\ufffd and \ufffd' });
    expect(parsePayload('application/x-www-form-urlencoded', Buffer.from('a=%00b'))).toEqual({
      a: '\ufffdb',
    });
    const clean = json('{"a":"plain","n":1}');
    expect(clean).toEqual({ a: 'plain', n: 1 });
  });

  it('keeps an own "__proto__" key as data, never as a prototype', () => {
    const parsed = json('{"__proto__":{"polluted":true},"z":"\\u0000"}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps prototype-named form fields as data, in bodies and query strings (issue 21)', () => {
    const text =
      '__proto__=a&__proto__=b&constructor=c&toString=d&' +
      'constructor%5Bprototype%5D%5Bpolluted%5D=1&a%5B__proto__%5D%5Bpolluted%5D=1&__proto__.polluted=1';
    const expected =
      '{"__proto__":["a","b"],"constructor":"c","toString":"d",' +
      '"constructor[prototype][polluted]":"1","a[__proto__][polluted]":"1","__proto__.polluted":"1"}';
    for (const bag of [
      parsePayload('application/x-www-form-urlencoded', Buffer.from(text)),
      parseUrlEncoded(text),
      parseUrlEncoded(`${text}&nul=%00`),
    ]) {
      expect(Object.getPrototypeOf(bag)).toBe(Object.prototype);
      expect(JSON.stringify(bag).replace(',"nul":"\ufffd"', '')).toBe(expected);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('readPayload: the JSON text the writer may store verbatim', () => {
    const read = (text: string, type = 'application/json') =>
      readPayload(type, Buffer.from(text, 'utf8'));

    it('offers the body text for plain JSON, with the same value as parsePayload', () => {
      const text =
        '{ "action": "opened", "issue": {"number": 7, "price": 12.50, "big": 12345678901234567890} }';
      expect(read(text)).toEqual({ value: JSON.parse(text), jsonText: text });
      expect(read('[1,"two",true]', 'application/cloudevents+json').jsonText).toBe(
        '[1,"two",true]',
      );
      expect(read('"just a string"').jsonText).toBe('"just a string"');
    });

    it('offers nothing where jsonb would read the text differently from the parsed value', () => {
      // Exponents: jsonb keeps 1e9999 as 10,000 digits and overflows on 1e131072, where
      // JSON.parse gives Infinity (stored as null). Any digit before an e counts.
      for (const text of ['{"n":1e400}', '{"n":2E-5}', '[1e1]', '{"id":"a2e4"}']) {
        const result = read(text);
        expect(result.jsonText).toBeNull();
        expect(result.value).toEqual(JSON.parse(text));
      }
      expect(read(`[${'9'.repeat(309)}]`).jsonText).toBeNull();
      expect(read(`[${'9'.repeat(308)}]`).jsonText).toBe(`[${'9'.repeat(308)}]`);
      // JSON null is stored as SQL NULL, never as a jsonb null.
      expect(read('null')).toEqual({ value: null, jsonText: null });
      // Characters jsonb cannot hold: the sanitised value is serialised instead.
      expect(read('{"a":"x\\u0000y"}')).toEqual({ value: { a: 'x\ufffdy' }, jsonText: null });
    });

    it('offers nothing for forms, other types and empty bodies', () => {
      expect(read('a=1', 'application/x-www-form-urlencoded')).toEqual({
        value: { a: '1' },
        jsonText: null,
      });
      expect(read('{"a":1}', 'text/plain')).toEqual({ value: null, jsonText: null });
      expect(read('')).toEqual({ value: null, jsonText: null });
    });

    it('checks digit runs in linear time: runs of 308 digits cost one pass (issue 21)', () => {
      const run = '1'.repeat(308);
      const crafted = `[${Array.from({ length: 53 }, () => run).join(',')}]`;
      // About the same size: 16 KiB of ordinary numbers.
      const ordinary = `[${Array.from({ length: 2_700 }, (_, i) => (i * 7919) % 100_000).join(',')}]`;
      const median = (text: string): number => {
        const runs = Array.from({ length: 7 }, () => {
          const started = process.hrtime.bigint();
          read(text);
          return Number(process.hrtime.bigint() - started) / 1e6;
        });
        return runs.sort((a, b) => a - b)[3];
      };
      expect(read(crafted).jsonText).toBe(crafted);
      median(ordinary);
      // The old /\d{309}/ re-read each run from every digit: ~40 ms for these 16 KiB.
      expect(median(crafted)).toBeLessThan(Math.max(10 * median(ordinary), 5));
    });
  });
});
