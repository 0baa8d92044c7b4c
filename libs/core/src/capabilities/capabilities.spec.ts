import { ProcessingConfigurationError } from '../errors/errors';
import { normalizeOutcome } from '../outcomes/normalize-outcome';
import { CONDITION_SOURCES } from '../conditions/evaluate-condition';
import type { ValueSource } from '../extraction/value-source.types';
import { PRESETS, PRESET_NAMES } from '../presets/presets';
import { resolveInboundSecurity } from '../presets/resolve-inbound-security';
import {
  CONDITION_OPERATORS,
  INBOUND_ACTIONS,
  OUTBOUND_ACTIONS,
  type Condition,
  type Direction,
  type Rule,
} from '../rules/rule.types';
import { validateRules, validateRulesAt, valueSourceProblems } from '../rules/validate-rules';
import { describeCapabilities } from './capabilities';

/**
 * The description must be what core accepts, read from the registries the validators use:
 * each check below asks the validator (or the resolver) itself, so a preset, action,
 * operator or source added to core but not described (or described but refused) fails here.
 */
const DIRECTIONS: Direction[] = ['inbound', 'outbound'];
const caps = describeCapabilities();

const rule = (patch: Partial<Rule>): Rule =>
  ({ sequence: 10, name: 'r', conditions: [], action: 'done', ...patch }) as Rule;

describe('describeCapabilities: presets', () => {
  it('lists every preset of the registry once, with its label and freshness', () => {
    const names = caps.signature.presets.map((preset) => preset.name);
    expect(names).toHaveLength(PRESET_NAMES.length);
    expect([...names].sort()).toEqual([...PRESET_NAMES].sort());
    for (const preset of caps.signature.presets) {
      const defined = PRESETS[preset.name as keyof typeof PRESETS];
      expect(preset.label).toBe(defined.label);
      expect(preset.label.trim()).not.toBe('');
      expect(preset.freshness.enabled).toBe(defined.timestamp.enabled);
      expect(preset.secretEncoding).toBe(defined.signature.secretEncoding);
      expect(preset.requires).toEqual(['secret']);
    }
    expect(caps.signature.presets.find((p) => p.name === 'slack')?.handshakes).toEqual(['slack']);
    expect(caps.signature.presets.find((p) => p.name === 'stripe')?.freshness).toEqual({
      enabled: true,
      maxAgeSeconds: 300,
    });
  });

  it('describes only presets the resolver accepts, and each needs the secret it says', () => {
    for (const preset of caps.signature.presets) {
      const signature = { mode: 'hmac' as const, preset: preset.name as 'github' };
      expect(() => resolveInboundSecurity({ signature }, { requireSecret: true })).toThrow(
        /signature\.secret/,
      );
      const secret = preset.secretEncoding === 'whsec' ? 'whsec_c2VjcmV0' : 'secret';
      expect(
        resolveInboundSecurity({ signature: { ...signature, secret } }, { requireSecret: true })
          .signature?.secrets,
      ).toEqual([secret]);
    }
  });
});

describe('describeCapabilities: signature, freshness and identity vocabularies', () => {
  const resolve = (signature: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
    resolveInboundSecurity({
      signature: {
        mode: 'hmac',
        digest: 'sha256',
        encoding: 'hex',
        header: 'X-Sig',
        secret: 'c2VjcmV0',
        ...signature,
      },
      ...rest,
    } as Parameters<typeof resolveInboundSecurity>[0]);
  const refused = (run: () => unknown, field: string) => {
    expect(run).toThrow(ProcessingConfigurationError);
    expect(run).toThrow(field);
  };

  it('offers each digest, encoding, secret encoding and header format the resolver accepts, and no other', () => {
    for (const digest of caps.signature.digests) {
      expect(resolve({ digest }).signature?.digest).toBe(digest);
    }
    for (const encoding of caps.signature.encodings) {
      expect(resolve({ encoding }).signature?.encoding).toBe(encoding);
    }
    for (const secretEncoding of caps.signature.secretEncodings) {
      expect(resolve({ secretEncoding, secret: 'whsec_c2VjcmV0' }).signature?.secretEncoding).toBe(
        secretEncoding,
      );
    }
    for (const format of caps.signature.headerFormats) {
      const fields = Object.fromEntries(format.fields.map((field) => [field, 'v1']));
      expect(resolve({ headerFormat: format.value, ...fields }).signature?.headerFormat).toBe(
        format.value,
      );
      for (const field of format.fields) {
        refused(() => resolve({ headerFormat: format.value }), `signature.${field}`);
      }
    }
    refused(() => resolve({ digest: 'md5' }), 'signature.digest');
    refused(() => resolve({ encoding: 'base32' }), 'signature.encoding');
    refused(() => resolve({ secretEncoding: 'hex' }), 'signature.secretEncoding');
    refused(() => resolve({ headerFormat: 'json' }), 'signature.headerFormat');
  });

  it('starts a custom scheme and a timestamp check with settings the resolver accepts as they are', () => {
    const { newPartKind, ...customDefaults } = caps.signature.customDefaults;
    expect(caps.signature.partKinds.map((kind) => kind.value)).toContain(newPartKind);
    const resolved = resolveInboundSecurity({
      signature: { mode: 'hmac', secret: 's', ...customDefaults },
      timestamp: { enabled: true, header: 'X-Ts' },
    });
    expect(resolved.signature).toMatchObject({ ...customDefaults, secrets: ['s'] });
    // What core fills in when they are left out is what the description says.
    const bare = resolveInboundSecurity({
      signature: { mode: 'hmac', secret: 's', header: 'X', digest: 'sha1', encoding: 'hex' },
      timestamp: { enabled: true, header: 'X-Ts' },
    });
    expect(bare.signature).toMatchObject({
      secretEncoding: customDefaults.secretEncoding,
      headerFormat: customDefaults.headerFormat,
      parts: customDefaults.parts,
    });
    expect(bare.timestamp).toMatchObject({
      format: caps.freshness.defaults.format,
      maxAgeSeconds: caps.freshness.defaults.maxAgeSeconds,
      maxFutureSkewSeconds: caps.freshness.defaults.maxFutureSkewSeconds,
    });
  });

  it('offers every signed part kind with the fields the resolver requires of it', () => {
    expect(caps.signature.partKinds.length).toBeGreaterThanOrEqual(7);
    for (const kind of caps.signature.partKinds) {
      const part = { kind: kind.value, ...Object.fromEntries(kind.fields.map((f) => [f, 'x'])) };
      expect(resolve({ parts: [part] }).signature?.parts).toEqual([part]);
      for (const field of kind.fields.filter((f) => f !== 'value')) {
        const without = { ...part, [field]: '' };
        refused(() => resolve({ parts: [without] }), `signature.parts[0].${field}`);
      }
    }
    refused(() => resolve({ parts: [{ kind: 'cookie' }] }), 'signature.parts[0].kind');
  });

  it('offers each timestamp format and identity policy the resolver accepts, with the fields it needs', () => {
    for (const format of caps.freshness.timestampFormats) {
      const timestamp = { enabled: true, header: 'X-Ts', format };
      expect(resolve({}, { timestamp }).timestamp?.format).toBe(format);
    }
    refused(
      () => resolve({}, { timestamp: { enabled: true, header: 'X-Ts', format: 'rfc822' } }),
      'timestamp.format',
    );
    for (const [which, policies] of [
      ['delivery', caps.identity.delivery],
      ['replay', caps.identity.replay],
    ] as const) {
      for (const policy of policies) {
        const filled = Object.fromEntries(policy.fields.map((field) => [field, 'x']));
        const identity = { [which]: { policy: policy.value, ...filled } };
        expect(resolve({}, { identity }).identity[which]).toMatchObject({ policy: policy.value });
      }
      refused(() => resolve({}, { identity: { [which]: { policy: 'nope' } } }), which);
    }
    // A field a policy lists is one it cannot run without, unless core has a default for it.
    refused(
      () => resolve({}, { identity: { delivery: { policy: 'delivery_header' } } }),
      'identity.delivery.header',
    );
    refused(
      () => resolve({}, { identity: { replay: { policy: 'business_event' } } }),
      'identity.replay.path',
    );
  });
});

describe('describeCapabilities: the rule language', () => {
  const actionProblems = (action: string, direction: Direction, patch: Partial<Rule> = {}) =>
    validateRulesAt([rule({ action: action as Rule['action'], ...patch })], direction);

  it.each(DIRECTIONS)('lists exactly the %s actions the rule engine accepts', (direction) => {
    const listed = caps.rules[direction].actions.map((action) => action.name);
    const candidates = [...new Set([...INBOUND_ACTIONS, ...OUTBOUND_ACTIONS, 'explode'])];
    const accepted = candidates.filter(
      (action) => !actionProblems(action, direction).some((problem) => problem.field === 'action'),
    );
    expect([...listed].sort()).toEqual([...accepted].sort());
    expect(listed).toEqual(direction === 'inbound' ? INBOUND_ACTIONS : OUTBOUND_ACTIONS);
    expect(listed.length).toBeGreaterThan(0);
  });

  it.each(DIRECTIONS)(
    'describes the parameters each %s action requires, as the validator checks them',
    (direction) => {
      const sample = {
        seconds: 30,
        text: 'x',
        list: [{ field: 'a', source: { kind: 'literal', value: 1 } }],
      };
      for (const action of caps.rules[direction].actions) {
        const required = action.parameters.filter((p) => p.required).map((p) => p.field);
        const missing = actionProblems(action.name, direction).map((problem) => problem.field);
        expect({ action: action.name, missing }).toEqual({
          action: action.name,
          missing: required,
        });
        const filled = Object.fromEntries(action.parameters.map((p) => [p.field, sample[p.type]]));
        expect({
          action: action.name,
          problems: actionProblems(action.name, direction, filled),
        }).toEqual({ action: action.name, problems: [] });
        for (const parameter of action.parameters) expect(parameter.label.trim()).not.toBe('');
      }
    },
  );

  it('lists every condition operator with the operand the validator asks of it', () => {
    expect(caps.rules.operators.map((o) => o.operator)).toEqual([...CONDITION_OPERATORS]);
    const problemsOf = (condition: Partial<Condition>) =>
      validateRulesAt(
        [rule({ conditions: [{ path: 'a', ...condition } as Condition] })],
        'inbound',
      );
    for (const { operator, operand } of caps.rules.operators) {
      const bare = problemsOf({ operator }).map((problem) => problem.field);
      expect({ operator, bare }).toEqual({
        operator,
        bare: operand === 'none' ? [] : ['conditions.0.value'],
      });
      const value = { none: undefined, value: 'x', list: ['x'], pattern: '^x' }[operand];
      expect({ operator, problems: problemsOf({ operator, value }) }).toEqual({
        operator,
        problems: [],
      });
    }
    expect(problemsOf({ operator: '~' as Condition['operator'] })[0].field).toBe(
      'conditions.0.operator',
    );
  });

  it.each(DIRECTIONS)(
    'lists exactly the condition and value sources %s rules may read',
    (direction) => {
      const d = caps.rules[direction];
      const acceptedSources = CONDITION_SOURCES.filter(
        (source) =>
          validateRulesAt(
            [rule({ conditions: [{ source, path: 'a', operator: 'exists' }] })],
            direction,
          ).length === 0,
      );
      expect([...d.conditionSources].sort()).toEqual([...acceptedSources].sort());
      expect(d.conditionSources).toContain(caps.rules.defaultConditionSource);

      const samples: ValueSource[] = [
        { kind: 'payload', path: 'a' },
        { kind: 'header', name: 'a' },
        { kind: 'query', name: 'a' },
        { kind: 'semantic', name: 'a' },
        { kind: 'event', field: 'a' },
        { kind: 'literal', value: 1 },
        { kind: 'context', key: 'a' },
      ];
      const acceptedKinds = samples
        .filter((source) => valueSourceProblems(source, direction).length === 0)
        .map((source) => source.kind);
      expect([...d.valueSources].sort()).toEqual([...acceptedKinds].sort());
    },
  );

  it.each(DIRECTIONS)(
    'starts a %s editor with a valid example and a listed new-rule action',
    (direction) => {
      const d = caps.rules[direction];
      expect(d.example.length).toBeGreaterThan(0);
      expect(validateRules(d.example, direction)).toEqual([]);
      expect(d.actions.map((a) => a.name)).toContain(d.newRuleAction);
    },
  );
});

describe('describeCapabilities: outbound requests', () => {
  it('offers exactly the methods and body modes a sent request may have', () => {
    const outcome = (method: string, bodyMode: string) =>
      normalizeOutcome(
        {
          type: 'send',
          request: {
            method,
            url: 'http://127.0.0.1/',
            bodyMode,
            body: Buffer.from(''),
            headers: {},
          },
        },
        'outbound',
      ).type;
    for (const method of caps.request.methods) expect(outcome(method, 'json')).toBe('send');
    for (const mode of caps.request.bodyModes) expect(outcome('POST', mode)).toBe('send');
    expect(outcome('OPTIONS', 'json')).toBe('dead_letter');
    expect(outcome('POST', 'xml')).toBe('dead_letter');
  });
});

describe('describeCapabilities: the document itself', () => {
  it('is plain JSON, and each call is a fresh copy', () => {
    const first = describeCapabilities();
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    first.signature.presets.length = 0;
    first.rules.inbound.example[0].name = 'edited';
    const second = describeCapabilities();
    expect(second.signature.presets).toHaveLength(PRESET_NAMES.length);
    expect(second.rules.inbound.example[0].name).not.toBe('edited');
  });

  it('lists every handshake with a label and the token it takes', () => {
    expect(caps.handshakes.map((h) => h.name)).toEqual(['slack', 'meta', 'zoom']);
    expect(caps.handshakes.find((h) => h.name === 'meta')?.token?.field).toBe('verifyToken');
    expect(caps.handshakes.find((h) => h.name === 'slack')?.token).toBeUndefined();
  });
});
