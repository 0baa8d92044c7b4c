export * from './delivery-intake';
export * from './delivery-queue';
