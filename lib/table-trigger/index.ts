// The table-trigger pattern's public exports (jsii-friendly: the construct, its props, structs and enums).
// The handler contract (rule-config.ts, build-config.ts) is internal.
export * from './props';
export { TableTrigger } from './table-trigger';
