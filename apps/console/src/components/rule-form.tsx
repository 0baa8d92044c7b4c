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
import {
  useCapabilities,
  WithCapabilities,
  type ActionCapability,
  type Capabilities,
  type DirectionCapabilities,
} from '../capabilities';
import { OtherProblems, parseJson, problemsOf, problemsUnder } from './forms';

/**
 * A handler's ordered rules, edited as a form (sequence, name, action and what it needs,
 * conditions row by row; lookups and assignments as small JSON lists) or as one JSON list
 * for anything the form does not cover. Either way the API checks the rules: its answer
 * names the rule and field (`rules.1.conditions.0.operator`), and each message is shown on
 * that input; in JSON mode, beside the list.
 *
 * The option lists are vocabulary for the inputs, not rules: the API decides what is valid.
 * They come from the server's capabilities (actions with the fields each takes, operators
 * with the value each needs, the sources a direction reads); the console keeps no copy.
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

/** What the form offers for one direction, from the server's capabilities. */
interface Vocabulary {
  direction: DirectionCapabilities;
  operators: Capabilities['rules']['operators'];
  defaultSource: string;
}
const vocabularyOf = (
  capabilities: Capabilities,
  direction: 'inbound' | 'outbound',
): Vocabulary => ({
  direction: capabilities.rules[direction],
  operators: capabilities.rules.operators,
  defaultSource: capabilities.rules.defaultConditionSource,
});

/** The action's own inputs (a list parameter is edited in the rule's JSON lists). */
const inputsOf = (action: ActionCapability | undefined) =>
  (action?.parameters ?? []).filter((parameter) => parameter.type !== 'list');

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
function shownFields(rules: Rule[], direction: DirectionCapabilities | undefined): string[] {
  return rules.flatMap((rule, i) => {
    const at = (field: string) => `rules.${i}.${field}`;
    const action = direction?.actions.find((a) => a.name === rule.action);
    return [
      `rules.${i}`,
      at('sequence'),
      at('name'),
      at('action'),
      ...inputsOf(action).map((parameter) => at(parameter.field)),
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
  const capabilities = useCapabilities().data;
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
        <WithCapabilities>
          {(loaded) => (
            <RulesForm
              rules={rules}
              onChange={onChange}
              vocabulary={vocabularyOf(loaded, direction)}
              readOnly={readOnly}
              problem={problem}
              under={under}
            />
          )}
        </WithCapabilities>
      )}
      <OtherProblems
        error={error}
        shown={mode === 'json' ? ['rules.*'] : shownFields(rules, capabilities?.rules[direction])}
      />
    </Stack>
  );
}

function RulesForm({
  rules,
  onChange,
  vocabulary,
  readOnly,
  problem,
  under,
}: {
  rules: Rule[];
  onChange: (rules: Rule[]) => void;
  vocabulary: Vocabulary;
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
          vocabulary={vocabulary}
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
                {
                  sequence: nextSequence,
                  name: '',
                  action: vocabulary.direction.newRuleAction,
                  conditions: [],
                } as Rule,
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
  vocabulary,
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
  vocabulary: Vocabulary;
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
  const actions = vocabulary.direction.actions.map((a) => a.name);
  const action = vocabulary.direction.actions.find((a) => a.name === rule.action);
  const operators: string[] = vocabulary.operators.map((o) => o.operator);
  const operandOf = (operator: string) =>
    vocabulary.operators.find((o) => o.operator === operator)?.operand;
  const field = (name: string): unknown => (rule as Record<string, unknown>)[name];
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
            data={actions.includes(rule.action) ? actions : [...actions, rule.action]}
            value={rule.action}
            onChange={(value) => onChange({ action: (value ?? rule.action) as Rule['action'] })}
            allowDeselect={false}
            error={problem('action')}
            w={170}
          />
        </Group>
        {inputsOf(action).map((parameter) =>
          parameter.type === 'seconds' ? (
            <NumberInput
              key={parameter.field}
              label={parameter.label}
              aria-label={`Rule ${n} ${parameter.label.toLowerCase()}`}
              description={parameter.description}
              placeholder={parameter.placeholder}
              value={(field(parameter.field) as number | undefined) ?? ''}
              onChange={(value) =>
                onChange({ [parameter.field]: value === '' ? undefined : Number(value) })
              }
              error={problem(parameter.field)}
            />
          ) : (
            <TextInput
              key={parameter.field}
              label={parameter.label}
              aria-label={`Rule ${n} ${parameter.label.toLowerCase()}`}
              description={parameter.description}
              placeholder={parameter.placeholder}
              value={(field(parameter.field) as string | undefined) ?? ''}
              onChange={(e) => onChange({ [parameter.field]: e.currentTarget.value || undefined })}
              error={problem(parameter.field)}
            />
          ),
        )}
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
                  data={vocabulary.direction.conditionSources}
                  value={condition.source ?? vocabulary.defaultSource}
                  onChange={(value) =>
                    changeCondition(j, { source: value ?? vocabulary.defaultSource })
                  }
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
                    operators.includes(condition.operator)
                      ? operators
                      : [...operators, condition.operator]
                  }
                  value={condition.operator}
                  onChange={(value) =>
                    changeCondition(j, { operator: value ?? condition.operator })
                  }
                  allowDeselect={false}
                  error={at('operator')}
                  w={130}
                />
                {operandOf(condition.operator) === 'none' ? null : (
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
                setConditions([
                  ...conditions,
                  { source: vocabulary.defaultSource, path: '', operator: operators[0] },
                ])
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
