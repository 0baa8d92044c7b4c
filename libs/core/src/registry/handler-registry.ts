import { RegistryError } from '../errors/errors';
import type { Direction } from '../rules/rule.types';
import type { InboundCallback, OutboundCallback } from './callback.types';

/**
 * The handler registry: callbacks registered by name, per direction (the seeds' "Python
 * callbacks"). Handlers in callback mode name a callback; the admin API checks the name at
 * save with `has`, the workers resolve it at run with `getInbound`/`getOutbound`. A name is
 * unique within a direction, so a typo or a double registration fails at boot rather than
 * silently replacing a callback.
 */
export class HandlerRegistry {
  private readonly inbound = new Map<string, InboundCallback>();
  private readonly outbound = new Map<string, OutboundCallback>();

  registerInbound(name: string, callback: InboundCallback): this {
    this.add(this.inbound, 'inbound', name, callback);
    return this;
  }

  registerOutbound(name: string, callback: OutboundCallback): this {
    this.add(this.outbound, 'outbound', name, callback);
    return this;
  }

  getInbound(name: string): InboundCallback {
    return this.get(this.inbound, 'inbound', name);
  }

  getOutbound(name: string): OutboundCallback {
    return this.get(this.outbound, 'outbound', name);
  }

  has(direction: Direction, name: string): boolean {
    return this.mapFor(direction).has(name);
  }

  /** Registered names of a direction, sorted. */
  names(direction: Direction): string[] {
    return [...this.mapFor(direction).keys()].sort();
  }

  private mapFor(direction: Direction): Map<string, unknown> {
    return direction === 'inbound' ? this.inbound : this.outbound;
  }

  private add<T>(map: Map<string, T>, direction: Direction, name: string, callback: T): void {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new RegistryError('A callback needs a non-empty name', { direction });
    }
    if (typeof callback !== 'function') {
      throw new RegistryError(`callback "${name}" must be a function`, { direction, name });
    }
    if (map.has(name)) {
      throw new RegistryError(`callback "${name}" is already registered for ${direction}`, {
        direction,
        name,
      });
    }
    map.set(name, callback);
  }

  private get<T>(map: Map<string, T>, direction: Direction, name: string): T {
    const callback = map.get(name);
    if (callback === undefined) {
      const registered = this.names(direction);
      throw new RegistryError(
        `callback "${name}" is not registered; registered: ${registered.length > 0 ? registered.join(', ') : '(none)'}`,
        { direction, name, registered },
      );
    }
    return callback;
  }
}

export function createHandlerRegistry(): HandlerRegistry {
  return new HandlerRegistry();
}
