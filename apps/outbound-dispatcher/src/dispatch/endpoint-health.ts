import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { outboundEndpointsDisabled, readDisabledEndpointsWith } from '@app/platform';
import { DispatcherEndpointsRepository } from '@app/persistence';
import type { EndpointHealthRecorder } from './send-delivery.ports';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

/** How long a success trusts this process's last reset of the endpoint's row. */
export const HEALTH_RESET_EVERY_MS = 5_000;
/** Endpoints whose last reset this process remembers; bounded, so endpoint ids cannot grow it. */
const RESET_MEMORY_MAX = 10_000;

export interface EndpointHealthOptions {
  resetEveryMs?: number;
  now?: () => number;
}

/**
 * Endpoint health (SPEC §11): an endpoint that answers `410 Gone`, or fails every attempt
 * for its configured span (default 5 days) or count, is disabled with the reason
 * recorded; its deliveries are then held until an operator re-enables it.
 *
 * A success resets the row's failure count and span (`recordSuccess`, a guarded UPDATE
 * that writes nothing when the row is clean). The failures may have been recorded by
 * another dispatcher, so a success cannot rely on having seen them itself: it resets
 * right away after a failure this process saw, and otherwise when this process has not
 * reset the endpoint within `resetEveryMs`. The bound on the hot path: at most one reset
 * statement per endpoint per `resetEveryMs` (5 s) per dispatcher, plus one after each
 * failure it records — a row left failing by another dispatcher is cleared by the first
 * success here at most 5 s later. Past RESET_MEMORY_MAX endpoints in use, the least
 * recently reset are forgotten and reset again on their next success.
 */
export class EndpointHealth implements EndpointHealthRecorder {
  /** Endpoint id → when this process last reset its row; absent after a failure seen here. */
  private readonly resetAt = new LRUCache<string, number>({ max: RESET_MEMORY_MAX });
  private readonly resetEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly endpoints: DispatcherEndpointsRepository,
    private readonly onDisabled: (endpointId: string, reason: string) => void,
    options: EndpointHealthOptions = {},
  ) {
    this.resetEveryMs = options.resetEveryMs ?? HEALTH_RESET_EVERY_MS;
    this.now = options.now ?? Date.now;
  }

  async record(
    endpoint: OutboundEndpointRuntime,
    result: { ok: boolean; status?: number },
  ): Promise<void> {
    if (result.ok) {
      const now = this.now();
      const last = this.resetAt.get(endpoint.id);
      if (last !== undefined && now - last < this.resetEveryMs) return;
      // Taken before the statement, so concurrent successes here do not send it twice.
      this.resetAt.set(endpoint.id, now);
      try {
        await this.endpoints.recordSuccess(endpoint.id);
      } catch (error) {
        // Not reset: the next success tries again.
        if (this.resetAt.peek(endpoint.id) === now) this.resetAt.delete(endpoint.id);
        throw error;
      }
      return;
    }
    this.resetAt.delete(endpoint.id);
    const state = await this.endpoints.recordFailure(endpoint.id);
    if (!state) return;
    let reason: string | null = null;
    let kind: 'gone' | 'failures' | 'duration' = 'gone';
    if (result.status === 410) reason = 'the endpoint answered 410 Gone';
    else if (
      endpoint.health.disableAfterFailures &&
      state.consecutiveFailures >= endpoint.health.disableAfterFailures
    ) {
      reason = `${state.consecutiveFailures} consecutive failed attempts`;
      kind = 'failures';
    } else if (state.failingForSeconds >= endpoint.health.disableAfterSeconds) {
      reason = `every attempt failed for ${describeSpan(state.failingForSeconds)}`;
      kind = 'duration';
    }
    if (!reason) return;
    if (await this.endpoints.disable(endpoint.id, reason)) {
      outboundEndpointsDisabled.inc({ reason: kind });
      this.onDisabled(endpoint.id, reason);
    }
  }
}

/**
 * A failure span in the unit an operator reads it in: a span configured in minutes read
 * "0 h" when it was written in hours only.
 */
export function describeSpan(seconds: number): string {
  if (seconds < 120) return `${Math.floor(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} days`;
}

/** Publishes how many active endpoints health has disabled, per tenant, at scrape time. */
@Injectable()
export class DisabledEndpointsMetric implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly endpoints: DispatcherEndpointsRepository) {}

  onApplicationBootstrap(): void {
    readDisabledEndpointsWith(() => this.endpoints.countDisabledByTenant());
  }

  onApplicationShutdown(): void {
    readDisabledEndpointsWith(null);
  }
}
