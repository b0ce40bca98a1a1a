// lib/core's public exports. Internal helpers (assets.ts: packageRoot, handlerAssetPath; defaults.ts:
// HOUSE_DEFAULTS; builders.ts; props-validator.ts; table-shape.ts) are imported by path inside the package, never exported.
export * from './function-options';
export * from './nag';
export * from './placement';
export * from './prebundled-function';
export * from './queue-with-dlq';
export * from './secure-bucket';
