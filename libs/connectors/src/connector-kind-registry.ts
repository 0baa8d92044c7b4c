import { deadLetter, RegistryError, type HandlerRegistry, type InboundCallback } from '@app/core';
import { connectorCallbackName, type ConnectorKind } from './connector-kind';
import { templateProblems } from './connector-template';
import type { ConnectorRuntime } from './connector.types';

/**
 * Connector kinds by name. Registering a duplicate name or a kind whose template is
 * broken throws, so a bad build fails at boot; asking for a kind that is not registered
 * throws a RegistryError naming the registered ones.
 */
export interface ConnectorSource {
  /** The connector with decrypted credentials, or null when it no longer exists. */
  get(connectorId: string): Promise<ConnectorRuntime | null>;
}

const KIND_NAME = /^[a-z0-9][a-z0-9-]*$/;

export class ConnectorKindRegistry {
  private readonly kinds = new Map<string, ConnectorKind>();

  register(kind: ConnectorKind): this {
    if (!KIND_NAME.test(kind.name ?? '')) {
      throw new RegistryError(`connector kind name "${kind.name}" must be a lowercase slug`);
    }
    if (this.kinds.has(kind.name)) {
      throw new RegistryError(`connector kind "${kind.name}" is already registered`);
    }
    const problems = templateProblems(kind.template);
    if (problems.length > 0) {
      throw new RegistryError(
        `connector kind "${kind.name}" has a broken template: ${problems.join('; ')}`,
        { kind: kind.name, problems },
      );
    }
    this.kinds.set(kind.name, kind);
    return this;
  }

  has(name: string): boolean {
    return this.kinds.has(name);
  }

  get(name: string): ConnectorKind {
    const kind = this.kinds.get(name);
    if (!kind) {
      throw new RegistryError(
        `connector kind "${name}" is not registered; registered: ${this.names().join(', ') || '(none)'}`,
        { kind: name, registered: this.names() },
      );
    }
    return kind;
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  all(): ConnectorKind[] {
    return this.names().map((name) => this.kinds.get(name)!);
  }

  /**
   * Registers `connector:<kind>` in the handler registry for every kind with an inbound
   * hook. The callback finds the connector through the event's endpoint; `source` is
   * only needed where callbacks run (the gateway), the admin API only checks names.
   */
  registerCallbacks(registry: HandlerRegistry, source?: ConnectorSource): void {
    for (const kind of this.all()) {
      if (!kind.handleInboundEvent) continue;
      const callback: InboundCallback = async (ctx) => {
        const connectorId = ctx.event.connectorId;
        if (!connectorId) {
          return deadLetter(
            `callback "${connectorCallbackName(kind.name)}" serves connector endpoints only`,
          );
        }
        if (!source) throw new RegistryError('no connector source is configured here');
        const connector = await source.get(connectorId);
        if (!connector) return deadLetter(`connector ${connectorId} no longer exists`);
        if (connector.kind !== kind.name) {
          return deadLetter(
            `the endpoint belongs to a "${connector.kind}" connector, not "${kind.name}"`,
          );
        }
        return kind.handleInboundEvent!(connector, ctx);
      };
      registry.registerInbound(connectorCallbackName(kind.name), callback);
    }
  }
}
