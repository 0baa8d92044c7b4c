export * from './queues';
export * from './publisher';
export * from './config-changes';
export * from './delivery-notices';
export * from './leased-work';
export * from './config-change-listener';
export * from './messaging.module';
