export * from './compare';
export * from './evaluate-condition';
export * from './pattern';
