export * from './untrusted-keys';
