export * from './queues';
export * from './redis-connection';
export * from './publisher';
export * from './config-changes';
