import { REDACTED, isSensitiveHeaderName, type HeaderRule } from '@app/core';
import type { EndpointHealthSettings } from '@app/persistence';
import type { CreateOutboundEndpointDto } from './outbound-endpoint.dto';

/** How an update's fields merge into what an outbound endpoint has stored. */
export function healthSettings(
  given: CreateOutboundEndpointDto['health'],
  current: EndpointHealthSettings,
): EndpointHealthSettings {
  if (!given) return current;
  return withoutUndefined({
    disableAfterFailures:
      given.disableAfterFailures === undefined
        ? current.disableAfterFailures
        : (given.disableAfterFailures ?? undefined),
    disableAfterSeconds:
      given.disableAfterSeconds === undefined
        ? current.disableAfterSeconds
        : (given.disableAfterSeconds ?? undefined),
  });
}

/**
 * Header rules read back redacted (a credential header's value is `[redacted]`): a client
 * that PUTs back what it read must not overwrite the secret with the placeholder, so a
 * redacted value keeps the stored value of the rule of the same name.
 */
export function keepRedactedValues(given: HeaderRule[], stored: HeaderRule[] | null): HeaderRule[] {
  const storedValues = new Map((stored ?? []).map((rule) => [rule.name.toLowerCase(), rule.value]));
  return given.map((rule) => {
    const kept = storedValues.get(rule.name.toLowerCase());
    return rule.value === REDACTED && isSensitiveHeaderName(rule.name) && kept !== undefined
      ? { ...rule, value: kept }
      : rule;
  });
}

/** Validated DTOs carry omitted fields as own `undefined`s; they must not override a merge. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
