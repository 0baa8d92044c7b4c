import { createHandlerRegistry, type HandlerRegistry } from '@app/core';
import { githubIssuesCallback } from './github-issues.callback';

/**
 * The callbacks this build of Hookgate ships, registered by name. Every app builds its
 * registry here, so the admin API refuses a handler naming a callback the workers do not
 * have. Add yours with one line below (names must be unique per direction).
 */
export function buildHandlerRegistry(): HandlerRegistry {
  const registry = createHandlerRegistry();
  registry.registerInbound('github-issues', githubIssuesCallback);
  return registry;
}

export { githubIssuesCallback };
