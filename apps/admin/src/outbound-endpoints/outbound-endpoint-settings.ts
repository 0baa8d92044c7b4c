import {
  REDACTED,
  isSensitiveHeaderName,
  withRetryDefaults,
  type HeaderRule,
  type PayloadRule,
  type QueryRule,
  type RetryPolicy,
} from '@app/core';
import type { EndpointHealthSettings, OutboundEndpointEntity } from '@app/persistence';
import type { CreateOutboundEndpointDto, UpdateOutboundEndpointDto } from './outbound-endpoint.dto';

/** The request-shaping fields of an update: each one given replaces the stored one. */
export function mergedRequestShape(
  current: OutboundEndpointEntity,
  dto: UpdateOutboundEndpointDto,
) {
  return {
    code: dto.code ?? current.code,
    name: dto.name ?? current.name,
    method: dto.method ?? current.method,
    bodyMode: dto.bodyMode ?? current.bodyMode,
    targetHost: dto.targetHost ?? current.targetHost,
    targetPath: dto.targetPath ?? current.targetPath,
    timeoutMs: dto.timeoutMs ?? current.timeoutMs,
    headerRules: dto.headerRules
      ? keepRedactedValues(dto.headerRules, current.headerRules)
      : current.headerRules,
    payloadRules: (dto.payloadRules as PayloadRule[] | undefined) ?? current.payloadRules,
    replacePayload: dto.replacePayload ?? current.replacePayload,
    queryRules: (dto.queryRules as QueryRule[] | undefined) ?? current.queryRules ?? [],
    eventTypes: dto.eventTypes ?? current.eventTypes,
    rateLimitPerSecond:
      dto.rateLimitPerSecond === undefined
        ? (current.rateLimitPerSecond ?? null)
        : dto.rateLimitPerSecond,
  };
}

/** Nested like the rest of PUT: the fields a partial retryPolicy omits are kept. */
export function mergedRetryPolicy(
  current: OutboundEndpointEntity,
  dto: UpdateOutboundEndpointDto,
): RetryPolicy {
  return withRetryDefaults({
    ...(current.retryPolicy as Partial<RetryPolicy> | null),
    ...withoutUndefined(dto.retryPolicy ?? {}),
  });
}

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
