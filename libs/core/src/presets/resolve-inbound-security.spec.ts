import { ProcessingConfigurationError } from '../errors/errors';
import type { SignatureConfig } from '../signature/signature.types';
import { PRESET_NAMES, PRESETS, isPresetName } from './presets';
import { resolveInboundSecurity } from './resolve-inbound-security';

const hmac = (overrides: Partial<SignatureConfig> = {}): SignatureConfig => ({
  mode: 'hmac',
  ...overrides,
});

function configErrorOf(run: () => unknown): ProcessingConfigurationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProcessingConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ProcessingConfigurationError');
}

describe('PRESETS', () => {
  it('holds exactly the contract preset names', () => {
    expect(PRESET_NAMES.sort()).toEqual([
      'github',
      'shopify',
      'slack',
      'standard-webhooks',
      'stripe',
    ]);
    expect(isPresetName('github')).toBe(true);
    expect(isPresetName('toString')).toBe(false);
    expect(isPresetName(42)).toBe(false);
  });

  it('is frozen so one endpoint cannot change another endpoint’s preset', () => {
    expect(Object.isFrozen(PRESETS.stripe.signature.parts[0])).toBe(true);
    expect(() => {
      (PRESETS.github.signature as { header: string }).header = 'x';
    }).toThrow(TypeError);
  });
});

describe('resolveInboundSecurity', () => {
  it('gives no signature for mode none and the default identity when nothing is configured', () => {
    expect(resolveInboundSecurity({ signature: { mode: 'none' } })).toEqual({
      signature: null,
      timestamp: null,
      identity: { delivery: { policy: 'raw_body_sha256' }, replay: { policy: 'none' } },
    });
  });

  it('fills every field from a preset', () => {
    const resolved = resolveInboundSecurity({
      signature: hmac({ preset: 'stripe', secret: 'whsec_a', secondarySecret: 'whsec_b' }),
    });
    expect(resolved.signature).toEqual({
      mode: 'hmac',
      ...PRESETS.stripe.signature,
      secrets: ['whsec_a', 'whsec_b'],
    });
    expect(resolved.timestamp).toEqual(PRESETS.stripe.timestamp);
    expect(resolved.identity).toEqual({
      delivery: { policy: 'raw_body_sha256' },
      replay: { policy: 'business_event', path: 'id' },
    });
  });

  it('returns copies: editing the result does not touch the preset', () => {
    const resolved = resolveInboundSecurity({ signature: hmac({ preset: 'slack' }) });
    resolved.signature!.parts.push({ kind: 'body' });
    (resolved.signature!.parts[0] as { value: string }).value = 'x';
    resolved.identity.delivery.policy = 'delivery_header';
    expect(PRESETS.slack.signature.parts).toHaveLength(4);
    expect(PRESETS.slack.identity.delivery.policy).toBe('raw_body_sha256');
  });

  it('lets explicit fields override preset fields', () => {
    const resolved = resolveInboundSecurity({
      signature: hmac({
        preset: 'github',
        header: 'X-Hub-Signature',
        digest: 'sha1',
        prefix: 'sha1=',
      }),
      timestamp: { enabled: true, header: 'X-Sent-At', format: 'iso8601' },
      identity: { replay: { policy: 'business_event', path: 'hook.id' } },
    });
    expect(resolved.signature).toMatchObject({
      header: 'X-Hub-Signature',
      digest: 'sha1',
      prefix: 'sha1=',
      encoding: 'hex',
    });
    expect(resolved.timestamp).toEqual({
      enabled: true,
      header: 'X-Sent-At',
      format: 'iso8601',
      maxAgeSeconds: 300,
      maxFutureSkewSeconds: 300,
    });
    expect(resolved.identity).toEqual({
      delivery: { policy: 'delivery_header', header: 'X-GitHub-Delivery' },
      replay: { policy: 'business_event', path: 'hook.id' },
    });
  });

  it('an explicit empty header falls back to the preset, an explicit empty prefix does not', () => {
    const resolved = resolveInboundSecurity({
      signature: hmac({ preset: 'github', header: '', prefix: '' }),
    });
    expect(resolved.signature).toMatchObject({ header: 'X-Hub-Signature-256', prefix: '' });
  });

  it('overrides the timestamp window and source, and can switch a preset timestamp off', () => {
    const widened = resolveInboundSecurity({
      signature: hmac({ preset: 'stripe' }),
      timestamp: { enabled: true, maxAgeSeconds: 600, maxFutureSkewSeconds: undefined },
    });
    expect(widened.timestamp).toEqual({ ...PRESETS.stripe.timestamp, maxAgeSeconds: 600 });

    const moved = resolveInboundSecurity({
      signature: hmac({ preset: 'stripe' }),
      timestamp: { enabled: true, header: 'X-Ts' },
    });
    expect(moved.timestamp).toMatchObject({ header: 'X-Ts' });
    expect(moved.timestamp!.headerParam).toBeUndefined();

    const toParam = resolveInboundSecurity({
      signature: hmac({ preset: 'slack' }),
      timestamp: { enabled: true, headerParam: { name: 'Sig', param: 'ts' } },
    });
    expect(toParam.timestamp).toMatchObject({ headerParam: { name: 'Sig', param: 'ts' } });
    expect(toParam.timestamp!.header).toBeUndefined();

    const off = resolveInboundSecurity({
      signature: hmac({ preset: 'slack' }),
      timestamp: { enabled: false },
    });
    expect(off.timestamp).toBeNull();
  });

  it('keeps the preset timestamp and identity when mode is none', () => {
    const resolved = resolveInboundSecurity({
      signature: { mode: 'none', preset: 'standard-webhooks' },
    });
    expect(resolved.signature).toBeNull();
    expect(resolved.timestamp).toMatchObject({ header: 'webhook-timestamp' });
    expect(resolved.identity.delivery).toEqual({ policy: 'delivery_header', header: 'webhook-id' });
  });

  it('merges a same-policy identity override with the preset and replaces a different one', () => {
    const same = resolveInboundSecurity({
      signature: hmac({ preset: 'github' }),
      identity: { delivery: { policy: 'delivery_header', header: undefined } },
    });
    expect(same.identity.delivery).toEqual({
      policy: 'delivery_header',
      header: 'X-GitHub-Delivery',
    });

    const different = resolveInboundSecurity({
      signature: hmac({ preset: 'github' }),
      identity: {
        delivery: { policy: 'idempotency_key' },
        replay: { policy: 'idempotency_key', header: 'X-Event-Key' },
      },
    });
    expect(different.identity).toEqual({
      delivery: { policy: 'idempotency_key', header: 'Idempotency-Key' },
      replay: { policy: 'idempotency_key', header: 'X-Event-Key' },
    });

    const defaultReplayHeader = resolveInboundSecurity({
      signature: { mode: 'none' },
      identity: { replay: { policy: 'idempotency_key' } },
    });
    expect(defaultReplayHeader.identity.replay).toEqual({
      policy: 'idempotency_key',
      header: 'Idempotency-Key',
    });
  });

  it('fills defaults for an explicit config', () => {
    const resolved = resolveInboundSecurity({
      signature: hmac({ header: 'X-Sig', digest: 'sha512', encoding: 'base64', secret: 's' }),
    });
    expect(resolved.signature).toEqual({
      mode: 'hmac',
      digest: 'sha512',
      encoding: 'base64',
      secrets: ['s'],
      secretEncoding: 'utf8',
      header: 'X-Sig',
      prefix: '',
      headerFormat: 'plain',
      headerKey: '',
      version: 'v1',
      parts: [{ kind: 'body' }],
    });
  });

  it('does not require a secret unless asked, so receipt can reject with a stored reason', () => {
    const input = { signature: hmac({ preset: 'github' }) };
    expect(resolveInboundSecurity(input).signature!.secrets).toEqual([]);
    expect(
      configErrorOf(() => resolveInboundSecurity(input, { requireSecret: true })).details,
    ).toEqual({
      field: 'signature.secret',
    });
  });

  it.each<[string, Parameters<typeof resolveInboundSecurity>[0], string]>([
    ['no header', { signature: hmac({ digest: 'sha256', encoding: 'hex' }) }, 'signature.header'],
    ['no digest', { signature: hmac({ header: 'X', encoding: 'hex' }) }, 'signature.digest'],
    ['no encoding', { signature: hmac({ header: 'X', digest: 'sha256' }) }, 'signature.encoding'],
    [
      'key-value without headerKey',
      {
        signature: hmac({
          header: 'X',
          digest: 'sha256',
          encoding: 'hex',
          headerFormat: 'key-value',
        }),
      },
      'signature.headerKey',
    ],
    [
      'a bad digest',
      { signature: hmac({ preset: 'github', digest: 'md5' as never }) },
      'signature.digest',
    ],
    ['an unknown preset', { signature: hmac({ preset: 'gitlab' as never }) }, 'signature.preset'],
    ['an unknown mode', { signature: { mode: 'rsa' as never } }, 'signature.mode'],
    ['empty parts', { signature: hmac({ preset: 'github', parts: [] }) }, 'signature.parts'],
    [
      'a part of unknown kind',
      { signature: hmac({ preset: 'github', parts: [{ kind: 'query' } as never] }) },
      'signature.parts[0].kind',
    ],
    [
      'a literal part without value',
      { signature: hmac({ preset: 'github', parts: [{ kind: 'literal' } as never] }) },
      'signature.parts[0].value',
    ],
    [
      'a header part without name',
      {
        signature: hmac({
          preset: 'github',
          parts: [{ kind: 'body' }, { kind: 'header', name: '' }],
        }),
      },
      'signature.parts[1].name',
    ],
    [
      'a header_param part without name',
      {
        signature: hmac({
          preset: 'github',
          parts: [{ kind: 'header_param', param: 't' } as never],
        }),
      },
      'signature.parts[0].name',
    ],
    [
      'a header_param part without param',
      {
        signature: hmac({
          preset: 'github',
          parts: [{ kind: 'header_param', name: 'S' } as never],
        }),
      },
      'signature.parts[0].param',
    ],
    [
      'an undecodable whsec secret',
      { signature: hmac({ preset: 'standard-webhooks', secret: 'whsec_!!!' }) },
      'signature.secret',
    ],
    [
      'an undecodable secondary secret',
      { signature: hmac({ preset: 'standard-webhooks', secondarySecret: 'whsec_' }) },
      'signature.secondarySecret',
    ],
    [
      'a timestamp without a source',
      { signature: { mode: 'none' }, timestamp: { enabled: true } },
      'timestamp.header',
    ],
    [
      'a timestamp header param without name',
      {
        signature: { mode: 'none' },
        timestamp: { enabled: true, headerParam: { name: '', param: 't' } },
      },
      'timestamp.headerParam.name',
    ],
    [
      'a timestamp header param without param',
      {
        signature: { mode: 'none' },
        timestamp: { enabled: true, headerParam: { name: 'S', param: '' } },
      },
      'timestamp.headerParam.param',
    ],
    [
      'a bad timestamp format',
      {
        signature: { mode: 'none' },
        timestamp: { enabled: true, header: 'T', format: 'rfc2822' as never },
      },
      'timestamp.format',
    ],
    [
      'a negative max age',
      { signature: { mode: 'none' }, timestamp: { enabled: true, header: 'T', maxAgeSeconds: -1 } },
      'timestamp.maxAgeSeconds',
    ],
    [
      'a non-numeric skew',
      {
        signature: { mode: 'none' },
        timestamp: { enabled: true, header: 'T', maxFutureSkewSeconds: '5' as never },
      },
      'timestamp.maxFutureSkewSeconds',
    ],
    [
      'delivery_header without header',
      { signature: { mode: 'none' }, identity: { delivery: { policy: 'delivery_header' } } },
      'identity.delivery.header',
    ],
    [
      'an unknown delivery policy',
      { signature: { mode: 'none' }, identity: { delivery: { policy: 'uuid' as never } } },
      'identity.delivery.policy',
    ],
    [
      'business_event without path',
      { signature: { mode: 'none' }, identity: { replay: { policy: 'business_event' } } },
      'identity.replay.path',
    ],
    [
      'an unknown replay policy',
      { signature: { mode: 'none' }, identity: { replay: { policy: 'x' as never } } },
      'identity.replay.policy',
    ],
  ])('refuses %s, naming the field', (_case, input, field) => {
    const error = configErrorOf(() => resolveInboundSecurity(input));
    expect(error.details).toEqual({ field });
    expect(error.reason).toContain(field);
  });
});
