import { CONDITION_SOURCES } from '../conditions/evaluate-condition';
import { validatePattern } from '../conditions/pattern';
import { prototypeKeyIn } from '../untrusted-keys/untrusted-keys';
import { VALUE_TRANSFORMS } from '../extraction/transforms';
import type { ValueSource } from '../extraction/value-source.types';
import {
  CONDITION_OPERATORS,
  INBOUND_ACTIONS,
  OUTBOUND_ACTIONS,
  type Condition,
  type ConditionOperator,
  type ConditionSource,
  type Direction,
  type Rule,
} from './rule.types';
import {
  CONDITION_OPERATOR_OPERANDS,
  CONDITION_SOURCES_BY_DIRECTION,
  DEFAULT_CONDITION_SOURCE,
  RULE_ACTIONS,
  VALUE_KINDS_BY_DIRECTION,
  type ActionParameter,
} from './rule-vocabulary';

/**
 * Save-time (and run-time) checks of handler rules (SPEC §3). Each problem is one
 * sentence an operator can act on, prefixed with the rule it belongs to. The admin API
 * refuses rules with problems; the rule engine re-checks the matched rule's action before
 * acting, so rules stored before a check existed still fail safely.
 *
 * Duplicate sequences are allowed: ties run in list order (the sort is stable).
 */

const CONDITION_SOURCE_SETS: Record<Direction, ReadonlySet<ConditionSource>> = {
  inbound: new Set(CONDITION_SOURCES_BY_DIRECTION.inbound),
  outbound: new Set(CONDITION_SOURCES_BY_DIRECTION.outbound),
};
const VALUE_KIND_SETS: Record<Direction, ReadonlySet<ValueSource['kind']>> = {
  inbound: new Set(VALUE_KINDS_BY_DIRECTION.inbound),
  outbound: new Set(VALUE_KINDS_BY_DIRECTION.outbound),
};

export function validateRules(rules: readonly Rule[], direction: Direction): string[] {
  return validateRulesAt(rules, direction).map((found) => found.text);
}

/**
 * One problem of a rule list, with where it is: the rule's position in the list (absent for
 * a problem of the list itself), the field within the rule in the admin API's dotted form
 * (`conditions.0.operator`, `lookups.1.source`; empty for the rule as a whole), the problem
 * alone (`unknown operator "~"; …`) and the sentence validateRules gives (`rule #1 "a"
 * (sequence 10): condition #1: unknown operator "~"; …`).
 */
export interface RuleProblem {
  index?: number;
  field: string;
  problem: string;
  text: string;
}

export function validateRulesAt(rules: readonly Rule[], direction: Direction): RuleProblem[] {
  const whole = (problem: string): RuleProblem[] => [{ field: '', problem, text: problem }];
  if (direction !== 'inbound' && direction !== 'outbound') {
    return whole(`direction must be "inbound" or "outbound", got ${JSON.stringify(direction)}`);
  }
  if (!Array.isArray(rules)) return whole('rules must be a list');
  return rules.flatMap((rule, index): RuleProblem[] => {
    if (rule === null || typeof rule !== 'object') {
      const problem = `rule #${index + 1} is not an object`;
      return [{ index, field: '', problem, text: problem }];
    }
    const label = ruleLabel(rule, index);
    return ruleProblemsAt(rule, direction).map((found) => ({
      index,
      field: found.field,
      problem: found.problem,
      text: `${label}: ${found.text}`,
    }));
  });
}

/** A problem within one rule, condition or list entry: its field, bare and as labelled. */
interface FieldProblem {
  field: string;
  problem: string;
  text: string;
}

const at = (field: string, problem: string): FieldProblem => ({ field, problem, text: problem });
const under = (prefix: string, label: string, found: FieldProblem): FieldProblem => ({
  field: found.field ? `${prefix}.${found.field}` : prefix,
  problem: found.problem,
  text: `${label}: ${found.text}`,
});

/** Problems of one rule, without the rule label. */
export function ruleProblems(rule: Rule, direction: Direction): string[] {
  return ruleProblemsAt(rule, direction).map((found) => found.text);
}

function ruleProblemsAt(rule: Rule, direction: Direction): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (typeof rule.sequence !== 'number' || !Number.isFinite(rule.sequence)) {
    problems.push(at('sequence', 'sequence must be a number'));
  }
  if (typeof rule.name !== 'string' || rule.name.trim() === '') {
    problems.push(at('name', 'name is required'));
  }
  if (rule.conditions !== undefined && !Array.isArray(rule.conditions)) {
    problems.push(at('conditions', 'conditions must be a list'));
  } else {
    (rule.conditions ?? []).forEach((condition, i) => {
      for (const found of conditionProblemsAt(condition, direction)) {
        problems.push(under(`conditions.${i}`, `condition #${i + 1}`, found));
      }
    });
  }
  problems.push(...actionProblemsAt(rule, direction));
  problems.push(...listProblems(rule.lookups, 'lookup', direction, false));
  problems.push(
    ...listProblems(rule.assignments, 'assignment', direction, rule.action === 'mutate'),
  );
  return problems;
}

/**
 * What a rule's action needs to run: an action of the right direction, retrySeconds for
 * retry, a target model (and lookups) for records, forwardTo for forward, assignments for
 * mutate. The engine checks these on the matched rule before acting.
 */
export function actionProblems(rule: Rule, direction: Direction): string[] {
  return actionProblemsAt(rule, direction).map((found) => found.text);
}

function actionProblemsAt(rule: Rule, direction: Direction): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const actions: readonly string[] = direction === 'inbound' ? INBOUND_ACTIONS : OUTBOUND_ACTIONS;
  const action = rule.action as string;
  if (!actions.includes(action)) {
    const other: readonly string[] = direction === 'inbound' ? OUTBOUND_ACTIONS : INBOUND_ACTIONS;
    problems.push(
      at(
        'action',
        other.includes(action)
          ? `action "${action}" is ${direction === 'inbound' ? 'outbound' : 'inbound'}-only`
          : `unknown action ${JSON.stringify(action)}; ${direction} actions are ${actions.join(', ')}`,
      ),
    );
    return problems;
  }
  for (const parameter of RULE_ACTIONS[action as keyof typeof RULE_ACTIONS].parameters) {
    if (parameter.required && !holds(parameter, rule[parameter.field])) {
      problems.push(at(parameter.field, `${action} needs ${parameter.need}`));
    }
  }
  return problems;
}

/** Whether a required action parameter's value is there and of its type. */
function holds(parameter: ActionParameter, value: unknown): boolean {
  switch (parameter.type) {
    case 'seconds':
      return typeof value === 'number' && Number.isFinite(value) && value > 0;
    case 'text':
      return typeof value === 'string' && value.trim() !== '';
    case 'list':
      return Array.isArray(value) && value.length > 0;
  }
}

export function conditionProblems(condition: Condition, direction: Direction): string[] {
  return conditionProblemsAt(condition, direction).map((found) => found.text);
}

function conditionProblemsAt(condition: Condition, direction: Direction): FieldProblem[] {
  return conditionProblemsFor(condition, CONDITION_SOURCE_SETS[direction], `${direction} rules`);
}

/**
 * Problems of one condition whose scope fills only `sources` (`usedBy` names who, for the
 * message): what handler rules and record triggers share. `field` is relative to the
 * condition (`operator`, `value`); empty for the condition as a whole.
 */
export function conditionProblemsFor(
  condition: Condition,
  sources: ReadonlySet<ConditionSource>,
  usedBy: string,
): Array<{ field: string; problem: string; text: string }> {
  if (condition === null || typeof condition !== 'object') return [at('', 'not an object')];
  const problems: FieldProblem[] = [];
  const source = condition.source ?? DEFAULT_CONDITION_SOURCE;
  if (!CONDITION_SOURCES.includes(source)) {
    problems.push(
      at('source', `unknown source ${JSON.stringify(source)}; use ${CONDITION_SOURCES.join(', ')}`),
    );
  } else if (!sources.has(source)) {
    problems.push(at('source', `source "${source}" is not available to ${usedBy}`));
  }
  if (typeof condition.path !== 'string') problems.push(at('path', 'path must be a string'));
  else if (source !== 'payload' && condition.path.trim() === '') {
    problems.push(at('path', `a ${source} condition needs a path (the name to read)`));
  }
  const operator = condition.operator as string;
  if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
    problems.push(
      at(
        'operator',
        `unknown operator ${JSON.stringify(operator)}; use ${CONDITION_OPERATORS.join(', ')}`,
      ),
    );
    return problems;
  }
  const operand = CONDITION_OPERATOR_OPERANDS[operator as ConditionOperator];
  if (operand === 'list' && !Array.isArray(condition.value)) {
    problems.push(at('value', `"${operator}" needs a list value`));
  } else if (operand === 'pattern') {
    const reason = validatePattern(condition.value);
    if (reason) problems.push(at('value', reason));
  } else if (operand !== 'none' && condition.value === undefined) {
    problems.push(at('value', `"${operator}" needs a value`));
  }
  return problems;
}

export function valueSourceProblems(source: ValueSource, direction: Direction): string[] {
  if (source === null || typeof source !== 'object') return ['source must be an object'];
  const kinds = VALUE_KIND_SETS[direction];
  const kind = (source as { kind?: unknown }).kind;
  const needs = (field: string, value: unknown): string[] =>
    typeof value === 'string' && value.trim() !== ''
      ? []
      : [`${kind === 'event' ? 'an' : 'a'} ${String(kind)} source needs ${field}`];
  let problems: string[];
  switch (source.kind) {
    case 'payload':
      problems = typeof source.path === 'string' ? [] : ['a payload source needs path'];
      break;
    case 'header':
    case 'query':
    case 'semantic':
      problems = needs('name', source.name);
      break;
    case 'event':
      problems = needs('field', source.field);
      break;
    case 'context':
      problems = needs('key', source.key);
      break;
    case 'literal':
      problems = source.value === undefined ? ['a literal source needs value'] : [];
      break;
    default:
      return [`unknown source kind ${JSON.stringify(kind)}`];
  }
  if (!kinds.has(source.kind))
    problems.push(`source "${source.kind}" is not available to ${direction} rules`);
  return problems;
}

function listProblems(
  list: unknown,
  what: 'lookup' | 'assignment',
  direction: Direction,
  mutate: boolean,
): FieldProblem[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [at(`${what}s`, `${what}s must be a list`)];
  return list.flatMap((item: unknown, i) => {
    const path = `${what}s.${i}`;
    const prefix = `${what} #${i + 1}`;
    if (item === null || typeof item !== 'object') {
      const problem = `${prefix} is not an object`;
      return [{ field: path, problem, text: problem }];
    }
    const entry = item as { field?: unknown; source: ValueSource; transform?: unknown };
    const problems = fieldProblems(entry.field, mutate).map((problem) => at('field', problem));
    problems.push(
      ...valueSourceProblems(entry.source, direction).map((problem) => at('source', problem)),
    );
    if (
      entry.transform !== undefined &&
      !(VALUE_TRANSFORMS as readonly unknown[]).includes(entry.transform)
    ) {
      problems.push(
        at(
          'transform',
          `unknown transform ${JSON.stringify(entry.transform)}; use ${VALUE_TRANSFORMS.join(', ')}`,
        ),
      );
    }
    const label = typeof entry.field === 'string' ? `${prefix} "${entry.field}"` : prefix;
    return problems.map((found) => under(path, label, found));
  });
}

function fieldProblems(field: unknown, mutate: boolean): string[] {
  if (typeof field !== 'string' || field.trim() === '') return ['field is required'];
  if (mutate && field.startsWith('headers.')) {
    return field.length > 'headers.'.length
      ? []
      : ['a header assignment needs a name after "headers."'];
  }
  const forbidden = prototypeKeyIn(field);
  return forbidden ? [`field may not contain the segment "${forbidden}"`] : [];
}

function ruleLabel(rule: Rule, index: number): string {
  const name = typeof rule.name === 'string' && rule.name ? ` "${rule.name}"` : '';
  const sequence = typeof rule.sequence === 'number' ? ` (sequence ${rule.sequence})` : '';
  return `rule #${index + 1}${name}${sequence}`;
}
