export * from './item-trace';
export { stopTracing, tracingPlan } from './start-tracing';
