/**
 * The publisher lives in `@hookgate/client` (libs/client), the package backend services
 * install; the repo's apps, tests and benchmarks import it from here as before.
 */
export {
  HookgatePublisher,
  type PublisherOptions,
  type PublishHandle,
} from '@app/client/publisher';
