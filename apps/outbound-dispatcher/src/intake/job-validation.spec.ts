import { JobValidationError, validateDeliverJob } from './job-validation';

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
