import type {
  EndpointAuth,
  HeaderRule,
  HttpMethod,
  BodyMode,
  PayloadRule,
  Rule,
  SignatureConfig,
  IdentityConfig,
  TimestampConfig,
  ValueSource,
} from '@app/core';

/**
 * The declarative endpoint template a connector kind ships beside its class (a JSON file,
 * `<kind>.template.json`). Provisioning turns it into rows for one connector: handler
 * codes and endpoint codes are `<technicalPrefix>-<key|suffix>`, the inbound path is
 * `<technicalPrefix>-<suffix>`, and secrets come from the connector's credentials by
 * name — a template never holds a secret.
 */
export interface HandlerTemplate {
  /** Becomes the handler code `<prefix>-<key>`; endpoints refer to handlers by key. */
  key: string;
  name: string;
  direction: 'inbound' | 'outbound';
  executionMode: 'rules' | 'callback';
  callback?: string;
  maxRetries?: number;
  rules?: Rule[];
}

export interface InboundEndpointTemplate {
  suffix: string;
  name: string;
  /** Handler key of this template (an inbound handler). */
  handler: string;
  /** Signature settings without secrets (a preset plus overrides). */
  signature: Omit<SignatureConfig, 'secret' | 'secondarySecret'>;
  /** Credential whose value is the signing secret (`webhookSecret`). */
  secretCredential?: string;
  identity?: IdentityConfig;
  timestamp?: TimestampConfig;
  semanticBindings?: Array<{ name: string; source: ValueSource }>;
  maxBodyBytes?: number;
}

export interface OutboundEndpointTemplate {
  suffix: string;
  name: string;
  method?: HttpMethod;
  bodyMode?: BodyMode;
  /** Blank: the connector supplies the base URL (its kind's `outboundBaseUrl`). */
  targetHost?: string;
  targetPath?: string;
  timeoutMs?: number;
  /** Handler key of this template (an outbound handler); none = send as built. */
  handler?: string;
  headerRules?: HeaderRule[];
  payloadRules?: PayloadRule[];
  replacePayload?: boolean;
  eventTypes?: string[];
  retryPolicy?: {
    maxAttempts?: number;
    initialDelaySeconds?: number;
    multiplier?: number;
    maxDelaySeconds?: number;
  };
  /** Auth is normally the connector's (extra headers); endpoint auth is rarely needed. */
  auth?: Extract<EndpointAuth, { type: 'none' }>;
}

export interface ConnectorTemplate {
  handlers?: HandlerTemplate[];
  inbound?: InboundEndpointTemplate;
  outbound?: OutboundEndpointTemplate[];
}

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Problems with a template, as sentences; empty when it is usable. Run when a kind is
 * registered, so a broken template fails the app at boot instead of at provisioning.
 */
export function templateProblems(template: ConnectorTemplate): string[] {
  const problems: string[] = [];
  const handlers = template.handlers ?? [];
  const keys = new Set<string>();
  for (const handler of handlers) {
    if (!SLUG.test(handler.key ?? '')) problems.push(`handler key "${handler.key}" is not a slug`);
    if (keys.has(handler.key)) problems.push(`handler key "${handler.key}" appears twice`);
    keys.add(handler.key);
    if (handler.direction !== 'inbound' && handler.direction !== 'outbound')
      problems.push(`handler "${handler.key}" needs direction inbound or outbound`);
    if (handler.executionMode === 'callback' && !handler.callback)
      problems.push(`handler "${handler.key}" is in callback mode but names no callback`);
  }
  const handlerOf = (key: string | undefined, direction: string, where: string): void => {
    if (key === undefined) return;
    const handler = handlers.find((h) => h.key === key);
    if (!handler) problems.push(`${where} names handler "${key}", which the template lacks`);
    else if (handler.direction !== direction)
      problems.push(`${where} needs an ${direction} handler, "${key}" is ${handler.direction}`);
  };
  if (template.inbound) {
    const inbound = template.inbound;
    if (!SLUG.test(inbound.suffix ?? ''))
      problems.push(`inbound suffix "${inbound.suffix}" is not a slug`);
    if (!inbound.handler) problems.push('the inbound endpoint needs a handler');
    handlerOf(inbound.handler, 'inbound', 'the inbound endpoint');
    if (inbound.signature?.mode === 'hmac' && !inbound.secretCredential)
      problems.push('an hmac inbound endpoint needs secretCredential');
  }
  const suffixes = new Set<string>();
  for (const outbound of template.outbound ?? []) {
    if (!SLUG.test(outbound.suffix ?? ''))
      problems.push(`outbound suffix "${outbound.suffix}" is not a slug`);
    if (suffixes.has(outbound.suffix))
      problems.push(`outbound suffix "${outbound.suffix}" appears twice`);
    suffixes.add(outbound.suffix);
    handlerOf(outbound.handler, 'outbound', `outbound endpoint "${outbound.suffix}"`);
  }
  return problems;
}
