/** The effect planners (issue 22): a decision becomes data the workers execute and the simulator reports. */
export * from './effect.types';
export * from './plan-inbound-effects';
export * from './plan-outbound-effects';
