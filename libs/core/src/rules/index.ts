export * from './evaluate-rules';
export * from './rule-effects';
export * from './rule-scope';
export * from './rule.types';
export * from './validate-rules';
export * from './rule-vocabulary';
