export * from './metrics';
export * from './metrics.controller';
export * from './http-metrics.middleware';
export * from './queue-metrics';
export * from './queue-metrics.provider';
export * from './scrape-reading';
export * from './metrics-listener';
