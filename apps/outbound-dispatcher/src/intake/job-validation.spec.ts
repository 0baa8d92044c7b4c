import { MAX_EVENT_TYPE_LENGTH } from '@app/core';
import { JobValidationError, validateDeliverJob, validatePublishJob } from './job-validation';

describe('validateDeliverJob', () => {
  it('accepts an endpoint code, or a connector and a suffix', () => {
    expect(validateDeliverJob({ endpoint: 'crm', payload: {} })).toEqual({
      endpoint: 'crm',
      payload: {},
    });
    expect(
      validateDeliverJob({ connector: 'stripe-main', suffix: 'customers', payload: { a: 1 } }),
    ).toEqual({ connector: 'stripe-main', suffix: 'customers', payload: { a: 1 } });
  });

  it.each([
    [{ payload: {} }, /endpoint \(code\) is required, or connector and suffix/],
    [{ connector: 'stripe-main', payload: {} }, /suffix must be a non-empty string/],
    [{ suffix: 'customers', payload: {} }, /connector \(code or id\)/],
    [{ endpoint: 'crm', connector: 'x', suffix: 'y', payload: {} }, /not both/],
    [{ connector: 'x', suffix: 'y' }, /payload is required/],
  ])('refuses %j', (data, message) => {
    expect(() => validateDeliverJob(data)).toThrow(JobValidationError);
    expect(() => validateDeliverJob(data)).toThrow(message);
  });
});

describe('validatePublishJob', () => {
  it('accepts a dotted event type up to the admin API limit', () => {
    const eventType = `order.${'a'.repeat(MAX_EVENT_TYPE_LENGTH - 6)}`;
    expect(validatePublishJob({ eventType, payload: {} })).toEqual({ eventType, payload: {} });
  });

  it.each([
    [{ payload: {} }, /eventType must be a string/],
    [{ eventType: 'order.*', payload: {} }, /dotted name/],
    [{ eventType: 'order..paid', payload: {} }, /dotted name/],
    // Matched against every subscription of the tenant: unbounded length was work for free.
    [{ eventType: 'a'.repeat(MAX_EVENT_TYPE_LENGTH + 1), payload: {} }, /at most 200 characters/],
  ])('refuses %#', (data, message) => {
    expect(() => validatePublishJob(data)).toThrow(JobValidationError);
    expect(() => validatePublishJob(data)).toThrow(message);
  });
});
