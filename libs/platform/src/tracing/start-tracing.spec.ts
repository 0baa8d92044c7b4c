import { tracingPlan } from './start-tracing';
import { currentTraceparent, itemTraceparent, traceItem, tracingEnabled } from './item-trace';

describe('tracingPlan: which OTEL_* settings start the SDK', () => {
  it('stays off when nothing is set', () => {
    expect(tracingPlan({})).toBeNull();
    expect(tracingPlan({ OTEL_SERVICE_NAME: 'hookgate' })).toBeNull();
  });

  it('starts with an OTLP endpoint, over http/protobuf unless told otherwise', () => {
    expect(tracingPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      exporter: 'otlp',
      protocol: 'http/protobuf',
    });
    expect(
      tracingPlan({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    ).toEqual({ exporter: 'otlp', protocol: 'http/json' });
    expect(
      tracingPlan({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }),
    ).toEqual({ exporter: 'otlp', protocol: 'http/protobuf' });
  });

  it('starts when OTEL_TRACES_EXPORTER names an exporter', () => {
    expect(tracingPlan({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      exporter: 'otlp',
      protocol: 'http/protobuf',
    });
    expect(tracingPlan({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({
      exporter: 'console',
    });
  });

  it('stays off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingPlan({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracingPlan({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(tracingPlan({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).not.toBeNull();
    expect(tracingPlan({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('refuses, with a reason, what it cannot export', () => {
    expect(tracingPlan({ OTEL_TRACES_EXPORTER: 'zipkin' })).toEqual({
      refused: expect.stringContaining('zipkin'),
    });
    expect(
      tracingPlan({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }),
    ).toEqual({ refused: expect.stringContaining('grpc') });
  });
});

describe('tracing helpers while tracing is off', () => {
  it('carry nothing and run the work as it is', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(currentTraceparent()).toBeUndefined();
    expect(itemTraceparent('some-id')).toBeUndefined();
    const parent = '00-a1b2c3d4e5f60718293a4b5c6d7e8f90-0123456789abcdef-01';
    await expect(
      traceItem('x', { id: 'some-id', traceparent: parent }, async () => 'done'),
    ).resolves.toBe('done');
  });
});
