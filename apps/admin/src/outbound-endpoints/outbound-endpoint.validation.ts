import {
  assertValidHeader,
  bodyModeProblem,
  decodeSecret,
  EVENT_TYPE_PATTERN,
  isHookgateError,
  parseHttpUrl,
  prototypeKeyIn,
  validateTemplate,
  valueSourceProblems,
  type EndpointAuth,
  type BodyMode,
  type HeaderRule,
  type HttpMethod,
  type OutboundSigningConfig,
  type PayloadRule,
  type QueryRule,
  type RetryPolicy,
} from '@app/core';
import type { FieldProblem } from '../common/validation';

/**
 * Save-time checks of an outbound endpoint as a whole, with the core's own parsers: what
 * passes here builds a request at send time for any context that fills its tokens. The
 * dispatcher re-checks at run time (a bad endpoint's deliveries go to `error`), so this is
 * about telling the operator now, field by field, instead of on the first delivery.
 */
export interface OutboundEndpointConfig {
  method: HttpMethod;
  bodyMode: BodyMode;
  targetHost: string;
  targetPath: string;
  /** Linked to a connector, which may supply the base URL. */
  linked: boolean;
  headerRules: HeaderRule[];
  payloadRules: PayloadRule[];
  replacePayload: boolean;
  queryRules: QueryRule[];
  eventTypes: string[];
  /** With its secret in plaintext ('' when none is set). */
  signing: OutboundSigningConfig;
  /** With its secret in plaintext ('' when none is set). */
  auth: EndpointAuth;
  retryPolicy: RetryPolicy;
}

/** Set by the HTTP client or the request builder; a header rule must not override them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

export function outboundEndpointProblems(config: OutboundEndpointConfig): FieldProblem[] {
  const found = new Map<string, string[]>();
  const add = (field: string, problem: string | null | undefined): void => {
    if (!problem) return;
    found.set(field, [...(found.get(field) ?? []), problem]);
  };

  if (config.targetHost.trim() === '') {
    if (!config.linked) add('targetHost', 'targetHost is required (an absolute http(s) URL)');
  } else {
    add(
      'targetHost',
      reasonOf(() => parseHttpUrl(config.targetHost)),
    );
  }
  add('targetPath', validateTemplate(config.targetPath));

  config.headerRules.forEach((rule, i) => {
    if (RESERVED_HEADERS.has(rule.name.toLowerCase())) {
      add(`headerRules.${i}.name`, `"${rule.name}" is set by the sender and cannot be a rule`);
    }
    add(`headerRules.${i}.value`, validateTemplate(rule.value));
    // Braces are legal header characters, so the unrendered template proves name and text.
    add(
      `headerRules.${i}`,
      reasonOf(() => assertValidHeader(rule.name, rule.value)),
    );
  });

  config.payloadRules.forEach((rule, i) => {
    const forbidden = prototypeKeyIn(rule.path);
    if (forbidden) add(`payloadRules.${i}.path`, `path may not contain "${forbidden}"`);
    for (const problem of valueSourceProblems(rule.source, 'outbound')) {
      add(`payloadRules.${i}.source`, problem);
    }
  });

  add('bodyMode', bodyModeProblem(config.method, config.bodyMode));
  if (config.bodyMode === 'none' && (config.payloadRules.length > 0 || config.replacePayload)) {
    add(
      config.payloadRules.length > 0 ? 'payloadRules' : 'replacePayload',
      'bodyMode "none" sends no body: map payload fields to the URL with queryRules',
    );
  }
  config.queryRules.forEach((rule, i) => {
    if (rule.name.trim() === '') add(`queryRules.${i}.name`, 'a query rule needs a name');
    if (
      config.auth.type === 'api_key' &&
      config.auth.in === 'query' &&
      rule.name === config.auth.name
    ) {
      add(`queryRules.${i}.name`, `"${rule.name}" is the api_key parameter of auth`);
    }
    for (const problem of valueSourceProblems(rule.source, 'outbound')) {
      add(`queryRules.${i}.source`, problem);
    }
  });

  config.eventTypes.forEach((type, i) => {
    if (!EVENT_TYPE_PATTERN.test(type)) {
      add(`eventTypes.${i}`, `"${type}" is not a dotted event type or pattern like order.*`);
    }
  });

  const policy = config.retryPolicy;
  if (policy.initialDelaySeconds > policy.maxDelaySeconds) {
    add('retryPolicy.maxDelaySeconds', 'maxDelaySeconds must be at least initialDelaySeconds');
  }

  for (const [field, problem] of signingProblems(config.signing)) add(field, problem);
  for (const [field, problem] of authProblems(config.auth)) add(field, problem);

  return [...found].map(([field, problems]) => ({ field, problems }));
}

export function signingProblems(signing: OutboundSigningConfig): Array<[string, string | null]> {
  switch (signing.type) {
    case 'none':
      return [];
    case 'standard-webhooks':
      return [['signing.secret', secretProblem(signing.secret, 'whsec')]];
    case 'hmac':
      return [
        ['signing.secret', secretProblem(signing.secret, signing.secretEncoding ?? 'utf8')],
        ['signing.header', reasonOf(() => assertValidHeader(signing.header, ''))],
      ];
  }
}

function secretProblem(secret: string, encoding: 'utf8' | 'base64' | 'whsec'): string | null {
  if (!secret) return 'a signing secret is required';
  return reasonOf(() => decodeSecret(secret, encoding));
}

function authProblems(auth: EndpointAuth): Array<[string, string | null]> {
  switch (auth.type) {
    case 'none':
      return [];
    case 'basic':
      return [
        [
          'auth.username',
          !auth.username
            ? 'basic auth needs a username'
            : auth.username.includes(':')
              ? 'a basic auth username cannot contain ":"'
              : null,
        ],
        ['auth.password', auth.password ? null : 'basic auth needs a password'],
      ];
    case 'bearer':
      return [
        [
          'auth.token',
          auth.token
            ? reasonOf(() => assertValidHeader('Authorization', `Bearer ${auth.token}`))
            : 'bearer auth needs a token',
        ],
      ];
    case 'api_key':
      return [
        [
          'auth.name',
          !auth.name
            ? 'api_key auth needs a name'
            : auth.in === 'header'
              ? reasonOf(() => assertValidHeader(auth.name, ''))
              : null,
        ],
        [
          'auth.value',
          !auth.value
            ? 'api_key auth needs a value'
            : auth.in === 'header'
              ? reasonOf(() => assertValidHeader(auth.name || 'X-Api-Key', auth.value))
              : null,
        ],
      ];
  }
}

function reasonOf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (isHookgateError(error)) return error.reason;
    throw error;
  }
}
