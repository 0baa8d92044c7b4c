import type { OutboundRequest, Rule, SendResult } from '@app/core';
import type { ConnectorKind, ConnectorRuntime } from '@app/connectors';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

/** What SendDelivery needs from outside, bound in the dispatcher's app module. */
export interface Sender {
  send(request: OutboundRequest, options: { timeoutMs: number }): Promise<SendResult>;
}

export interface OutboundHandlerSource {
  get(handlerId: string): Promise<{
    executionMode: 'rules' | 'callback';
    callback: string | null;
    rules: Rule[];
  } | null>;
}

/** A linked endpoint's connector and kind (SPEC §7). */
export interface ConnectorLookup {
  /** Null when the connector row is gone; throws a RegistryError for an unknown kind. */
  resolve(
    connectorId: string,
  ): Promise<{ connector: ConnectorRuntime; kind: ConnectorKind } | null>;
}

export interface EndpointHealthRecorder {
  record(
    endpoint: OutboundEndpointRuntime,
    result: { ok: boolean; status?: number },
  ): Promise<void>;
}

export interface DispatchBatchOptions {
  /** Most deliveries claimed, or attempts recorded, in one statement. */
  maxBatch: number;
  /** Statements of each kind running at once. */
  maxInFlight: number;
}
