import { isDeepStrictEqual } from 'node:util';

/** What `POST /connectors/:id/provision` answers: one action per row it looked at. */
export type ProvisionedEntity = 'handler' | 'inbound-endpoint' | 'outbound-endpoint';
export type ProvisionVerb = 'created' | 'updated' | 'unchanged' | 'archived' | 'deactivated';

export interface ProvisionAction {
  entity: ProvisionedEntity;
  id: string;
  /** Handler or outbound endpoint code; the inbound endpoint's path. */
  code: string;
  action: ProvisionVerb;
  /** For `updated`: the fields (column names) the template changed. */
  fields?: string[];
}

export interface ProvisionReport {
  connectorId: string;
  kind: string;
  changed: boolean;
  actions: ProvisionAction[];
}

/** jsonb comes back with its own key order and without undefined keys: compare by value. */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}
function normalize(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** `targetHost` → `target_host`: reports name the stored columns. */
function columnOf(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The columns whose current value differs from the desired one. */
export function changedFields<D extends object>(current: object, desired: D): string[] {
  const stored = current as Record<string, unknown>;
  return Object.entries(desired)
    .filter(([key, value]) => !same(stored[key], value))
    .map(([key]) => columnOf(key));
}
