/**
 * @app/connectors — connector kinds (SPEC §7): the ConnectorKind base class and its hooks,
 * the kind registry, endpoint templates, the built-in `generic-http` and `stripe` kinds,
 * and the workers' connector cache.
 */
export * from './connector.types';
export * from './connector-kind';
export * from './connector-kind-registry';
export * from './connector-template';
export * from './connector-cache';
export * from './built-in-kinds';
export * from './kinds/generic-http/generic-http.kind';
export * from './kinds/stripe/stripe.kind';
export * from './tokens';
