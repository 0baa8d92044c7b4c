import { ProcessingConfigurationError } from '../errors/errors';
import type { EvaluationScope } from '../extraction/value-source.types';
import { evaluateRules, orderRules } from './evaluate-rules';
import type { Rule } from './rule.types';

const scope: EvaluationScope = {
  payload: {
    action: 'opened',
    issue: { number: 42, title: 'Bug', labels: ['bug'] },
    repo: { id: 7 },
  },
  headers: { 'x-github-event': 'issues' },
  semantic: { account: 'acct_1' },
  event: { id: 'evt_1', receivedAt: '2024-01-01T00:00:00.000Z' },
};

function rule(partial: Partial<Rule> & Pick<Rule, 'sequence' | 'name'>): Rule {
  return { conditions: [], action: 'done', ...partial };
}

describe('evaluateRules', () => {
  it('finishes inbound with done when no rule matches, logging every rule tried', () => {
    const evaluation = evaluateRules(
      [
        rule({
          sequence: 1,
          name: 'closed',
          conditions: [{ path: 'action', operator: '=', value: 'closed' }],
        }),
        rule({
          sequence: 2,
          name: 'pull requests',
          conditions: [
            { source: 'headers', path: 'x-github-event', operator: '=', value: 'pull_request' },
          ],
        }),
      ],
      scope,
      'inbound',
    );
    expect(evaluation.matchedRule).toBeNull();
    expect(evaluation.action).toBe('done');
    expect(evaluation.log).toEqual({
      direction: 'inbound',
      mode: 'rules',
      rules: [
        {
          sequence: 1,
          name: 'closed',
          matched: false,
          conditions: [
            {
              source: 'payload',
              path: 'action',
              operator: '=',
              expected: 'closed',
              actual: 'opened',
              result: false,
            },
          ],
        },
        {
          sequence: 2,
          name: 'pull requests',
          matched: false,
          conditions: [
            {
              source: 'headers',
              path: 'x-github-event',
              operator: '=',
              expected: 'pull_request',
              actual: 'issues',
              result: false,
            },
          ],
        },
      ],
      matchedRule: null,
      action: 'done',
      note: 'no rule matched',
      assignments: [],
      lookups: [],
      records: [],
    });
  });

  it('sends outbound when no rule matches', () => {
    const evaluation = evaluateRules([], { payload: {} }, 'outbound');
    expect(evaluation.action).toBe('send');
    expect(evaluation.log).toMatchObject({
      direction: 'outbound',
      note: 'no rule matched',
      rules: [],
    });
  });

  it('tolerates missing rules', () => {
    expect(evaluateRules(undefined, scope, 'inbound').action).toBe('done');
    expect(evaluateRules(null, scope, 'outbound').action).toBe('send');
  });

  it('runs rules by ascending sequence and stops at the first match', () => {
    const evaluation = evaluateRules(
      [
        rule({ sequence: 30, name: 'catch-all', action: 'dead_letter' }),
        rule({
          sequence: 10,
          name: 'opened',
          conditions: [{ path: 'action', operator: '=', value: 'opened' }],
          action: 'done',
        }),
        rule({ sequence: 20, name: 'never reached', action: 'dead_letter' }),
      ],
      scope,
      'inbound',
    );
    expect(evaluation.matchedRule?.name).toBe('opened');
    expect(evaluation.log.rules.map((r) => r.name)).toEqual(['opened']);
    expect(evaluation.log.matchedRule).toBe('opened');
    expect(evaluation.log.note).toBeUndefined();
  });

  it('keeps list order for equal sequences', () => {
    const evaluation = evaluateRules(
      [rule({ sequence: 5, name: 'first' }), rule({ sequence: 5, name: 'second' })],
      scope,
      'inbound',
    );
    expect(evaluation.matchedRule?.name).toBe('first');
  });

  it('needs every condition to hold, and logs all of them', () => {
    const evaluation = evaluateRules(
      [
        rule({
          sequence: 1,
          name: 'both',
          conditions: [
            { path: 'action', operator: '=', value: 'closed' },
            { path: 'issue.number', operator: '>', value: 10 },
          ],
        }),
        rule({ sequence: 2, name: 'fallback', action: 'dead_letter' }),
      ],
      scope,
      'inbound',
    );
    expect(evaluation.matchedRule?.name).toBe('fallback');
    expect(evaluation.log.rules[0].conditions.map((c) => c.result)).toEqual([false, true]);
    expect(evaluation.log.rules[1]).toEqual({
      sequence: 2,
      name: 'fallback',
      matched: true,
      conditions: [],
    });
  });

  it('treats a rule without a conditions list as always matching', () => {
    const loose = { sequence: 1, name: 'loose', action: 'done' } as Rule;
    expect(evaluateRules([loose], scope, 'inbound').matchedRule).toBe(loose);
  });

  it("resolves the matched rule's assignments and lookups, with transforms and defaults", () => {
    const evaluation = evaluateRules(
      [
        rule({
          sequence: 1,
          name: 'upsert issue',
          action: 'upsert_record',
          targetModel: 'issue',
          lookups: [
            { field: 'number', source: { kind: 'payload', path: 'issue.number' } },
            { field: 'repo', source: { kind: 'payload', path: 'repo.id' } },
          ],
          assignments: [
            {
              field: 'title',
              source: { kind: 'payload', path: 'issue.title' },
              transform: 'uppercase',
            },
            {
              field: 'number',
              source: { kind: 'payload', path: 'issue.number' },
              transform: 'string',
            },
            {
              field: 'assignee',
              source: { kind: 'payload', path: 'issue.assignee' },
              default: 'nobody',
            },
            { field: 'milestone', source: { kind: 'payload', path: 'issue.milestone' } },
            { field: 'account', source: { kind: 'semantic', name: 'account' } },
            { field: 'event', source: { kind: 'event', field: 'id' } },
          ],
        }),
      ],
      scope,
      'inbound',
    );
    expect(evaluation.action).toBe('upsert_record');
    expect(evaluation.assignments).toEqual([
      { field: 'title', value: 'BUG' },
      { field: 'number', value: '42' },
      { field: 'assignee', value: 'nobody' },
      { field: 'account', value: 'acct_1' },
      { field: 'event', value: 'evt_1' },
    ]);
    expect(evaluation.lookups).toEqual([
      { field: 'number', value: 42 },
      { field: 'repo', value: 7 },
    ]);
    expect(evaluation.log.assignments).toContainEqual({
      field: 'milestone',
      source: { kind: 'payload', path: 'issue.milestone' },
      absent: true,
    });
    expect(evaluation.log.assignments).toHaveLength(6);
    expect(evaluation.log.lookups).toEqual([
      { field: 'number', source: { kind: 'payload', path: 'issue.number' }, value: 42 },
      { field: 'repo', source: { kind: 'payload', path: 'repo.id' }, value: 7 },
    ]);
    expect(evaluation.log.records).toEqual([]);
  });

  it('carries retrySeconds for retry', () => {
    const evaluation = evaluateRules(
      [rule({ sequence: 1, name: 'later', action: 'retry', retrySeconds: 30 })],
      scope,
      'inbound',
    );
    expect(evaluation).toMatchObject({ action: 'retry', retrySeconds: 30 });
  });

  it.each(['update_record', 'upsert_record'] as const)(
    'dead-letters %s when a lookup resolves to nothing',
    (action) => {
      const evaluation = evaluateRules(
        [
          rule({
            sequence: 1,
            name: 'by key',
            action,
            targetModel: 'order',
            lookups: [{ field: 'orderId', source: { kind: 'payload', path: 'order.id' } }],
          }),
        ],
        scope,
        'inbound',
      );
      expect(evaluation.action).toBe('dead_letter');
      expect(evaluation.matchedRule?.action).toBe(action);
      expect(evaluation.lookups).toEqual([]);
      expect(evaluation.log).toMatchObject({
        action: 'dead_letter',
        matchedRule: 'by key',
        note: 'lookup "orderId" resolved to nothing, so no record can be identified',
        lookups: [{ field: 'orderId', absent: true }],
      });
    },
  );

  it('throws a configuration error, with the log, when the matched rule cannot run', () => {
    const run = () =>
      evaluateRules([rule({ sequence: 1, name: 'wrong way', action: 'send' })], scope, 'inbound');
    expect(run).toThrow(ProcessingConfigurationError);
    expect(run).toThrow('Rule "wrong way" cannot run: action "send" is outbound-only');
    try {
      run();
    } catch (error) {
      const details = (error as ProcessingConfigurationError).details as {
        log: { rules: unknown[] };
      };
      expect(details.log.rules).toHaveLength(1);
    }
  });

  it('does not check rules that are not matched', () => {
    const evaluation = evaluateRules(
      [
        rule({
          sequence: 1,
          name: 'broken but unmatched',
          action: 'retry',
          conditions: [{ path: 'nope', operator: 'exists' }],
        }),
        rule({ sequence: 2, name: 'ok' }),
      ],
      scope,
      'inbound',
    );
    expect(evaluation.matchedRule?.name).toBe('ok');
  });

  it('wraps a failing transform into a configuration error naming the rule and field', () => {
    const run = () =>
      evaluateRules(
        [
          rule({
            sequence: 1,
            name: 'typed',
            action: 'create_record',
            targetModel: 'issue',
            assignments: [
              { field: 'n', source: { kind: 'payload', path: 'issue.title' }, transform: 'number' },
            ],
          }),
        ],
        scope,
        'inbound',
      );
    expect(run).toThrow(ProcessingConfigurationError);
    expect(run).toThrow(/^Rule "typed", assignment "n": Cannot convert "Bug" to a number$/);
  });

  it('evaluates outbound rules against context and endpoint', () => {
    const evaluation = evaluateRules(
      [
        rule({
          sequence: 1,
          name: 'eu only',
          action: 'mutate',
          conditions: [
            { source: 'context', path: 'region', operator: '=', value: 'eu' },
            { source: 'endpoint', path: 'code', operator: 'starts with', value: 'crm' },
          ],
          assignments: [{ field: 'headers.X-Region', source: { kind: 'context', key: 'region' } }],
        }),
      ],
      { payload: {}, context: { region: 'eu' }, endpoint: { code: 'crm-orders' } },
      'outbound',
    );
    expect(evaluation.action).toBe('mutate');
    expect(evaluation.assignments).toEqual([{ field: 'headers.X-Region', value: 'eu' }]);
  });

  it('gives the same result when run twice (the simulator relies on it)', () => {
    const rules = [
      rule({
        sequence: 1,
        name: 'r',
        conditions: [{ path: 'issue.labels', operator: 'contains', value: 'bug' }],
      }),
    ];
    expect(evaluateRules(rules, scope, 'inbound')).toEqual(evaluateRules(rules, scope, 'inbound'));
  });
});

describe('orderRules', () => {
  it('sorts by sequence, rules without a usable sequence last, ties stable', () => {
    const rules = [
      rule({ sequence: Number.NaN, name: 'nan' }),
      rule({ sequence: 2, name: 'b' }),
      { name: 'none' } as Rule,
      rule({ sequence: -1, name: 'a' }),
      rule({ sequence: 2, name: 'c' }),
      null as unknown as Rule,
    ];
    expect(orderRules(rules).map((r) => r.name)).toEqual(['a', 'b', 'c', 'nan', 'none']);
  });
});
