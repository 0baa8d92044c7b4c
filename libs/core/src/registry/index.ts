export * from './callback.types';
export * from './handler-registry';
