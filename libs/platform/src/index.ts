export * from './config';
export * from './metrics';
export * from './tokens';
export * from './platform.module';
export * from './health/health.controller';
export * from './logging/logger-options';
export * from './secrets';
export * from './periodic-task';
