export * from './delivery-intake';
export * from './delivery-queue';
export * from './request-refusals';
