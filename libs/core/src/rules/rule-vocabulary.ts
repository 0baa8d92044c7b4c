import type { ValueSourceKind } from '../extraction/value-source.types';
import type {
  ConditionOperator,
  ConditionSource,
  Direction,
  InboundAction,
  OutboundAction,
  Rule,
} from './rule.types';

/**
 * Owns what each word of the rule language asks for (SPEC §3): the fields a rule action
 * takes, the operand a condition operator needs, and which condition and value sources a
 * direction's scope fills. validate-rules.ts checks rules against these tables and
 * capabilities/ describes them to the console, so the two cannot disagree. A new action is
 * added to its direction's list in rule.types.ts and described here (the types make both
 * necessary), then planned in effects/.
 */

/** A rule field an action reads, beside the ones every rule has. */
export type ActionParameterField =
  'retrySeconds' | 'targetModel' | 'forwardTo' | 'lookups' | 'assignments';

/**
 * `seconds`: a number greater than 0; `text`: a non-empty string; `list`: a JSON list
 * (non-empty when required).
 */
export type ActionParameterType = 'seconds' | 'text' | 'list';

export interface ActionParameter {
  field: ActionParameterField;
  type: ActionParameterType;
  required: boolean;
  /** The input's label, as an operator reads it. */
  label: string;
  description?: string;
  placeholder?: string;
  /** What the rule lacks without it: the problem reads `<action> needs <need>`. */
  need: string;
}

export interface ActionDefinition {
  parameters: readonly ActionParameter[];
}

const RETRY_SECONDS: ActionParameter = {
  field: 'retrySeconds',
  type: 'seconds',
  required: true,
  label: 'Retry after (s)',
  need: 'retrySeconds greater than 0',
};
const TARGET_MODEL: ActionParameter = {
  field: 'targetModel',
  type: 'text',
  required: true,
  label: 'Target model',
  placeholder: 'issues',
  need: 'a targetModel',
};
const RECORD_LOOKUPS: ActionParameter = {
  field: 'lookups',
  type: 'list',
  required: true,
  label: 'Lookups',
  description: 'How the record is found: each { "field", "source" } must equal',
  need: 'at least one lookup to find the record',
};
const RECORD_ASSIGNMENTS: ActionParameter = {
  field: 'assignments',
  type: 'list',
  required: false,
  label: 'Assignments',
  description: 'The record\'s data fields, each { "field", "source" }',
  need: 'assignments',
};

/** Every action of both directions; the type makes a new action need its entry here. */
export const RULE_ACTIONS: Readonly<Record<InboundAction | OutboundAction, ActionDefinition>> = {
  done: {
    parameters: [],
  },
  dead_letter: {
    parameters: [],
  },
  retry: {
    parameters: [RETRY_SECONDS],
  },
  create_record: {
    parameters: [TARGET_MODEL, RECORD_ASSIGNMENTS],
  },
  update_record: {
    parameters: [TARGET_MODEL, RECORD_LOOKUPS, RECORD_ASSIGNMENTS],
  },
  upsert_record: {
    parameters: [TARGET_MODEL, RECORD_LOOKUPS, RECORD_ASSIGNMENTS],
  },
  forward: {
    parameters: [
      {
        field: 'forwardTo',
        type: 'text',
        required: true,
        label: 'Forward to',
        description: 'An outbound endpoint code',
        need: 'forwardTo (an outbound endpoint code)',
      },
      {
        field: 'assignments',
        type: 'list',
        required: false,
        label: 'Assignments',
        description: 'Payload paths to set before forwarding',
        need: 'assignments',
      },
    ],
  },
  send: {
    parameters: [],
  },
  cancel: {
    parameters: [],
  },
  mutate: {
    parameters: [
      {
        field: 'assignments',
        type: 'list',
        required: true,
        label: 'Assignments',
        description: 'Payload paths (or headers.X-Name) to set',
        need: 'at least one assignment',
      },
    ],
  },
};

/**
 * `none`: no value (`exists`); `value`: one JSON value; `list`: a JSON list (`in`);
 * `pattern`: a safe regular expression (`matches`).
 */
export type OperatorOperand = 'none' | 'value' | 'list' | 'pattern';

export const CONDITION_OPERATOR_OPERANDS: Readonly<Record<ConditionOperator, OperatorOperand>> = {
  '=': 'value',
  '!=': 'value',
  in: 'list',
  'not in': 'list',
  contains: 'value',
  'not contains': 'value',
  '>': 'value',
  '>=': 'value',
  '<': 'value',
  '<=': 'value',
  exists: 'none',
  'not exists': 'none',
  'starts with': 'value',
  matches: 'pattern',
};

/** What each direction's evaluation scope fills (see rule-scope.ts), in the order offered. */
export const CONDITION_SOURCES_BY_DIRECTION: Readonly<
  Record<Direction, readonly ConditionSource[]>
> = {
  inbound: ['payload', 'headers', 'query', 'semantic', 'event'],
  outbound: ['payload', 'event', 'context', 'endpoint'],
};

/** A condition without a source reads the payload. */
export const DEFAULT_CONDITION_SOURCE: ConditionSource = 'payload';

/** The value source kinds (lookups, assignments) each direction may read. */
export const VALUE_KINDS_BY_DIRECTION: Readonly<Record<Direction, readonly ValueSourceKind[]>> = {
  inbound: ['payload', 'header', 'query', 'semantic', 'event', 'literal'],
  outbound: ['payload', 'event', 'literal', 'context'],
};

/** The action a rule added in an editor starts with: one that writes and sends nothing. */
export const NEW_RULE_ACTION: InboundAction & OutboundAction = 'done';

/**
 * A rule that shows the language at work, per direction: what a new handler's editor
 * starts with. rule-vocabulary.spec.ts proves each one valid.
 */
export const EXAMPLE_RULES: Readonly<Record<Direction, readonly Rule[]>> = {
  inbound: [
    {
      sequence: 10,
      name: 'opened issues',
      action: 'upsert_record',
      targetModel: 'issues',
      conditions: [{ source: 'payload', path: 'action', operator: '=', value: 'opened' }],
      lookups: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
      assignments: [
        { field: 'number', source: { kind: 'payload', path: 'issue.number' } },
        { field: 'title', source: { kind: 'payload', path: 'issue.title' } },
      ],
    },
  ],
  outbound: [
    {
      sequence: 10,
      name: 'test orders',
      action: 'cancel',
      conditions: [{ source: 'payload', path: 'test', operator: '=', value: true }],
    },
  ],
};
