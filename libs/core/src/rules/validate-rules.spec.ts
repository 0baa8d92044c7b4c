import type { Rule } from './rule.types';
import {
  actionProblems,
  conditionProblems,
  validateRules,
  validateRulesAt,
  valueSourceProblems,
} from './validate-rules';

function rule(partial: Partial<Rule>): Rule {
  return { sequence: 10, name: 'r', conditions: [], action: 'done', ...partial };
}

describe('validateRules', () => {
  it('accepts well-formed inbound and outbound rules', () => {
    expect(
      validateRules(
        [
          rule({ conditions: [{ path: 'action', operator: '=', value: 'opened' }] }),
          rule({ sequence: 10, name: 'dup sequence is fine', action: 'retry', retrySeconds: 30 }),
          rule({
            name: 'upsert',
            action: 'upsert_record',
            targetModel: 'issue',
            lookups: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
            assignments: [
              {
                field: 'title',
                source: { kind: 'payload', path: 'issue.title' },
                transform: 'lowercase',
              },
              { field: 'event', source: { kind: 'header', name: 'X-GitHub-Event' } },
              { field: 'at', source: { kind: 'event', field: 'receivedAt' } },
              { field: 'k', source: { kind: 'literal', value: 1 } },
              { field: 'q', source: { kind: 'query', name: 'q' } },
              { field: 'acct', source: { kind: 'semantic', name: 'account' } },
            ],
          }),
          rule({ name: 'fwd', action: 'forward', forwardTo: 'crm-orders' }),
          rule({
            name: 'regex',
            conditions: [
              { source: 'headers', path: 'x-event', operator: 'matches', value: '^issue' },
            ],
          }),
          rule({ name: 'exists', conditions: [{ path: 'a', operator: 'exists' }] }),
        ],
        'inbound',
      ),
    ).toEqual([]);
    expect(
      validateRules(
        [
          rule({
            action: 'mutate',
            conditions: [{ source: 'context', path: 'region', operator: 'in', value: ['eu'] }],
            assignments: [
              { field: 'headers.X-Region', source: { kind: 'context', key: 'region' } },
              { field: 'meta.region', source: { kind: 'context', key: 'region' } },
            ],
          }),
          rule({
            action: 'cancel',
            conditions: [{ source: 'endpoint', path: 'code', operator: '=', value: 'x' }],
          }),
        ],
        'outbound',
      ),
    ).toEqual([]);
  });

  it('labels each problem with its rule', () => {
    expect(
      validateRules([rule({ name: 'later', sequence: 5, action: 'retry' })], 'inbound'),
    ).toEqual(['rule #1 "later" (sequence 5): retry needs retrySeconds greater than 0']);
  });

  it('refuses non-lists, non-objects and bad directions', () => {
    expect(validateRules({} as unknown as Rule[], 'inbound')).toEqual(['rules must be a list']);
    expect(validateRules([null as unknown as Rule], 'inbound')).toEqual([
      'rule #1 is not an object',
    ]);
    expect(validateRules([], 'sideways' as 'inbound')[0]).toMatch(/direction/);
  });

  it('reports sequence, name and conditions-shape problems', () => {
    const problems = validateRules(
      [{ sequence: 'x', name: '', conditions: 'nope', action: 'done' } as unknown as Rule],
      'inbound',
    );
    expect(problems).toEqual([
      'rule #1: sequence must be a number',
      'rule #1: name is required',
      'rule #1: conditions must be a list',
    ]);
  });

  it('reports an unsafe matches pattern at save time', () => {
    const [problem] = validateRules(
      [rule({ conditions: [{ path: 'a', operator: 'matches', value: '(a)\\1' }] })],
      'inbound',
    );
    expect(problem).toMatch(
      /^rule #1 "r" \(sequence 10\): condition #1: pattern .* back-references/,
    );
  });

  it('reports lookup and assignment problems with their field', () => {
    const problems = validateRules(
      [
        rule({
          action: 'create_record',
          targetModel: 'm',
          lookups: 'x' as unknown as Rule['lookups'],
          assignments: [
            { field: '', source: { kind: 'payload', path: 'a' } },
            { field: 'a.__proto__.b', source: { kind: 'payload', path: 'a' } },
            { field: 'ok', source: { kind: 'context', key: 'k' } },
            {
              field: 'ok2',
              source: { kind: 'payload', path: 'a' },
              transform: 'rot13' as 'string',
            },
            null as unknown as NonNullable<Rule['assignments']>[number],
          ],
        }),
      ],
      'inbound',
    );
    expect(problems.map((p) => p.replace('rule #1 "r" (sequence 10): ', ''))).toEqual([
      'lookups must be a list',
      'assignment #1 "": field is required',
      'assignment #2 "a.__proto__.b": field may not contain the segment "__proto__"',
      'assignment #3 "ok": source "context" is not available to inbound rules',
      'assignment #4 "ok2": unknown transform "rot13"; use string, number, boolean, lowercase, uppercase, iso_date, json',
      'assignment #5 is not an object',
    ]);
  });
});

describe('actionProblems', () => {
  it.each<[Partial<Rule>, 'inbound' | 'outbound', string[]]>([
    [{ action: 'send' }, 'inbound', ['action "send" is outbound-only']],
    [{ action: 'mutate', assignments: [] }, 'inbound', ['action "mutate" is outbound-only']],
    [{ action: 'forward', forwardTo: 'x' }, 'outbound', ['action "forward" is inbound-only']],
    [
      { action: 'create_record', targetModel: 'm' },
      'outbound',
      ['action "create_record" is inbound-only'],
    ],
    [
      { action: 'explode' as Rule['action'] },
      'inbound',
      [
        'unknown action "explode"; inbound actions are done, dead_letter, retry, create_record, update_record, upsert_record, forward',
      ],
    ],
    [{ action: 'retry', retrySeconds: 0 }, 'outbound', ['retry needs retrySeconds greater than 0']],
    [
      { action: 'retry', retrySeconds: Infinity },
      'inbound',
      ['retry needs retrySeconds greater than 0'],
    ],
    [{ action: 'retry', retrySeconds: 5 }, 'outbound', []],
    [{ action: 'create_record' }, 'inbound', ['create_record needs a targetModel']],
    [
      { action: 'update_record', targetModel: ' ' },
      'inbound',
      [
        'update_record needs a targetModel',
        'update_record needs at least one lookup to find the record',
      ],
    ],
    [
      { action: 'upsert_record', targetModel: 'm', lookups: [] },
      'inbound',
      ['upsert_record needs at least one lookup to find the record'],
    ],
    [{ action: 'forward' }, 'inbound', ['forward needs forwardTo (an outbound endpoint code)']],
    [{ action: 'mutate' }, 'outbound', ['mutate needs at least one assignment']],
    [{ action: 'cancel' }, 'outbound', []],
  ])('%p on %s', (partial, direction, expected) => {
    expect(actionProblems(rule(partial), direction)).toEqual(expected);
  });
});

describe('conditionProblems', () => {
  it.each<[unknown, 'inbound' | 'outbound', string[]]>([
    [null, 'inbound', ['not an object']],
    [{ path: 'a', operator: '=', value: 1 }, 'inbound', []],
    [
      { source: 'body', path: 'a', operator: '=', value: 1 },
      'inbound',
      ['unknown source "body"; use payload, headers, query, semantic, event, context, endpoint'],
    ],
    [
      { source: 'context', path: 'a', operator: '=', value: 1 },
      'inbound',
      ['source "context" is not available to inbound rules'],
    ],
    [
      { source: 'headers', path: 'a', operator: '=', value: 1 },
      'outbound',
      ['source "headers" is not available to outbound rules'],
    ],
    [
      { source: 'headers', path: '', operator: 'exists' },
      'inbound',
      ['a headers condition needs a path (the name to read)'],
    ],
    [{ path: '', operator: '=', value: {} }, 'inbound', []],
    [{ path: 1, operator: '=', value: 1 }, 'inbound', ['path must be a string']],
    [
      { path: 'a', operator: '~' },
      'inbound',
      [
        'unknown operator "~"; use =, !=, in, not in, contains, not contains, >, >=, <, <=, exists, not exists, starts with, matches',
      ],
    ],
    [{ path: 'a', operator: 'in', value: 'x' }, 'inbound', ['"in" needs a list value']],
    [{ path: 'a', operator: 'not in', value: ['x'] }, 'inbound', []],
    [{ path: 'a', operator: '=' }, 'inbound', ['"=" needs a value']],
    [{ path: 'a', operator: '=', value: null }, 'inbound', []],
    [{ path: 'a', operator: 'not exists' }, 'outbound', []],
  ])('%p on %s', (condition, direction, expected) => {
    expect(conditionProblems(condition as never, direction)).toEqual(expected);
  });
});

describe('valueSourceProblems', () => {
  it.each<[unknown, 'inbound' | 'outbound', string[]]>([
    [null, 'inbound', ['source must be an object']],
    [{ kind: 'payload', path: '' }, 'inbound', []],
    [{ kind: 'payload' }, 'outbound', ['a payload source needs path']],
    [{ kind: 'header', name: ' ' }, 'inbound', ['a header source needs name']],
    [
      { kind: 'header', name: 'X' },
      'outbound',
      ['source "header" is not available to outbound rules'],
    ],
    [{ kind: 'query', name: 'q' }, 'inbound', []],
    [{ kind: 'semantic' }, 'inbound', ['a semantic source needs name']],
    [{ kind: 'event', field: 'id' }, 'outbound', []],
    [{ kind: 'event' }, 'inbound', ['an event source needs field']],
    [{ kind: 'context', key: 'k' }, 'outbound', []],
    [{ kind: 'context' }, 'outbound', ['a context source needs key']],
    [{ kind: 'literal', value: 0 }, 'outbound', []],
    [{ kind: 'literal' }, 'inbound', ['a literal source needs value']],
    [{ kind: 'env', name: 'HOME' }, 'inbound', ['unknown source kind "env"']],
  ])('%p on %s', (source, direction, expected) => {
    expect(valueSourceProblems(source as never, direction)).toEqual(expected);
  });
});

describe('mutate header assignments', () => {
  it('needs a header name after headers.', () => {
    expect(
      validateRules(
        [
          rule({
            action: 'mutate',
            assignments: [{ field: 'headers.', source: { kind: 'literal', value: 'x' } }],
          }),
        ],
        'outbound',
      ),
    ).toEqual([
      'rule #1 "r" (sequence 10): assignment #1 "headers.": a header assignment needs a name after "headers."',
    ]);
  });
});

describe('validateRulesAt', () => {
  it('says which rule and which field of it each problem concerns, in the API’s dotted form', () => {
    const found = validateRulesAt(
      [
        rule({ name: 'ok' }),
        rule({
          name: 'bad',
          sequence: 20,
          action: 'upsert_record',
          conditions: [
            { source: 'payload', path: 'a', operator: '=', value: 1 },
            { source: 'payload', path: 'b', operator: '~' as '=', value: 1 },
          ],
          assignments: [{ field: 'x', source: { kind: 'header' } as never }],
        }),
      ],
      'inbound',
    );
    expect(found.map(({ index, field, problem }) => ({ index, field, problem }))).toEqual([
      {
        index: 1,
        field: 'conditions.1.operator',
        problem: expect.stringMatching(/^unknown operator "~"/),
      },
      { index: 1, field: 'targetModel', problem: 'upsert_record needs a targetModel' },
      {
        index: 1,
        field: 'lookups',
        problem: 'upsert_record needs at least one lookup to find the record',
      },
      { index: 1, field: 'assignments.0.source', problem: 'a header source needs name' },
    ]);
    // The same problems, as the sentences validateRules gives.
    expect(found.map((p) => p.text)).toEqual(
      validateRules(
        [
          rule({ name: 'ok' }),
          rule({
            name: 'bad',
            sequence: 20,
            action: 'upsert_record',
            conditions: [
              { source: 'payload', path: 'a', operator: '=', value: 1 },
              { source: 'payload', path: 'b', operator: '~' as '=', value: 1 },
            ],
            assignments: [{ field: 'x', source: { kind: 'header' } as never }],
          }),
        ],
        'inbound',
      ),
    );
    expect(found[0].text).toMatch(/^rule #2 "bad" \(sequence 20\): condition #2: unknown operator/);
  });

  it('puts problems of the list itself on no rule', () => {
    expect(validateRulesAt({} as unknown as Rule[], 'inbound')).toEqual([
      { field: '', problem: 'rules must be a list', text: 'rules must be a list' },
    ]);
  });
});
