export * from './ports';
export * from './worker-ports';
