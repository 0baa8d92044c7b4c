export * from './value-source.types';
export * from './path';
export * from './headers';
export * from './resolve-value';
export * from './transforms';
export * from './json-depth';
