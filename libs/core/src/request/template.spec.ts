import fc from 'fast-check';
import {
  isHookgateError,
  ProcessingConfigurationError,
  UnresolvedTokenError,
} from '../errors/errors';
import {
  escapeTemplate,
  renderHeaderTemplate,
  renderTemplate,
  templateTokens,
  validateTemplate,
} from './template';

describe('renderTemplate (paths)', () => {
  const context = {
    orderId: 'o 1/2',
    n: 42,
    flag: true,
    order: { id: 'nested' },
    'dotted.key': 'exact',
  };

  it.each([
    ['/orders/{orderId}', '/orders/o%201%2F2'],
    ['/orders/{ orderId }/lines', '/orders/o%201%2F2/lines'],
    ['/n/{n}/{flag}', '/n/42/true'],
    ['/x/{order.id}', '/x/nested'],
    ['/x/{dotted.key}', '/x/exact'],
    ['/literal/{{braces}}', '/literal/{braces}'],
    ['/mix/{{{n}}}', '/mix/{42}'],
    ['/plain', '/plain'],
    ['', ''],
  ])('%p → %p', (template, expected) => {
    expect(renderTemplate(template, context)).toBe(expected);
  });

  it.each([
    ['/orders/{missing}', 'missing'],
    ['/orders/{empty}', 'empty'],
    ['/orders/{nothing}', 'nothing'],
    ['/orders/{order.missing}', 'order.missing'],
  ])('%p throws UnresolvedTokenError', (template, token) => {
    const run = () => renderTemplate(template, { empty: '', nothing: null, order: {} });
    expect(run).toThrow(UnresolvedTokenError);
    try {
      run();
    } catch (error) {
      expect((error as UnresolvedTokenError).token).toBe(token);
      expect((error as UnresolvedTokenError).template).toBe(template);
      expect((error as Error).message).toContain(`add "${token}" to the delivery context`);
    }
  });

  it.each([
    ['/orders/{orderId', /Unbalanced "\{" at position 8/],
    ['/orders/{a{b}}', /Unbalanced "\{"/],
    ['/orders/}', /Unbalanced "\}"/],
    ['/orders/{a}}', /Unbalanced "\}"/],
    ['/orders/{}', /Invalid token \{\}/],
    ['/orders/{a b}', /Invalid token \{a b\}/],
    ['/orders/{"a":1}', /Invalid token/],
  ])('%p is a configuration error', (template, reason) => {
    expect(() => renderTemplate(template, { a: 1, orderId: 1 })).toThrow(
      ProcessingConfigurationError,
    );
    expect(() => renderTemplate(template, { a: 1, orderId: 1 })).toThrow(reason);
  });

  it('refuses object values and text that cannot be URL-encoded', () => {
    expect(() => renderTemplate('/{o}', { o: { a: 1 } })).toThrow(/is not a string or number/);
    expect(() => renderTemplate('/{s}', { s: '\uD800' })).toThrow(/cannot be URL-encoded/);
  });

  it('refuses a non-string template and tolerates a missing context', () => {
    expect(() => renderTemplate(42 as unknown as string, {})).toThrow(ProcessingConfigurationError);
    expect(() => renderTemplate('/{a}', undefined as unknown as Record<string, unknown>)).toThrow(
      UnresolvedTokenError,
    );
  });
});

describe('renderHeaderTemplate', () => {
  it('inserts values without URL-encoding', () => {
    expect(renderHeaderTemplate('Bearer {token}', { token: 'a b/c' })).toBe('Bearer a b/c');
    expect(renderHeaderTemplate('{{"v":{n}}}', { n: 1 })).toBe('{"v":1}');
  });

  it('throws UnresolvedTokenError for a missing token', () => {
    expect(() => renderHeaderTemplate('{tenant}', {})).toThrow(UnresolvedTokenError);
  });
});

describe('escapeTemplate', () => {
  it('makes any text render literally', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(renderHeaderTemplate(escapeTemplate(text), {})).toBe(text);
      }),
    );
  });
});

describe('templateTokens / validateTemplate', () => {
  it('lists tokens in order', () => {
    expect(templateTokens('/a/{x}/{{y}}/{z.w}')).toEqual(['x', 'z.w']);
  });

  it('answers null for a good template and the reason otherwise', () => {
    expect(validateTemplate('/a/{x}')).toBeNull();
    expect(validateTemplate('/a/{x')).toMatch(/Unbalanced/);
    expect(validateTemplate(3)).toBe('template must be a string');
  });
});

/**
 * The oracle of the dot-segment rule: the path's segments (split at literal `/`, ending at
 * a literal `?` or `#`), read as literal text plus raw token values, and whether one a
 * token wrote into is `.` or `..` (dots percent-encoded any number of times too).
 */
function writesDotSegment(
  pieces: Array<{ literal: string } | { escape: '{' | '}' } | { token: string }>,
  ctx: Record<string, unknown>,
): boolean {
  const isDot = (text: string) => ['.', '..'].includes(text.replace(/%(?:25)*2e/gi, '.'));
  let segment = '';
  let tokened = false;
  for (const piece of pieces) {
    if ('token' in piece) {
      segment += String(ctx[piece.token]);
      tokened = true;
      continue;
    }
    for (const char of 'literal' in piece ? piece.literal : piece.escape) {
      if (char !== '/' && char !== '?' && char !== '#') {
        segment += char;
        continue;
      }
      if (tokened && isDot(segment)) return true;
      if (char !== '/') return false;
      segment = '';
      tokened = false;
    }
  }
  return tokened && isDot(segment);
}

describe('template properties', () => {
  const context = fc.dictionary(
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/),
    fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.boolean(), fc.constant(null)),
  );
  const template = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc
      .array(
        fc.oneof(fc.constantFrom('{', '}', '{{', '}}', '{a}', '{b.c}', '/', 'x'), fc.string()),
        {
          maxLength: 12,
        },
      )
      .map((parts) => parts.join('')),
  );

  it('never leaves a brace from a placeholder: it renders or throws a typed error', () => {
    fc.assert(
      fc.property(template, context, (t, ctx) => {
        let out: string;
        try {
          out = renderTemplate(t, ctx);
        } catch (error) {
          expect(isHookgateError(error)).toBe(true);
          return;
        }
        // Values are percent-encoded, so every brace in the output is an escaped literal:
        // exactly as many as the template's `{{` / `}}` pairs.
        const escapedOpen = (t.match(/\{\{/g) ?? []).length;
        const escapedClose = (t.match(/\}\}/g) ?? []).length;
        expect((out.match(/\{/g) ?? []).length).toBe(escapedOpen);
        expect((out.match(/\}/g) ?? []).length).toBe(escapedClose);
        if (!t.includes('{{') && !t.includes('}}')) expect(out).not.toMatch(/[{}]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('renders templates built from literals, escapes and known tokens exactly', () => {
    type Piece = { literal: string } | { escape: '{' | '}' } | { token: string };
    const piece: fc.Arbitrary<Piece> = fc.oneof(
      fc
        .string()
        .filter((s) => !/[{}]/.test(s))
        .map((literal) => ({ literal })),
      fc.constantFrom<'{' | '}'>('{', '}').map((escape) => ({ escape })),
      fc.constantFrom('a', 'b', 'c').map((token) => ({ token })),
    );
    const values = fc.record({
      a: fc.string({ minLength: 1 }),
      b: fc.integer(),
      c: fc.string({ minLength: 1 }),
    });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), values, (pieces, ctx) => {
        const template = pieces
          .map((p) =>
            'literal' in p ? p.literal : 'escape' in p ? p.escape + p.escape : `{${p.token}}`,
          )
          .join('');
        const render = (encode: (s: string) => string) =>
          pieces
            .map((p) =>
              'literal' in p
                ? p.literal
                : 'escape' in p
                  ? p.escape
                  : encode(String(ctx[p.token as 'a' | 'b' | 'c'])),
            )
            .join('');
        let expectedPath: string | undefined;
        try {
          expectedPath = render(encodeURIComponent);
        } catch {
          expectedPath = undefined; // lone surrogate in a value
        }
        // A path segment a token wrote into that reads as `.` or `..` is refused (issue 21).
        if (writesDotSegment(pieces, ctx)) expectedPath = undefined;
        if (expectedPath === undefined)
          expect(() => renderTemplate(template, ctx)).toThrow(ProcessingConfigurationError);
        else expect(renderTemplate(template, ctx)).toBe(expectedPath);
        expect(renderHeaderTemplate(template, ctx)).toBe(render((s) => s));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('renderTemplate: a token is one path segment (issue 21 item 4)', () => {
  const template = '/tenants/{t}/orders/{id}';

  it.each([['..'], ['.'], ['%2e%2e'], ['%2E.'], ['.%2e'], ['%2e'], ['%252e%252e']])(
    'refuses the dot segment %p with a reason naming the token',
    (t) => {
      const run = () => renderTemplate(template, { t, id: 7 });
      expect(run).toThrow(ProcessingConfigurationError);
      expect(run).toThrow(/Token \{t\}/);
      expect(run).toThrow(/dot segment/);
      try {
        run();
      } catch (error) {
        expect((error as ProcessingConfigurationError).details).toMatchObject({ token: 't' });
      }
    },
  );

  it('refuses a dot segment a token makes together with literal text or another token', () => {
    expect(() => renderTemplate('/a/.{x}/b', { x: '.' })).toThrow(/Token \{x\}/);
    expect(() => renderTemplate('/a/{x}{y}/b', { x: '.', y: '.' })).toThrow(/dot segment/);
    expect(() => renderTemplate('{x}', { x: '..' })).toThrow(/dot segment/);
  });

  it('encodes /, ?, # and % inside a token instead of interpreting them', () => {
    expect(renderTemplate(template, { t: '../x', id: 7 })).toBe('/tenants/..%2Fx/orders/7');
    expect(renderTemplate(template, { t: 'a?b=c', id: '1#frag' })).toBe(
      '/tenants/a%3Fb%3Dc/orders/1%23frag',
    );
    expect(renderTemplate(template, { t: '/', id: '%2e%2e%2f' })).toBe(
      '/tenants/%2F/orders/%252e%252e%252f',
    );
  });

  it('allows dots that are not a whole segment, and dot segments after the path', () => {
    expect(renderTemplate(template, { t: '...', id: 'v1.2' })).toBe('/tenants/.../orders/v1.2');
    expect(renderTemplate(template, { t: '..a', id: 'a..' })).toBe('/tenants/..a/orders/a..');
    expect(renderTemplate('/x?next={n}', { n: '..' })).toBe('/x?next=..');
    expect(renderTemplate('/x#{n}', { n: '.' })).toBe('/x#.');
  });

  // Mostly built from the characters that move a path, so dot segments come up often.
  const tokenValue = fc.oneof(
    fc
      .array(fc.constantFrom('.', '%2e', '%2E', '%25', '/', '?', '#', '\\', 'a', '%'), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => parts.join('')),
    fc.string({ minLength: 1, maxLength: 12 }),
  );

  it('property: the rendered path resolves to the template with each token in its place', () => {
    fc.assert(
      fc.property(tokenValue, (t) => {
        let path: string;
        try {
          path = renderTemplate(template, { t, id: 7 });
        } catch (error) {
          expect(error).toBeInstanceOf(ProcessingConfigurationError);
          return;
        }
        const url = new URL(path, 'http://127.0.0.1');
        const segments = url.pathname.split('/');
        expect(segments).toHaveLength(5);
        expect(segments[1]).toBe('tenants');
        expect(segments[3]).toBe('orders');
        expect(decodeURIComponent(segments[2])).toBe(t);
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
      }),
      { seed: 21, numRuns: 2000 },
    );
  });
});
