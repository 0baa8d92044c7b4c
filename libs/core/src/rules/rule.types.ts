import type { ValueSource, ValueTransform } from '../extraction/value-source.types';

export type Direction = 'inbound' | 'outbound';

export type ConditionOperator =
  | '='
  | '!='
  | 'in'
  | 'not in'
  | 'contains'
  | 'not contains'
  | '>'
  | '>='
  | '<'
  | '<='
  | 'exists'
  | 'not exists'
  | 'starts with'
  | 'matches';

export const CONDITION_OPERATORS: readonly ConditionOperator[] = [
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

export type ConditionSource =
  'payload' | 'headers' | 'query' | 'semantic' | 'event' | 'context' | 'endpoint';

export interface Condition {
  /** Defaults to `payload`. */
  source?: ConditionSource;
  path: string;
  operator: ConditionOperator;
  value?: unknown;
}

export type InboundAction =
  | 'done'
  | 'dead_letter'
  | 'retry'
  | 'create_record'
  | 'update_record'
  | 'upsert_record'
  | 'forward';

export type OutboundAction = 'send' | 'done' | 'dead_letter' | 'retry' | 'cancel' | 'mutate';

export const INBOUND_ACTIONS: readonly InboundAction[] = [
  'done',
  'dead_letter',
  'retry',
  'create_record',
  'update_record',
  'upsert_record',
  'forward',
];
export const OUTBOUND_ACTIONS: readonly OutboundAction[] = [
  'send',
  'done',
  'dead_letter',
  'retry',
  'cancel',
  'mutate',
];

/**
 * Writes a resolved value to `field`: a record data path for record actions, a payload path
 * for `forward`, a request payload path (or `headers.X-Name`) for outbound `mutate`.
 */
export interface Assignment {
  field: string;
  source: ValueSource;
  transform?: ValueTransform;
  /** Used when the source resolves to nothing. */
  default?: unknown;
}

/** Locates a record by equality of `field` (a data path) with the resolved value. */
export interface Lookup {
  field: string;
  source: ValueSource;
}

export interface Rule {
  sequence: number;
  name: string;
  conditions: Condition[];
  action: InboundAction | OutboundAction;
  retrySeconds?: number;
  targetModel?: string;
  lookups?: Lookup[];
  assignments?: Assignment[];
  /** Outbound endpoint code, for the inbound `forward` action. */
  forwardTo?: string;
}

/* ---- execution log: what operators see on an event and what the simulator answers ---- */

export interface ConditionLog {
  source: ConditionSource;
  path: string;
  operator: ConditionOperator;
  expected?: unknown;
  /** The resolved value; omitted (with `absent: true`) when the path led nowhere. */
  actual?: unknown;
  absent?: boolean;
  result: boolean;
  /** Why the condition could not be evaluated (e.g. an unsafe pattern). */
  error?: string;
}

export interface RuleLog {
  sequence: number;
  name: string;
  matched: boolean;
  conditions: ConditionLog[];
}

export interface ResolvedValueLog {
  field: string;
  source: ValueSource;
  value?: unknown;
  absent?: boolean;
}

export interface RecordWriteLog {
  model: string;
  recordId: string;
  operation: 'created' | 'updated';
}

export interface ExecutionLog {
  direction: Direction;
  mode: 'rules' | 'callback';
  rules: RuleLog[];
  matchedRule: string | null;
  action: string;
  /** `no rule matched`, callback name, or other context for operators. */
  note?: string;
  assignments: ResolvedValueLog[];
  lookups: ResolvedValueLog[];
  records: RecordWriteLog[];
}

/** Result of running rules: pure data that an app then applies through ports. */
export interface RuleEvaluation {
  matchedRule: Rule | null;
  action: InboundAction | OutboundAction;
  retrySeconds?: number;
  /** Resolved assignment values (after transforms/defaults), keyed by field, in order. */
  assignments: Array<{ field: string; value: unknown }>;
  /** Resolved lookup values, keyed by field. */
  lookups: Array<{ field: string; value: unknown }>;
  log: ExecutionLog;
}
