import { InitialSchema1732400000000 } from './1732400000000-initial-schema';
import { AuditEntityIdIndex1764500000000 } from './1764500000000-audit-entity-id-index';
import { StatsRollup1764510000000 } from './1764510000000-stats-rollup';
import { StatsFinishedByTenant1764510000001 } from './1764510000001-stats-finished-by-tenant';
import { RejectedBodyDigest1764521000000 } from './1764521000000-rejected-body-digest';
import { OutboundRequestRefusals1764530000000 } from './1764530000000-outbound-request-refusals';
import { ApiKeyBootstrap1764530000001 } from './1764530000001-api-key-bootstrap';
import { OutboundRequestRefusalsTenant1764540000000 } from './1764540000000-outbound-request-refusals-tenant';
import { DeliveriesLookupIndexes1764550000000 } from './1764550000000-deliveries-lookup-indexes';
import { InboundEventsMatchedRuleIndex1764560000000 } from './1764560000000-inbound-events-matched-rule-index';
import { ApiKeyPublisherRole1764561000000 } from './1764561000000-api-key-publisher-role';
import { IdempotencyKeys1764562500000 } from './1764562500000-idempotency-keys';
import { RecordTriggers1764600000000 } from './1764600000000-record-triggers';
import { OutboundBodilessRequests1764610000000 } from './1764610000000-outbound-bodiless-requests';
import { StatsBreakdowns1764630000000 } from './1764630000000-stats-breakdowns';
import { DeliveryFiles1764630001000 } from './1764630001000-delivery-files';
import { InboundRejectCode1764640000000 } from './1764640000000-inbound-reject-code';

/** Every migration, in order. Apps list them explicitly (no globs), so builds cannot miss one. */
export const MIGRATIONS = [
  InitialSchema1732400000000,
  AuditEntityIdIndex1764500000000,
  StatsRollup1764510000000,
  StatsFinishedByTenant1764510000001,
  RejectedBodyDigest1764521000000,
  OutboundRequestRefusals1764530000000,
  ApiKeyBootstrap1764530000001,
  OutboundRequestRefusalsTenant1764540000000,
  DeliveriesLookupIndexes1764550000000,
  InboundEventsMatchedRuleIndex1764560000000,
  ApiKeyPublisherRole1764561000000,
  IdempotencyKeys1764562500000,
  RecordTriggers1764600000000,
  OutboundBodilessRequests1764610000000,
  StatsBreakdowns1764630000000,
  DeliveryFiles1764630001000,
  InboundRejectCode1764640000000,
];

export {
  InitialSchema1732400000000,
  AuditEntityIdIndex1764500000000,
  StatsRollup1764510000000,
  StatsFinishedByTenant1764510000001,
  RejectedBodyDigest1764521000000,
  OutboundRequestRefusals1764530000000,
  ApiKeyBootstrap1764530000001,
  OutboundRequestRefusalsTenant1764540000000,
  DeliveriesLookupIndexes1764550000000,
  InboundEventsMatchedRuleIndex1764560000000,
  ApiKeyPublisherRole1764561000000,
  IdempotencyKeys1764562500000,
  RecordTriggers1764600000000,
  OutboundBodilessRequests1764610000000,
  StatsBreakdowns1764630000000,
  DeliveryFiles1764630001000,
  InboundRejectCode1764640000000,
};
