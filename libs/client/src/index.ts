/**
 * `@hookgate/client`: what a backend service needs to send webhooks through Hookgate —
 * the BullMQ publisher, the typed admin API client and the job contract (types and JSON
 * Schema). Browser code imports `@hookgate/client/http`, which has no Node dependency.
 */
export * from './http';
export * from './job-contract';
export * from './publisher';
