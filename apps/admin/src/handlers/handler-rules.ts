import type { EntityManager } from 'typeorm';
import type { Rule } from '@app/core';

/**
 * Writes a handler's rules, in the caller's transaction. With `replace`, the handler's
 * current rules are deleted first (rules have no identity of their own: the list is the
 * unit an admin or a connector template edits).
 */
export async function writeHandlerRules(
  manager: EntityManager,
  handlerId: string,
  rules: Rule[],
  { replace }: { replace: boolean },
): Promise<void> {
  if (replace) await manager.query(`DELETE FROM handler_rules WHERE handler_id = $1`, [handlerId]);
  for (const rule of rules) {
    await manager.query(
      `INSERT INTO handler_rules (handler_id, sequence, name, conditions, action, retry_seconds,
                                  target_model, lookups, assignments, forward_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        handlerId,
        rule.sequence,
        rule.name,
        JSON.stringify(rule.conditions ?? []),
        rule.action,
        rule.retrySeconds ?? null,
        rule.targetModel ?? null,
        JSON.stringify(rule.lookups ?? []),
        JSON.stringify(rule.assignments ?? []),
        rule.forwardTo ?? null,
      ],
    );
  }
}
