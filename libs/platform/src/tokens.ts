/** Injection tokens for infrastructure bound once per app by PlatformModule. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const SECRET_BOX = Symbol('SECRET_BOX');
export const HANDLER_REGISTRY = Symbol('HANDLER_REGISTRY');
