/** Injection tokens for infrastructure bound once per app by PlatformModule. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const SECRET_BOX = Symbol('SECRET_BOX');
export const HANDLER_REGISTRY = Symbol('HANDLER_REGISTRY');

/**
 * Whether the app's database answers, for `/health/ready`. libs/platform does not know
 * the persistence layer: each app binds this port (to libs/persistence's DatabaseHealth)
 * in a global module of its own.
 */
export const DATABASE_PING = Symbol('DATABASE_PING');

export interface DatabasePing {
  /** Resolves when the database answers a trivial statement; rejects otherwise. */
  ping(): Promise<void>;
}
