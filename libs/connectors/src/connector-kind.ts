import {
  cancel,
  type CallbackResult,
  type InboundCallbackContext,
  type OutboundCallbackContext,
  type Outcome,
} from '@app/core';
import type { ConnectorTemplate } from './connector-template';
import type { ConnectorDelivery, ConnectorIdentity, ConnectorRuntime } from './connector.types';

/**
 * A connector kind: the TypeScript class behind every connector of one backend type
 * (SPEC §7; the seeds' connector backend model). One instance serves every connector of
 * its kind, so hooks get the connector as an argument and keep no per-connector state.
 *
 * Every hook has a default, so a kind overrides only what its backend needs:
 * - `technicalPrefix` — prefix of linked endpoint codes (`<kind>-<id>`);
 * - `handleInboundEvent` — the callback of the template's inbound handler
 *   (`callback: "connector:<kind>"`), called with the connector that owns the endpoint;
 * - `outboundBaseUrl` — the base URL of linked endpoints whose `targetHost` is blank;
 * - `outboundExtraHeaders` — set on top of the endpoint's header rules and auth, so the
 *   connector's credentials always win;
 * - `checkDispatchAllowed` — the gate before the handler: an outcome stops the delivery
 *   (inactive connector → `cancel`), nothing lets it through;
 * - `handleOutboundDelivery` — decides linked deliveries whose endpoint has no handler
 *   (like an outbound callback: return `send()`, `cancel()`, …).
 *
 * Throwing a `ProcessingConfigurationError` from an outbound hook (missing credential)
 * ends the delivery in `error` with the reason, not in a retry loop.
 */
export abstract class ConnectorKind {
  /** Registered name; connectors store it in `kind` (`stripe`, `generic-http`). */
  abstract readonly name: string;
  /** Human description for the API's list of kinds. */
  abstract readonly description: string;
  /** The endpoint template beside the class (`<kind>.template.json`). */
  abstract readonly template: ConnectorTemplate;
  /** Credential names the kind reads; others are refused at save. */
  readonly credentialKeys: readonly string[] = [];

  technicalPrefix(connector: ConnectorIdentity): string {
    return `${connector.kind}-${connector.id}`;
  }

  /** Problems with a connector's credentials and settings before they are saved. */
  configurationProblems(_connector: {
    credentials: Record<string, string>;
    settings: Record<string, unknown>;
    baseUrl: string | null;
  }): Array<{ field: string; problems: string[] }> {
    return [];
  }

  handleInboundEvent?(
    connector: ConnectorRuntime,
    ctx: InboundCallbackContext,
  ): CallbackResult | Promise<CallbackResult>;

  outboundBaseUrl(connector: ConnectorRuntime, _delivery: ConnectorDelivery): string | null {
    return connector.baseUrl;
  }

  outboundExtraHeaders(
    _connector: ConnectorRuntime,
    _delivery: ConnectorDelivery,
  ): Record<string, string> {
    return {};
  }

  checkDispatchAllowed(
    connector: ConnectorRuntime,
    _delivery: ConnectorDelivery,
  ): Outcome | null | Promise<Outcome | null> {
    if (!connector.active) return cancel(`connector "${connector.code}" is inactive`);
    return null;
  }

  handleOutboundDelivery?(
    connector: ConnectorRuntime,
    ctx: OutboundCallbackContext,
  ): CallbackResult | Promise<CallbackResult>;
}

/** The handler-registry callback name of a kind's inbound hook. */
export function connectorCallbackName(kind: string): string {
  return `connector:${kind}`;
}
