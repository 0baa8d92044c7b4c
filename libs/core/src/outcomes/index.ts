export * from './normalize-outcome';
export * from './outcome-helpers';
export * from './outcome.types';
