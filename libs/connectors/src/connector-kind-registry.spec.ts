import { createHandlerRegistry, RegistryError, type InboundCallbackContext } from '@app/core';
import { ConnectorKind } from './connector-kind';
import { ConnectorKindRegistry } from './connector-kind-registry';
import type { ConnectorTemplate } from './connector-template';
import type { ConnectorRuntime } from './connector.types';
import { buildConnectorKinds } from './built-in-kinds';

class TestKind extends ConnectorKind {
  readonly description = 'test';
  constructor(
    readonly name: string,
    readonly template: ConnectorTemplate = {},
  ) {
    super();
  }
}

const connector: ConnectorRuntime = {
  id: 'c1',
  tenantId: 't1',
  kind: 'stripe',
  code: 'main',
  name: 'Main',
  active: true,
  baseUrl: null,
  credentials: {},
  settings: {},
  technicalPrefix: 'stripe-c1',
};

function inboundContext(connectorId: string | null): InboundCallbackContext {
  return {
    event: {
      id: 'evt',
      tenant: 't1',
      endpointPath: 'x',
      receivedAt: new Date(0),
      payload: { type: 'ping', data: { object: { id: 'x' } } },
      headers: {},
      query: {},
      semantic: {},
      deliveryIdentity: null,
      replayIdentity: null,
      rawBody: Buffer.alloc(0),
      attempts: 1,
      connectorId,
    },
    records: {} as never,
    deliveries: {} as never,
    log: () => undefined,
  };
}

describe('ConnectorKindRegistry', () => {
  it('ships generic-http and stripe', () => {
    expect(buildConnectorKinds().names()).toEqual(['generic-http', 'stripe']);
  });

  it('fails fast on a duplicate kind', () => {
    const registry = new ConnectorKindRegistry().register(new TestKind('a'));
    expect(() => registry.register(new TestKind('a'))).toThrow(
      'connector kind "a" is already registered',
    );
  });

  it('names the registered kinds when one is missing', () => {
    const registry = new ConnectorKindRegistry()
      .register(new TestKind('b'))
      .register(new TestKind('a'));
    expect(() => registry.get('zzz')).toThrow(RegistryError);
    expect(() => registry.get('zzz')).toThrow('registered: a, b');
  });

  it('refuses a bad name or a broken template at registration', () => {
    const registry = new ConnectorKindRegistry();
    expect(() => registry.register(new TestKind('Bad Name'))).toThrow(/lowercase slug/);
    expect(() =>
      registry.register(
        new TestKind('broken', {
          inbound: { suffix: 'in', name: 'x', handler: 'missing', signature: { mode: 'none' } },
          outbound: [
            { suffix: 'out', name: 'a' },
            { suffix: 'out', name: 'b' },
          ],
        }),
      ),
    ).toThrow(/names handler "missing".*suffix "out" appears twice/);
    expect(registry.names()).toEqual([]);
  });

  it('defaults the technical prefix to <kind>-<id>', () => {
    expect(new TestKind('x').technicalPrefix({ id: '42', kind: 'x', code: 'c' })).toBe('x-42');
  });

  it('gates inactive connectors with cancel and lets active ones through', async () => {
    const kind = new TestKind('x');
    const delivery = {
      id: 'd',
      endpointCode: 'e',
      codeSuffix: 's',
      eventType: null,
      payload: {},
      context: {},
      idempotencyKey: null,
      attempts: 1,
    };
    expect(await kind.checkDispatchAllowed(connector, delivery)).toBeNull();
    expect(await kind.checkDispatchAllowed({ ...connector, active: false }, delivery)).toEqual({
      type: 'cancel',
      reason: 'connector "main" is inactive',
    });
  });

  it('registers connector:<kind> callbacks that load the event’s connector', async () => {
    const seen: string[] = [];
    class Inbound extends TestKind {
      override handleInboundEvent(c: ConnectorRuntime) {
        seen.push(c.id);
        return { type: 'done' as const };
      }
    }
    const kinds = new ConnectorKindRegistry().register(new Inbound('stripe'));
    const registry = createHandlerRegistry();
    kinds.registerCallbacks(registry, {
      get: async (id) => (id === 'c1' ? connector : null),
    });
    const callback = registry.getInbound('connector:stripe');
    expect(await callback(inboundContext('c1'))).toEqual({ type: 'done' });
    expect(seen).toEqual(['c1']);
    expect(await callback(inboundContext(null))).toMatchObject({ type: 'dead_letter' });
    expect(await callback(inboundContext('gone'))).toMatchObject({
      type: 'dead_letter',
      reason: 'connector gone no longer exists',
    });
  });
});
