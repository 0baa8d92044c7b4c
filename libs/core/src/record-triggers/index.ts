export * from './record-trigger.types';
export * from './plan-record-events';
export * from './validate-record-trigger';
