import { ProcessingConfigurationError } from '../errors/errors';
import { authHeaders, authQueryParams } from './auth';
import { cloneData, writePath } from './data-paths';
import {
  assertValidHeader,
  findHeader,
  mergeHeaders,
  removeHeader,
  setHeader,
} from './header-merge';
import type { EndpointAuth } from './request.types';
import { appendQuery, joinUrl, parseHttpUrl } from './url';

describe('joinUrl', () => {
  it.each([
    ['https://api.example.com', '/orders', 'https://api.example.com/orders'],
    ['https://api.example.com/', '/orders', 'https://api.example.com/orders'],
    ['https://api.example.com/v1//', '//orders/1', 'https://api.example.com/v1/orders/1'],
    ['https://api.example.com/v1', 'orders', 'https://api.example.com/v1/orders'],
    ['https://api.example.com/v1/', '?a=1', 'https://api.example.com/v1?a=1'],
    ['https://api.example.com', '#frag', 'https://api.example.com#frag'],
    ['https://api.example.com/', '', 'https://api.example.com/'],
    ['', '/orders', '/orders'],
  ])('%p + %p → %p', (host, path, expected) => {
    expect(joinUrl(host, path)).toBe(expected);
  });
});

describe('appendQuery / parseHttpUrl', () => {
  it('appends parameters and keeps existing ones', () => {
    expect(appendQuery('https://x.test/a?b=1', [['api key', 'v&1']])).toBe(
      'https://x.test/a?b=1&api+key=v%261',
    );
    expect(appendQuery('not a url', [])).toBe('not a url');
  });

  it('refuses relative and non-http URLs', () => {
    expect(() => parseHttpUrl('/orders')).toThrow(
      /not an absolute URL: set the endpoint's targetHost/,
    );
    expect(() => parseHttpUrl('ftp://x.test/')).toThrow(/must use http or https/);
    expect(() => appendQuery('/rel', [['a', 'b']])).toThrow(ProcessingConfigurationError);
    expect(parseHttpUrl('http://x.test/').hostname).toBe('x.test');
  });
});

describe('authHeaders / authQueryParams', () => {
  it.each<[EndpointAuth | undefined, Record<string, string>, Array<[string, string]>]>([
    [undefined, {}, []],
    [{ type: 'none' }, {}, []],
    [
      { type: 'basic', username: 'ada', password: 'pä:ss' },
      { Authorization: `Basic ${Buffer.from('ada:pä:ss').toString('base64')}` },
      [],
    ],
    [{ type: 'bearer', token: 't0k' }, { Authorization: 'Bearer t0k' }, []],
    [{ type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'k' }, { 'X-Api-Key': 'k' }, []],
    [{ type: 'api_key', in: 'query', name: 'key', value: 'k' }, {}, [['key', 'k']]],
  ])('%p', (auth, headers, query) => {
    expect(authHeaders(auth)).toEqual(headers);
    expect(authQueryParams(auth)).toEqual(query);
  });

  it('refuses an unknown auth type rather than sending without credentials', () => {
    expect(() => authHeaders({ type: 'oauth' } as unknown as EndpointAuth)).toThrow(
      /Unknown auth type "oauth"/,
    );
  });
});

describe('header maps', () => {
  it('override case-insensitively and keep the latest case', () => {
    const headers: Record<string, string> = { 'content-type': 'a', Other: 'o' };
    setHeader(headers, 'Content-Type', 'b');
    expect(headers).toEqual({ Other: 'o', 'Content-Type': 'b' });
    expect(findHeader(headers, 'CONTENT-TYPE')).toBe('b');
    expect(findHeader(headers, 'missing')).toBeUndefined();
    removeHeader(headers, 'other');
    expect(headers).toEqual({ 'Content-Type': 'b' });
  });

  it('merge layers left to right', () => {
    expect(
      mergeHeaders({ Authorization: 'rule', A: '1' }, undefined, { authorization: 'connector' }),
    ).toEqual({
      A: '1',
      authorization: 'connector',
    });
  });

  it('refuse names and values Node would reject', () => {
    expect(() => assertValidHeader('X Bad', 'v')).toThrow(/Invalid header name/);
    expect(() => assertValidHeader('X-Ok', 'a\r\nInjected: 1')).toThrow(/control/);
    expect(() => assertValidHeader('X-Ok', 'snow ☃')).toThrow(/non-Latin-1/);
    expect(() => assertValidHeader('X-Ok', 'café\tok')).not.toThrow();
  });
});

describe('cloneData / writePath', () => {
  it('deep-copies arrays and plain objects only', () => {
    const date = new Date(0);
    const buffer = Buffer.from('x');
    const source = {
      a: [{ b: 1 }],
      date,
      buffer,
      nil: Object.assign(Object.create(null) as object, { k: 1 }),
    };
    const copy = cloneData(source);
    expect(copy).toEqual(source);
    expect(copy.a).not.toBe(source.a);
    expect(copy.a[0]).not.toBe(source.a[0]);
    expect(copy.date).toBe(date);
    expect(copy.buffer).toBe(buffer);
    expect(copy.nil).not.toBe(source.nil);
  });

  it('writes paths, replaces the value for an empty path and refuses prototype paths', () => {
    expect(writePath({}, 'a.0.b', 1)).toEqual({ a: [{ b: 1 }] });
    expect(writePath({ a: 1 }, '', 'whole')).toBe('whole');
    expect(writePath('scalar', 'a', 1)).toEqual({ a: 1 });
    expect(() => writePath({}, 'constructor.prototype.x', 1)).toThrow(ProcessingConfigurationError);
  });
});
