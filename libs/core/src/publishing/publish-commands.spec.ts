import Ajv from 'ajv';
import fc from 'fast-check';
import { MAX_EVENT_TYPE_LENGTH } from '../subscriptions';
import { jobContractSchema } from './job-contract-schema';
import {
  DeliverCommand,
  DeliverJobCommand,
  PublishCommand,
  PublishJobCommand,
  validateCommand,
} from './publish-commands';

/**
 * The validated classes and the JSON Schema built beside them are one contract: every
 * sample, hand-picked or generated, gets the same verdict from both. A rule changed in
 * one and not the other fails here.
 */
// Ajv's defaults: strict about the schema itself, as a producer's validator would be.
const ajv = new Ajv({ allErrors: true });
ajv.addSchema(jobContractSchema(), 'job-contract');
const schemaAccepts = (kind: 'deliver' | 'publish', data: unknown): boolean =>
  ajv.validate(`job-contract#/definitions/${kind}`, data) as boolean;
const classAccepts = (kind: 'deliver' | 'publish', data: unknown): boolean =>
  validateCommand(kind === 'deliver' ? DeliverJobCommand : PublishJobCommand, data).problems ===
  null;

const long = (n: number) => 'a'.repeat(n);

const deliverSamples: Array<[unknown, boolean]> = [
  [{ endpoint: 'crm', payload: {} }, true],
  [{ endpoint: 'crm', payload: [1, 'two'], context: { a: 'b' }, idempotencyKey: 'k' }, true],
  [{ endpoint: 'crm', payload: 0, tenant: 'acme' }, true],
  [{ endpoint: 'crm', payload: false, idempotencyKey: '' }, true],
  [{ connector: 'stripe-main', suffix: 'customers', payload: { a: 1 } }, true],
  [{ endpoint: long(200), payload: 'text' }, true],
  [{ endpoint: long(201), payload: {} }, false],
  [{ endpoint: '', payload: {} }, false],
  [{ endpoint: 'crm' }, false],
  [{ endpoint: 'crm', payload: null }, false],
  [{ payload: {} }, false],
  [{ connector: 'x', payload: {} }, false],
  [{ suffix: 'x', payload: {} }, false],
  [{ connector: 'x', suffix: '', payload: {} }, false],
  [{ endpoint: 'crm', connector: 'x', suffix: 'y', payload: {} }, false],
  [{ endpoint: 'crm', suffix: 'y', payload: {} }, false],
  [{ endpoint: 'crm', payload: {}, context: { n: 1 } }, false],
  [{ endpoint: 'crm', payload: {}, context: null }, false],
  [{ endpoint: 'crm', payload: {}, context: ['a'] }, false],
  [{ endpoint: 'crm', payload: {}, idempotencyKey: null }, false],
  [{ endpoint: 'crm', payload: {}, idempotencyKey: long(255) }, true],
  [{ endpoint: 'crm', payload: {}, idempotencyKey: long(256) }, false],
  [{ endpoint: 'crm', payload: {}, tenant: 7 }, false],
  [{ endpoint: 'crm', payload: {}, extra: true }, false],
  [{ endpoint: 7, payload: {} }, false],
  ['crm', false],
  [null, false],
  [[], false],
  ...fileSamples(),
];

/** The `files` of a deliver request: shape rules (sizes are the doors' configured limits). */
function fileSamples(): Array<[unknown, boolean]> {
  const file = (over: Record<string, unknown> = {}) => ({
    field: 'doc',
    filename: 'invoice 42.pdf',
    contentType: 'application/pdf',
    contentBase64: 'JVBERi0=',
    ...over,
  });
  const deliver = (files: unknown) => ({ endpoint: 'crm', payload: {}, files });
  return [
    [deliver([file()]), true],
    [deliver([]), true],
    [deliver([file({ contentType: undefined })]), true],
    [deliver([file({ contentType: 'text/plain; charset=utf-8' })]), true],
    [deliver([file({ contentBase64: '' })]), true],
    [deliver(Array.from({ length: 20 }, () => file())), true],
    [deliver(Array.from({ length: 21 }, () => file())), false],
    [deliver(null), false],
    [deliver(file()), false],
    [deliver(['x']), false],
    [deliver([file({ filename: 'a\r\nb.pdf' })]), false],
    [deliver([file({ filename: 'x".pdf' })]), false],
    [deliver([file({ filename: '../etc/passwd' })]), false],
    [deliver([file({ filename: 'c:\\x.pdf' })]), false],
    [deliver([file({ filename: '..' })]), false],
    [deliver([file({ filename: '' })]), false],
    [deliver([file({ filename: long(256) })]), false],
    [deliver([file({ field: 'a\nb' })]), false],
    [deliver([file({ field: 7 })]), false],
    [deliver([file({ contentType: 'pdf' })]), false],
    [deliver([file({ contentType: 'text/plain\r\nX-Evil: 1' })]), false],
    [deliver([file({ contentBase64: 'not base64!' })]), false],
    [deliver([file({ contentBase64: 'JVBERi0' })]), false],
    [deliver([file({ size: 3 })]), false],
    [deliver([{ field: 'doc', filename: 'a.txt' }]), false],
  ];
}

const publishSamples: Array<[unknown, boolean]> = [
  [{ eventType: 'order.paid', payload: {} }, true],
  [{ eventType: 'order', payload: { a: 1 }, context: {}, tenant: 'acme' }, true],
  [{ eventType: `order.${long(MAX_EVENT_TYPE_LENGTH - 6)}`, payload: {} }, true],
  [{ eventType: `order.${long(MAX_EVENT_TYPE_LENGTH - 5)}`, payload: {} }, false],
  [{ eventType: 'order.*', payload: {} }, false],
  [{ eventType: 'order..paid', payload: {} }, false],
  [{ eventType: '', payload: {} }, false],
  [{ eventType: 'order paid', payload: {} }, false],
  [{ eventType: 'order.paid' }, false],
  [{ eventType: 'order.paid', payload: null }, false],
  [{ payload: {} }, false],
  [{ eventType: 'order.paid', payload: {}, endpoint: 'crm' }, false],
];

describe('the deliver and publish commands', () => {
  it.each(deliverSamples)('deliver %j: class and JSON Schema agree (%s)', (data, ok) => {
    expect(classAccepts('deliver', data)).toBe(ok);
    expect(schemaAccepts('deliver', data)).toBe(ok);
  });

  it.each(publishSamples)('publish %j: class and JSON Schema agree (%s)', (data, ok) => {
    expect(classAccepts('publish', data)).toBe(ok);
    expect(schemaAccepts('publish', data)).toBe(ok);
  });

  it('agree on generated requests', () => {
    const text = fc.oneof(
      fc.constantFrom('', 'a', 'crm', 'order.paid', 'order.*', 'a..b', long(201)),
      fc.string({ maxLength: 4 }),
    );
    const value = fc.oneof(
      text,
      fc.constant(null),
      fc.integer(),
      fc.dictionary(fc.constantFrom('a', 'b'), fc.oneof(text, fc.integer()), { maxKeys: 2 }),
    );
    const request = fc.record(
      {
        endpoint: value,
        connector: value,
        suffix: value,
        eventType: value,
        payload: value,
        context: value,
        idempotencyKey: value,
        tenant: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(request, fc.constantFrom('deliver' as const, 'publish' as const), (r, kind) => {
        expect(classAccepts(kind, r)).toBe(schemaAccepts(kind, r));
      }),
      { numRuns: 2000 },
    );
  });

  it('names every problem, the intake messages included', () => {
    expect(validateCommand(DeliverJobCommand, { connector: 'x' }).problems).toEqual([
      { field: 'payload', problems: ['payload is required'] },
      { field: 'suffix', problems: ['suffix must be a non-empty string'] },
    ]);
    expect(validateCommand(PublishJobCommand, { eventType: 'a.*', payload: 1 }).problems).toEqual([
      {
        field: 'eventType',
        problems: [expect.stringMatching(/dotted name like order\.paid, without wildcards/)],
      },
    ]);
    expect(validateCommand(DeliverJobCommand, 'x').problems).toEqual([
      { field: '', problems: ['job data must be an object'] },
    ]);
  });

  it('keeps a __proto__ key a refused field, never the prototype', () => {
    const raw = JSON.parse('{"endpoint":"crm","payload":{},"__proto__":{"tenant":"other"}}');
    const result = validateCommand(DeliverJobCommand, raw);
    expect(result.problems?.map((p) => p.field)).toEqual(['__proto__']);
  });

  it('the HTTP commands have no tenant: the API key names it', () => {
    expect(
      validateCommand(DeliverCommand, { endpoint: 'crm', payload: {}, tenant: 'a' }).problems,
    ).toEqual([{ field: 'tenant', problems: ['property tenant should not exist'] }]);
    expect(validateCommand(PublishCommand, { eventType: 'a', payload: {} }).problems).toBeNull();
  });
});
