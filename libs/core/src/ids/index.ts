export * from './uuidv7';
