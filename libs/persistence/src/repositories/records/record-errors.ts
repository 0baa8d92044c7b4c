import { HookgateError, ProcessingConfigurationError } from '@app/core/errors/errors';

/**
 * What the records store throws besides database errors. The inbound worker maps them to
 * event states (SPEC §6): no match → `dead_letter`, several matches or a lookup that
 * cannot run → `error`.
 */

/** `update_record` found no record for its lookup. Not a configuration fault: data is missing. */
export class NoRecordMatchedError extends HookgateError {
  readonly code = 'record_not_matched';

  constructor(
    readonly model: string,
    readonly lookup: ReadonlyArray<{ field: string; value: unknown }>,
  ) {
    super(`no record matched: no "${model}" record has ${describeLookup(lookup)}`, {
      model,
      lookup,
    });
  }
}

/** An update or upsert lookup matched more than one record: the lookup is not selective enough. */
export class AmbiguousRecordError extends ProcessingConfigurationError {
  constructor(
    readonly model: string,
    readonly lookup: ReadonlyArray<{ field: string; value: unknown }>,
    readonly recordIds: string[],
  ) {
    super(
      `more than one "${model}" record has ${describeLookup(lookup)} ` +
        `(${recordIds.join(', ')}…): make the rule's lookups select a single record`,
      { model, lookup, recordIds },
    );
  }
}

/** A lookup that cannot select anything: none given, or a value that resolved to nothing. */
export class InvalidRecordLookupError extends ProcessingConfigurationError {}

function describeLookup(lookup: ReadonlyArray<{ field: string; value: unknown }>): string {
  if (lookup.length === 0) return 'any data';
  return lookup.map((l) => `${l.field} = ${JSON.stringify(l.value)}`).join(' and ');
}
