// lib/core's barrel for the patterns: the building blocks and the helpers they share (nag acknowledgements,
// placement checks, the dead-letter alarm). The package root (lib/index.ts) re-exports only the public part.
// Internal helpers (assets.ts: packageRoot, handlerAssetPath; defaults.ts: HOUSE_DEFAULTS; builders.ts;
// props-validator.ts) are imported by path inside the package, never exported.
export * from './alarm-overrides';
export * from './function-options';
export * from './compliance';
export * from './nag';
export * from './placement';
export * from './prebundled-function';
export * from './queue-with-dlq';
export * from './secure-bucket';
export * from './monitoring';
