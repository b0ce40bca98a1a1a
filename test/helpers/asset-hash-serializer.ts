/**
 * Jest snapshot serializer that masks asset hashes, so a snapshot is byte-identical on every machine
 * and does not churn when a handler's bundle changes (the handler has its own tests).
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
const MASK = '[ASSET HASH]';

export function maskAssetHashes(value: string): string {
  return value.replace(ASSET_HASH, MASK);
}

export function test(value: unknown): boolean {
  return typeof value === 'string' && maskAssetHashes(value) !== value;
}

export function serialize(value: string): string {
  return JSON.stringify(maskAssetHashes(value));
}
