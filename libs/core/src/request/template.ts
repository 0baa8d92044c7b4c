import { scalarText } from '../conditions/compare';
import { ProcessingConfigurationError, UnresolvedTokenError } from '../errors/errors';
import { getPath } from '../extraction/path';
import { ABSENT } from '../extraction/value-source.types';

/**
 * `{token}` templates for outbound paths and header values (SPEC §5). A token names a
 * context key (`{orderId}`) or a dotted path into the context (`{order.id}`). `{{` and `}}`
 * write literal braces. A template can never leave a brace behind by accident: a token
 * with no value throws UnresolvedTokenError and any unbalanced brace throws
 * ProcessingConfigurationError — a request to `/orders/{orderId}` is never sent.
 *
 * Missing, null and empty-string values are all unresolved: `DELETE /orders/` with an
 * empty id would address a different resource.
 *
 * In a path, a token's value is one segment, never more: it is percent-encoded whole, so
 * `/`, `?` and `#` in it are data (`%2F`, `%3F`, `%23`), and a segment a token helped make
 * that is a dot segment (`.` or `..`, also spelled `%2e`, `%252e`, …) is refused. Clients
 * and servers resolve dot segments (`/tenants/../orders/7` is `/orders/7`), so such a
 * value would move the request — with the endpoint's credentials — to another resource.
 */

type Piece = { literal: string } | { token: string };

const TOKEN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const CACHE_LIMIT = 1000;
const parsed = new Map<string, Piece[]>();

/** Renders a URL path template; values are percent-encoded as one path segment each. */
export function renderTemplate(template: string, context: Record<string, unknown>): string {
  let out = '';
  // The path segment being rendered: its text as a server would read it (literal text
  // plus token values, before encoding) and the tokens that wrote into it. Checked at each
  // literal `/`; past a literal `?` or `#` the rest is query or fragment, not path.
  let segment = '';
  let tokens: string[] = [];
  let inPath = true;
  const endSegment = (): void => {
    if (inPath && tokens.length > 0 && isDotSegment(segment)) {
      throw new ProcessingConfigurationError(
        `Token {${tokens[0]}} in "${template}" makes the path segment ${JSON.stringify(segment)}, ` +
          'a dot segment that would move the request to another path',
        { token: tokens[0], template },
      );
    }
    segment = '';
    tokens = [];
  };
  for (const piece of parseTemplate(template)) {
    if ('literal' in piece) {
      out += piece.literal;
      for (const char of piece.literal) {
        if (char === '/' || char === '?' || char === '#') {
          endSegment();
          if (char !== '/') inPath = false;
        } else {
          segment += char;
        }
      }
    } else {
      const text = tokenText(piece.token, template, context);
      out += encodeSegment(text, piece.token, template);
      segment += text;
      tokens.push(piece.token);
    }
  }
  endSegment();
  return out;
}

function encodeSegment(text: string, token: string, template: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    // Lone UTF-16 surrogates cannot be percent-encoded.
    throw new ProcessingConfigurationError(
      `Token {${token}} in "${template}" holds text that cannot be URL-encoded`,
      { token, template },
    );
  }
}

/**
 * `.` or `..`, with any dot percent-encoded any number of times (`%2e`, `%252e`): a server
 * or proxy that decodes once more than it should must not find one either.
 */
function isDotSegment(text: string): boolean {
  const dots = text.replace(ENCODED_DOT, '.');
  return dots === '.' || dots === '..';
}
const ENCODED_DOT = /%(?:25)*2e/gi;

/** Renders a header value template; values are inserted as they are. */
export function renderHeaderTemplate(template: string, context: Record<string, unknown>): string {
  return render(template, context, (text) => text);
}

/** Escapes text so a template renders it literally (`{` → `{{`, `}` → `}}`). */
export function escapeTemplate(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

/** The token names of a template, in order; throws like rendering does when malformed. */
export function templateTokens(template: string): string[] {
  return parseTemplate(template).flatMap((piece) => ('token' in piece ? [piece.token] : []));
}

/** Save-time check: null when the template is well-formed, else the reason. */
export function validateTemplate(template: unknown): string | null {
  if (typeof template !== 'string') return 'template must be a string';
  try {
    parseTemplate(template);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function render(
  template: string,
  context: Record<string, unknown>,
  encode: (text: string, token: string) => string,
): string {
  let out = '';
  for (const piece of parseTemplate(template)) {
    if ('literal' in piece) out += piece.literal;
    else out += encode(tokenText(piece.token, template, context), piece.token);
  }
  return out;
}

function tokenText(token: string, template: string, context: Record<string, unknown>): string {
  let value: unknown = ABSENT;
  if (context !== null && typeof context === 'object') {
    value = Object.prototype.hasOwnProperty.call(context, token)
      ? context[token]
      : getPath(context, token);
  }
  if (value === ABSENT || value === undefined || value === null || value === '') {
    throw new UnresolvedTokenError(token, template);
  }
  const text = scalarText(value);
  if (text === undefined) {
    throw new ProcessingConfigurationError(
      `Token {${token}} in "${template}" is not a string or number`,
      { token, template },
    );
  }
  return text;
}

function parseTemplate(template: string): Piece[] {
  if (typeof template !== 'string') {
    throw new ProcessingConfigurationError('A template must be a string', { template });
  }
  const cached = parsed.get(template);
  if (cached) return cached;

  const pieces: Piece[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    const next = template[i + 1];
    if (ch === '{' && next === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && next === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '}') {
      throw unbalanced('}', i, template);
    } else if (ch === '{') {
      const close = template.indexOf('}', i + 1);
      const reopen = template.indexOf('{', i + 1);
      if (close === -1 || (reopen !== -1 && reopen < close)) throw unbalanced('{', i, template);
      const token = template.slice(i + 1, close).trim();
      if (!TOKEN_NAME.test(token)) {
        throw new ProcessingConfigurationError(
          `Invalid token {${template.slice(i + 1, close)}} in "${template}": use letters, digits, _, - and dots (write {{ for a literal brace)`,
          { template },
        );
      }
      if (literal) pieces.push({ literal });
      literal = '';
      pieces.push({ token });
      i = close + 1;
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal) pieces.push({ literal });

  if (parsed.size >= CACHE_LIMIT) parsed.clear();
  parsed.set(template, pieces);
  return pieces;
}

function unbalanced(
  brace: '{' | '}',
  index: number,
  template: string,
): ProcessingConfigurationError {
  return new ProcessingConfigurationError(
    `Unbalanced "${brace}" at position ${index} in "${template}": write ${brace}${brace} for a literal brace`,
    { template },
  );
}
