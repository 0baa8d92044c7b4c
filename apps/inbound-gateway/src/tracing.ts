/**
 * The first import of main.ts: OpenTelemetry, if the OTEL_* variables ask for it, must be
 * started before http, pg and ioredis are loaded (libs/platform/src/tracing).
 */
import { startTracing } from '@app/platform/tracing/start-tracing';

startTracing('hookgate-inbound-gateway');
