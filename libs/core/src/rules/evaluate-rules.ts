import { evaluateCondition } from '../conditions/evaluate-condition';
import { isHookgateError, ProcessingConfigurationError } from '../errors/errors';
import { resolveValue } from '../extraction/resolve-value';
import { resolveWithTransform } from '../extraction/transforms';
import { ABSENT, type EvaluationScope } from '../extraction/value-source.types';
import type {
  Direction,
  ExecutionLog,
  ResolvedValueLog,
  Rule,
  RuleEvaluation,
  RuleLog,
} from './rule.types';
import { actionProblems } from './validate-rules';

/**
 * The rule engine (SPEC §3 "Rules"): rules run in ascending `sequence` (ties in list
 * order), the first rule whose conditions all hold wins, a rule without conditions always
 * holds; with no match inbound finishes `done` and outbound `send`s. The result is pure
 * data — the matched rule, the action and its resolved values — plus the execution log
 * operators read; the apps apply it through ports. Running it twice gives the same result,
 * which is what the rule simulator relies on.
 *
 * Every condition of a tried rule is evaluated and logged (not only up to the first
 * false one), so the log shows everything that would have to change for a rule to match.
 *
 * Throws ProcessingConfigurationError when the matched rule cannot run (an action of the
 * other direction, a retry without seconds, …) or a transform cannot convert a value; the
 * error's `details.log` holds the execution log so far.
 */
export function evaluateRules(
  rules: readonly Rule[] | null | undefined,
  scope: EvaluationScope,
  direction: Direction,
): RuleEvaluation {
  const tried: RuleLog[] = [];
  for (const rule of orderRules(rules ?? [])) {
    const conditions = (Array.isArray(rule.conditions) ? rule.conditions : []).map((condition) =>
      evaluateCondition(condition, scope),
    );
    const matched = conditions.every((condition) => condition.result);
    tried.push({ sequence: rule.sequence, name: rule.name, matched, conditions });
    if (matched) return resolveMatched(rule, tried, scope, direction);
  }
  const action = direction === 'inbound' ? 'done' : 'send';
  return {
    matchedRule: null,
    action,
    assignments: [],
    lookups: [],
    log: { ...emptyLog(direction, tried, action), note: 'no rule matched' },
  };
}

/** Rules by ascending sequence; equal (or missing) sequences keep their list order. */
export function orderRules(rules: readonly Rule[]): Rule[] {
  const key = (rule: Rule) =>
    typeof rule.sequence === 'number' && !Number.isNaN(rule.sequence) ? rule.sequence : Infinity;
  return rules
    .filter((rule) => rule !== null && typeof rule === 'object')
    .map((rule, index) => ({ rule, index, sequence: key(rule) }))
    .sort((a, b) =>
      a.sequence === b.sequence ? a.index - b.index : a.sequence < b.sequence ? -1 : 1,
    )
    .map((entry) => entry.rule);
}

function resolveMatched(
  rule: Rule,
  tried: RuleLog[],
  scope: EvaluationScope,
  direction: Direction,
): RuleEvaluation {
  const log: ExecutionLog = { ...emptyLog(direction, tried, rule.action), matchedRule: rule.name };
  const problems = actionProblems(rule, direction);
  if (problems.length > 0) {
    throw new ProcessingConfigurationError(
      `Rule "${rule.name}" cannot run: ${problems.join('; ')}`,
      {
        rule: rule.name,
        problems,
        log,
      },
    );
  }

  const evaluation: RuleEvaluation = {
    matchedRule: rule,
    action: rule.action,
    assignments: [],
    lookups: [],
    log,
  };
  if (rule.action === 'retry') evaluation.retrySeconds = rule.retrySeconds;

  for (const assignment of rule.assignments ?? []) {
    let value: unknown;
    try {
      value = resolveWithTransform(assignment, scope);
    } catch (error) {
      const reason = isHookgateError(error) ? error.reason : String(error);
      throw new ProcessingConfigurationError(
        `Rule "${rule.name}", assignment "${assignment.field}": ${reason}`,
        { rule: rule.name, field: assignment.field, log },
      );
    }
    log.assignments.push(valueLog(assignment.field, assignment.source, value));
    if (value !== ABSENT) evaluation.assignments.push({ field: assignment.field, value });
  }

  let missingLookup: string | undefined;
  for (const lookup of rule.lookups ?? []) {
    const value = resolveValue(lookup.source, scope);
    log.lookups.push(valueLog(lookup.field, lookup.source, value));
    if (value === ABSENT) missingLookup ??= lookup.field;
    else evaluation.lookups.push({ field: lookup.field, value });
  }
  // A lookup without a value cannot identify a record: an update would match nothing, and
  // an upsert would create a record keyed by nothing that every later event collides on.
  if (
    missingLookup !== undefined &&
    (rule.action === 'update_record' || rule.action === 'upsert_record')
  ) {
    evaluation.action = 'dead_letter';
    log.action = 'dead_letter';
    log.note = `lookup "${missingLookup}" resolved to nothing, so no record can be identified`;
  }
  return evaluation;
}

function valueLog(
  field: string,
  source: ResolvedValueLog['source'],
  value: unknown,
): ResolvedValueLog {
  return value === ABSENT ? { field, source, absent: true } : { field, source, value };
}

function emptyLog(direction: Direction, rules: RuleLog[], action: string): ExecutionLog {
  return {
    direction,
    mode: 'rules',
    rules,
    matchedRule: null,
    action,
    assignments: [],
    lookups: [],
    records: [],
  };
}
