import { createHandlerRegistry, type HandlerRegistry } from '@app/core';
import {
  buildConnectorKinds,
  type ConnectorKindRegistry,
  type ConnectorSource,
} from '@app/connectors';
import { contentDigestCallback } from './content-digest.callback';
import { githubIssuesCallback } from './github-issues.callback';

/**
 * The callbacks this build of Hookgate ships, registered by name. Every app builds its
 * registry here, so the admin API refuses a handler naming a callback the workers do not
 * have. Add yours with one line below (names must be unique per direction).
 *
 * Connector kinds with an inbound hook add `connector:<kind>`; `connectors` finds the
 * connector an event belongs to (needed only where callbacks run).
 */
export function buildHandlerRegistry(
  options: { kinds?: ConnectorKindRegistry; connectors?: ConnectorSource } = {},
): HandlerRegistry {
  const registry = createHandlerRegistry();
  registry.registerInbound('github-issues', githubIssuesCallback);
  registry.registerOutbound('content-digest', contentDigestCallback);
  (options.kinds ?? buildConnectorKinds()).registerCallbacks(registry, options.connectors);
  return registry;
}

export { contentDigestCallback, githubIssuesCallback };
