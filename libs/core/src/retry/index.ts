export * from './retry-policy';
export * from './http-outcome';
