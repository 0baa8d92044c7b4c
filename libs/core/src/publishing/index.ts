export * from './publish-commands';
export * from './job-contract-schema';
export * from './deliver-files';
