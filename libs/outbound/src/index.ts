export * from './delivery-intake';
export * from './request-refusals';
