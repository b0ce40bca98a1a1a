// The spot-fleet-autoscaler pattern's public exports.
export * from './props';
export * from './scaling-target';
export * from './spot-fleet-autoscaler';
export * from './worker-spot-fleet';
