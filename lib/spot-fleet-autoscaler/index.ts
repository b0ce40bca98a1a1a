// The spot-fleet-autoscaler pattern's public exports.
export {};
