/**
 * @app/core — the pure engine of Hookgate: signature schemes and presets, value
 * extraction, identity and freshness, conditions and the rule engine, the handler
 * registry and outcomes, outbound request building, typed errors, and the ports the
 * infrastructure binds. No framework, ORM, queue or HTTP-client imports (lint-enforced).
 */
export * from './errors';
export * from './untrusted-keys';
export * from './extraction';
export * from './signature';
export * from './presets';
export * from './identity';
export * from './freshness';
export * from './conditions';
export * from './rules';
export * from './effects';
export * from './registry';
export * from './outcomes';
export * from './request';
export * from './ids';
export * from './ports';
export * from './subscriptions';
export * from './retry';
export * from './storable';
export * from './redaction';
export * from './publishing';
export * from './record-triggers';
export * from './capabilities';
