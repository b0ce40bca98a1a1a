export * from './assets';
export * from './defaults';
export * from './nag';
export * from './placement';
export * from './prebundled-function';
export * from './queue-with-dlq';
export * from './secure-bucket';
