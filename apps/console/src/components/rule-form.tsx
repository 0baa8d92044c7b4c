import {
  ActionIcon,
  Alert,
  Button,
  Fieldset,
  Group,
  JsonInput,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useState } from 'react';
import type { Schemas } from '@app/client';
import { OtherProblems, parseJson, problemsOf, problemsUnder } from './forms';

/**
 * A handler's ordered rules, edited as a form (sequence, name, action and what it needs,
 * conditions row by row; lookups and assignments as small JSON lists) or as one JSON list
 * for anything the form does not cover. Either way the API checks the rules: its answer
 * names the rule and field (`rules.1.conditions.0.operator`), and each message is shown on
 * that input; in JSON mode, beside the list.
 *
 * The option lists are vocabulary for the inputs, not rules: the API decides what is valid.
 */
interface Condition {
  source?: string;
  path: string;
  operator: string;
  value?: unknown;
}
/** A rule as the editor holds it (the OpenAPI document types its lists loosely). */
export type Rule = Omit<Schemas['RuleDto'], 'conditions' | 'lookups' | 'assignments'> & {
  conditions?: Condition[];
  lookups?: unknown[];
  assignments?: unknown[];
};
/** The rules as the API's request body types them. */
export const rulesDto = (rules: Rule[]): Array<Schemas['RuleDto']> =>
  rules as unknown as Array<Schemas['RuleDto']>;

const ACTIONS = {
  inbound: [
    'done',
    'dead_letter',
    'retry',
    'create_record',
    'update_record',
    'upsert_record',
    'forward',
  ],
  outbound: ['send', 'done', 'dead_letter', 'retry', 'cancel', 'mutate'],
} as const;
const SOURCES = {
  inbound: ['payload', 'headers', 'query', 'semantic', 'event'],
  outbound: ['payload', 'event', 'context', 'endpoint'],
} as const;
const OPERATORS = [
  '=',
  '!=',
  'in',
  'not in',
  'contains',
  'not contains',
  '>',
  '>=',
  '<',
  '<=',
  'exists',
  'not exists',
  'starts with',
  'matches',
];
const RECORD_ACTIONS = new Set(['create_record', 'update_record', 'upsert_record']);
const NO_VALUE = new Set(['exists', 'not exists']);

/**
 * A condition's value as typed: JSON when it reads as JSON (42, true, ["a","b"], "42"),
 * else the text itself; and back, quoting a string only where it would read as JSON.
 */
function valueOf(text: string): unknown {
  if (text === '') return undefined;
  const parsed = parseJson(text);
  return parsed.error === undefined ? parsed.value : text;
}
function textOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string')
    return parseJson(value).error === undefined ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

const conditionsOf = (rule: Rule): Condition[] =>
  Array.isArray(rule.conditions) ? rule.conditions : [];

/** The API fields the form shows beside an input, for OtherProblems to leave out. */
function shownFields(rules: Rule[]): string[] {
  return rules.flatMap((rule, i) => {
    const at = (field: string) => `rules.${i}.${field}`;
    return [
      `rules.${i}`,
      at('sequence'),
      at('name'),
      at('action'),
      ...(RECORD_ACTIONS.has(rule.action) ? [at('targetModel')] : []),
      ...(rule.action === 'forward' ? [at('forwardTo')] : []),
      ...(rule.action === 'retry' ? [at('retrySeconds')] : []),
      at('conditions'),
      ...conditionsOf(rule).flatMap((_, j) =>
        ['', '.source', '.path', '.operator', '.value'].map((f) => at(`conditions.${j}${f}`)),
      ),
      at('lookups'),
      at('lookups.*'),
      at('assignments'),
      at('assignments.*'),
    ];
  });
}

export function RulesEditor({
  rules,
  onChange,
  direction,
  error,
  readOnly = false,
  jsonLabel = 'Rules (JSON)',
}: {
  rules: Rule[];
  onChange: (rules: Rule[]) => void;
  direction: 'inbound' | 'outbound';
  /** The save's error: its `rules.*` problems are shown on their fields. */
  error: unknown;
  readOnly?: boolean;
  jsonLabel?: string;
}) {
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [text, setText] = useState('');
  const parsed = parseJson(text);
  const jsonError =
    mode !== 'json'
      ? undefined
      : (parsed.error ?? (Array.isArray(parsed.value) ? undefined : 'the rules are a JSON list'));
  function switchTo(next: 'form' | 'json') {
    if (next === mode) return;
    if (next === 'json') setText(JSON.stringify(rules, null, 2));
    else if (jsonError) return;
    setMode(next);
  }
  function editJson(value: string) {
    setText(value);
    const next = parseJson(value);
    if (next.error === undefined && Array.isArray(next.value)) onChange(next.value as Rule[]);
  }
  const problem = problemsOf(error);
  const under = problemsUnder(error);
  return (
    <Stack gap="sm">
      <SegmentedControl
        aria-label="Rule editor"
        value={mode}
        onChange={(value) => switchTo(value === 'json' ? 'json' : 'form')}
        data={[
          { value: 'form', label: 'Form', disabled: Boolean(jsonError) },
          { value: 'json', label: 'JSON' },
        ]}
      />
      {mode === 'json' ? (
        <JsonInput
          label={jsonLabel}
          value={text}
          onChange={editJson}
          autosize
          minRows={12}
          maxRows={40}
          readOnly={readOnly}
          error={jsonError ?? under('rules')}
        />
      ) : (
        <RulesForm
          rules={rules}
          onChange={onChange}
          direction={direction}
          readOnly={readOnly}
          problem={problem}
          under={under}
        />
      )}
      <OtherProblems error={error} shown={mode === 'json' ? ['rules.*'] : shownFields(rules)} />
    </Stack>
  );
}

function RulesForm({
  rules,
  onChange,
  direction,
  readOnly,
  problem,
  under,
}: {
  rules: Rule[];
  onChange: (rules: Rule[]) => void;
  direction: 'inbound' | 'outbound';
  readOnly: boolean;
  problem: (field: string) => string | undefined;
  under: (prefix: string) => string | undefined;
}) {
  const change = (index: number, patch: Partial<Rule>) =>
    onChange(rules.map((rule, i) => (i === index ? { ...rule, ...patch } : rule)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...rules];
    const [rule] = next.splice(index, 1);
    next.splice(index + by, 0, rule);
    onChange(next);
  };
  const nextSequence =
    rules.reduce((max, rule) => Math.max(max, Number(rule.sequence) || 0), 0) + 10;
  return (
    <Stack gap="sm">
      {problem('rules') ? (
        <Alert color="red" role="alert" p="xs">
          {problem('rules')}
        </Alert>
      ) : null}
      {rules.length === 0 ? (
        <Text size="sm" c="dimmed">
          No rule: every event is done with nothing written. Add a rule to act on events.
        </Text>
      ) : null}
      {rules.map((rule, index) => (
        <RuleFields
          key={index}
          index={index}
          count={rules.length}
          rule={rule}
          direction={direction}
          readOnly={readOnly}
          problem={(field) => problem(`rules.${index}${field ? `.${field}` : ''}`)}
          under={(field) => under(`rules.${index}.${field}`)}
          onChange={(patch) => change(index, patch)}
          onMove={(by) => move(index, by)}
          onRemove={() => onChange(rules.filter((_, i) => i !== index))}
        />
      ))}
      {readOnly ? null : (
        <Group>
          <Button
            size="xs"
            variant="light"
            onClick={() =>
              onChange([
                ...rules,
                { sequence: nextSequence, name: '', action: 'done', conditions: [] } as Rule,
              ])
            }
          >
            Add rule
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function RuleFields({
  index,
  count,
  rule,
  direction,
  readOnly,
  problem,
  under,
  onChange,
  onMove,
  onRemove,
}: {
  index: number;
  count: number;
  rule: Rule;
  direction: 'inbound' | 'outbound';
  readOnly: boolean;
  problem: (field: string) => string | undefined;
  under: (field: string) => string | undefined;
  onChange: (patch: Partial<Rule>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const conditions = conditionsOf(rule);
  const setConditions = (next: Condition[]) => onChange({ conditions: next });
  const changeCondition = (j: number, patch: Partial<Condition>) =>
    setConditions(conditions.map((c, i) => (i === j ? { ...c, ...patch } : c)));
  const actions: readonly string[] = ACTIONS[direction];
  return (
    <Fieldset legend={`Rule ${n}${rule.name ? `: ${rule.name}` : ''}`} disabled={readOnly}>
      <Stack gap="xs">
        {problem('') ? (
          <Text c="red.8" size="xs" role="alert">
            {problem('')}
          </Text>
        ) : null}
        <Group align="flex-start" gap="xs">
          <NumberInput
            label="Sequence"
            aria-label={`Rule ${n} sequence`}
            value={rule.sequence}
            onChange={(value) =>
              onChange({ sequence: typeof value === 'number' ? value : Number(value) })
            }
            error={problem('sequence')}
            w={110}
          />
          <TextInput
            label="Name"
            aria-label={`Rule ${n} name`}
            value={rule.name}
            onChange={(e) => onChange({ name: e.currentTarget.value })}
            error={problem('name')}
            style={{ flex: 1, minWidth: 160 }}
          />
          <Select
            label="Action"
            aria-label={`Rule ${n} action`}
            data={actions.includes(rule.action) ? [...actions] : [...actions, rule.action]}
            value={rule.action}
            onChange={(value) => onChange({ action: (value ?? 'done') as Rule['action'] })}
            allowDeselect={false}
            error={problem('action')}
            w={170}
          />
        </Group>
        {RECORD_ACTIONS.has(rule.action) ? (
          <TextInput
            label="Target model"
            aria-label={`Rule ${n} target model`}
            placeholder="issues"
            value={rule.targetModel ?? ''}
            onChange={(e) => onChange({ targetModel: e.currentTarget.value || undefined })}
            error={problem('targetModel')}
          />
        ) : null}
        {rule.action === 'forward' ? (
          <TextInput
            label="Forward to"
            aria-label={`Rule ${n} forward to`}
            description="An outbound endpoint code"
            value={rule.forwardTo ?? ''}
            onChange={(e) => onChange({ forwardTo: e.currentTarget.value || undefined })}
            error={problem('forwardTo')}
          />
        ) : null}
        {rule.action === 'retry' ? (
          <NumberInput
            label="Retry after (s)"
            aria-label={`Rule ${n} retry after (s)`}
            value={rule.retrySeconds ?? ''}
            onChange={(value) =>
              onChange({ retrySeconds: value === '' ? undefined : Number(value) })
            }
            error={problem('retrySeconds')}
          />
        ) : null}
        <Text size="sm" fw={500}>
          Conditions (all must hold; none: always)
        </Text>
        {problem('conditions') ? (
          <Text c="red.8" size="xs" role="alert">
            {problem('conditions')}
          </Text>
        ) : null}
        {conditions.map((condition, j) => {
          const label = `Rule ${n} condition ${j + 1}`;
          const at = (field: string) => problem(`conditions.${j}${field ? `.${field}` : ''}`);
          return (
            <Stack key={j} gap={2}>
              <Group align="flex-start" gap="xs">
                <Select
                  label="Source"
                  aria-label={`${label} source`}
                  data={[...SOURCES[direction]]}
                  value={condition.source ?? 'payload'}
                  onChange={(value) => changeCondition(j, { source: value ?? 'payload' })}
                  allowDeselect={false}
                  error={at('source')}
                  w={130}
                />
                <TextInput
                  label="Path"
                  aria-label={`${label} path`}
                  placeholder="action"
                  value={condition.path ?? ''}
                  onChange={(e) => changeCondition(j, { path: e.currentTarget.value })}
                  error={at('path')}
                  style={{ flex: 1, minWidth: 140 }}
                />
                <Select
                  label="Operator"
                  aria-label={`${label} operator`}
                  data={
                    OPERATORS.includes(condition.operator)
                      ? OPERATORS
                      : [...OPERATORS, condition.operator]
                  }
                  value={condition.operator}
                  onChange={(value) => changeCondition(j, { operator: value ?? '=' })}
                  allowDeselect={false}
                  error={at('operator')}
                  w={130}
                />
                {NO_VALUE.has(condition.operator) ? null : (
                  <TextInput
                    label="Value"
                    aria-label={`${label} value`}
                    placeholder='opened, 42, true, ["a","b"]'
                    value={textOf(condition.value)}
                    onChange={(e) => changeCondition(j, { value: valueOf(e.currentTarget.value) })}
                    error={at('value')}
                    style={{ flex: 1, minWidth: 140 }}
                  />
                )}
                <ActionIcon
                  variant="subtle"
                  color="red"
                  aria-label={`Remove ${label.toLowerCase()}`}
                  onClick={() => setConditions(conditions.filter((_, i) => i !== j))}
                  mt={24}
                >
                  ×
                </ActionIcon>
              </Group>
              {at('') ? (
                <Text c="red.8" size="xs" role="alert">
                  {at('')}
                </Text>
              ) : null}
            </Stack>
          );
        })}
        {readOnly ? null : (
          <Group>
            <Button
              size="xs"
              variant="subtle"
              onClick={() =>
                setConditions([...conditions, { source: 'payload', path: '', operator: '=' }])
              }
            >
              Add condition to rule {n}
            </Button>
          </Group>
        )}
        <JsonList
          label={`Rule ${n} lookups (JSON list)`}
          value={rule.lookups}
          onChange={(lookups) => onChange({ lookups })}
          error={under('lookups') ?? problem('lookups')}
          readOnly={readOnly}
        />
        <JsonList
          label={`Rule ${n} assignments (JSON list)`}
          value={rule.assignments}
          onChange={(assignments) => onChange({ assignments })}
          error={under('assignments') ?? problem('assignments')}
          readOnly={readOnly}
        />
        {readOnly ? null : (
          <Group gap="xs" justify="flex-end">
            <ActionIcon
              variant="subtle"
              aria-label={`Move rule ${n} up`}
              disabled={index === 0}
              onClick={() => onMove(-1)}
            >
              ↑
            </ActionIcon>
            <ActionIcon
              variant="subtle"
              aria-label={`Move rule ${n} down`}
              disabled={index === count - 1}
              onClick={() => onMove(1)}
            >
              ↓
            </ActionIcon>
            <Button size="xs" variant="subtle" color="red" onClick={onRemove}>
              Remove rule {n}
            </Button>
          </Group>
        )}
      </Stack>
    </Fieldset>
  );
}

/** A small JSON list input (lookups, assignments): its own text while it does not parse. */
function JsonList({
  label,
  value,
  onChange,
  error,
  readOnly,
}: {
  label: string;
  value: unknown;
  onChange: (value: unknown[] | undefined) => void;
  error: string | undefined;
  readOnly: boolean;
}) {
  const show = (list: unknown) =>
    Array.isArray(list) && list.length > 0 ? JSON.stringify(list, null, 2) : '';
  const [text, setText] = useState(() => show(value));
  // The list as last seen: when it changes from outside (a rule moved or removed, the JSON
  // tab edited), the text follows; the operator's own edits update it as they parse.
  const [seen, setSeen] = useState(() => JSON.stringify(value ?? null));
  if (JSON.stringify(value ?? null) !== seen) {
    setSeen(JSON.stringify(value ?? null));
    setText(show(value));
  }
  const parsed = text.trim() === '' ? { value: undefined } : parseJson(text);
  const own =
    parsed.error ??
    (parsed.value === undefined || Array.isArray(parsed.value) ? undefined : 'a JSON list');
  return (
    <JsonInput
      label={label}
      placeholder='[{ "field": "number", "source": { "kind": "payload", "path": "issue.number" } }]'
      value={text}
      onChange={(next) => {
        setText(next);
        const read = next.trim() === '' ? { value: undefined } : parseJson(next);
        if (read.error === undefined && (read.value === undefined || Array.isArray(read.value))) {
          setSeen(JSON.stringify(read.value ?? null));
          onChange(read.value as unknown[] | undefined);
        }
      }}
      autosize
      minRows={1}
      maxRows={12}
      readOnly={readOnly}
      error={own ?? error}
    />
  );
}
