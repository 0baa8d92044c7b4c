import { RegistryError } from '../errors/errors';
import { done, send } from '../outcomes/outcome-helpers';
import type { InboundCallback, OutboundCallback } from './callback.types';
import { createHandlerRegistry, HandlerRegistry } from './handler-registry';

describe('HandlerRegistry', () => {
  const inbound: InboundCallback = () => done();
  const outbound: OutboundCallback = ({ request }) => send(request);

  it('registers and resolves callbacks per direction', () => {
    const registry = createHandlerRegistry()
      .registerInbound('github-issues', inbound)
      .registerOutbound('crm-sync', outbound);
    expect(registry).toBeInstanceOf(HandlerRegistry);
    expect(registry.getInbound('github-issues')).toBe(inbound);
    expect(registry.getOutbound('crm-sync')).toBe(outbound);
    expect(registry.has('inbound', 'github-issues')).toBe(true);
    expect(registry.has('outbound', 'github-issues')).toBe(false);
    expect(registry.has('outbound', 'crm-sync')).toBe(true);
  });

  it('allows one name in both directions', () => {
    const registry = new HandlerRegistry()
      .registerInbound('same', inbound)
      .registerOutbound('same', outbound);
    expect(registry.names('inbound')).toEqual(['same']);
    expect(registry.names('outbound')).toEqual(['same']);
  });

  it('refuses a duplicate name in the same direction', () => {
    const registry = new HandlerRegistry().registerInbound('x', inbound);
    expect(() => registry.registerInbound('x', inbound)).toThrow(RegistryError);
    expect(() => registry.registerInbound('x', inbound)).toThrow(
      'callback "x" is already registered for inbound',
    );
    registry.registerOutbound('y', outbound);
    expect(() => registry.registerOutbound('y', outbound)).toThrow(
      /already registered for outbound/,
    );
  });

  it('names the registered callbacks when one is missing', () => {
    const registry = new HandlerRegistry()
      .registerInbound('b', inbound)
      .registerInbound('a', inbound);
    expect(() => registry.getInbound('x')).toThrow(
      'callback "x" is not registered; registered: a, b',
    );
    expect(() => registry.getOutbound('x')).toThrow(
      'callback "x" is not registered; registered: (none)',
    );
    try {
      registry.getInbound('x');
    } catch (error) {
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).code).toBe('configuration_invalid');
      expect((error as RegistryError).details).toEqual({
        direction: 'inbound',
        name: 'x',
        registered: ['a', 'b'],
      });
    }
  });

  it('lists names sorted', () => {
    const registry = new HandlerRegistry()
      .registerOutbound('zeta', outbound)
      .registerOutbound('alpha', outbound);
    expect(registry.names('outbound')).toEqual(['alpha', 'zeta']);
    expect(registry.names('inbound')).toEqual([]);
  });

  it('refuses empty names and non-functions', () => {
    const registry = new HandlerRegistry();
    expect(() => registry.registerInbound(' ', inbound)).toThrow(/non-empty name/);
    expect(() => registry.registerOutbound('x', 'nope' as unknown as OutboundCallback)).toThrow(
      /must be a function/,
    );
  });

  it('passes callbacks their context unchanged', async () => {
    const seen: string[] = [];
    const registry = new HandlerRegistry().registerInbound('echo', async ({ event, log }) => {
      log('seen', { id: event.id });
      seen.push(event.id);
      return undefined;
    });
    const result = await registry.getInbound('echo')({
      event: {
        id: 'evt_1',
        tenant: 't',
        endpointPath: 'github',
        receivedAt: new Date(0),
        payload: {},
        headers: {},
        query: {},
        semantic: {},
        deliveryIdentity: null,
        replayIdentity: null,
        rawBody: Buffer.alloc(0),
        attempts: 1,
      },
      records: {} as never,
      deliveries: {} as never,
      log: () => undefined,
    });
    expect(result).toBeUndefined();
    expect(seen).toEqual(['evt_1']);
  });
});
