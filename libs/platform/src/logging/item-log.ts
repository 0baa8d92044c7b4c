import { Logger } from '@nestjs/common';

/**
 * The workers' per-item log line: one when an inbound event or a delivery leaves
 * processing, with the fields to find it by — tenant, endpoint, item id, attempt — as
 * JSON fields (nestjs-pino merges the object into the line), not only in the message.
 * With tracing on, pino's mixin adds the trace and span ids (logger-options.ts).
 *
 * Levels follow what an operator must see: an item that ended in `error` or
 * `dead_letter` is a warning, an attempt that failed and will be retried is info, the rest
 * (done, held, put back by a rate limit) is debug — off at the default LOG_LEVEL=info, so
 * the hot path writes nothing for a success.
 */
export interface ItemLogFields {
  tenantId: string;
  /** The endpoint's path (inbound) or code (outbound). */
  endpoint: string | null;
  eventId?: string;
  deliveryId?: string;
  attempt: number;
  /** The state the item was left in. */
  state: string;
  error?: string | null;
  /** The receiver's HTTP status, for a delivery attempt that got an answer. */
  status?: number | null;
}

export class ItemLog {
  private readonly logger: Logger;

  constructor(context: string) {
    this.logger = new Logger(context);
  }

  /** A delivery (its claimed row) left processing in `state`. */
  delivery(
    row: { id: string; tenant_id: string; attempts: number },
    endpoint: string,
    state: string,
    error?: string | null,
    status?: number | null,
  ): void {
    this.finished({
      tenantId: row.tenant_id,
      endpoint,
      deliveryId: row.id,
      attempt: row.attempts,
      state,
      error,
      status,
    });
  }

  /** An inbound event (its claimed row) left processing in `state` (`received`: a retry). */
  event(
    row: { id: string; tenant_id: string; endpoint_path: string; attempts: number },
    state: string,
    error?: string | null,
  ): void {
    this.finished({
      tenantId: row.tenant_id,
      endpoint: row.endpoint_path,
      eventId: row.id,
      attempt: row.attempts,
      state: state === 'received' ? 'retry' : state,
      error,
    });
  }

  finished(fields: ItemLogFields): void {
    const item = fields.eventId ? `event ${fields.eventId}` : `delivery ${fields.deliveryId}`;
    const message = `${item} ${fields.state} (attempt ${fields.attempt})`;
    if (fields.state === 'error' || fields.state === 'dead_letter') {
      this.logger.warn(fields, message);
    } else if (fields.state === 'retry' || fields.error) {
      this.logger.log(fields, fields.error ? `${message}: ${fields.error}` : message);
    } else {
      this.logger.debug(fields, message);
    }
  }
}
