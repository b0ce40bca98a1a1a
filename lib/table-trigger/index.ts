// The table-trigger pattern's public exports (jsii-friendly: the construct, its props, structs and enums).
// The handler contract (contracts/table-trigger/rule-config.ts), build-config.ts, validation.ts and
// permissions.ts are internal.
export * from './props';
export { TableTrigger } from './table-trigger';
