export * from './leased-work';
export * from './leased-queue';
export * from './paced-enqueuer';
export * from './lease-reconciler';
export * from './leased-item-processor';
