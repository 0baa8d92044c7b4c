export * from './delivery-intake';
export * from './request-refusals';
export * from './record-change-publisher';
