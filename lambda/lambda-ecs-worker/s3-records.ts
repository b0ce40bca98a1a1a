import { RenderJobMessage, renderJobId } from '../../contracts/lambda-ecs-worker/render-job';

/** Which keys the launcher turns into jobs. */
export interface KeyFilter {
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  /** Allowed key endings, e.g. `.zip` (case-sensitive, as S3 notification filters are). */
  readonly inputSuffixes: readonly string[];
}

/** One S3 object version named by an event record. */
export interface SceneObject {
  readonly bucket: string;
  /** The decoded key. */
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
}

export type RecordDecision =
  | { readonly action: 'submit'; readonly object: SceneObject }
  | { readonly action: 'skip'; readonly key: string; readonly reason: string }
  /** Not a record the launcher can read (null, missing bucket or key...): logged and counted, never fatal. */
  | { readonly action: 'malformed'; readonly reason: string };

/**
 * Decodes a key as S3 event notifications carry it: form-style URL encoding, where `+` is a space and a
 * real `+` is `%2B` (`scenes/my+scene%2B1+%C3%BC.zip` → `scenes/my scene+1 ü.zip`). Throws on malformed
 * percent-encoding.
 *
 * Only notification records are encoded ("The object key name value is URL encoded", S3 user guide,
 * notification-content-structure). EventBridge `Object Created` events carry the key as it is: their
 * page (ev-events) says nothing of encoding, and captured events show `:` and `=` as such, where a
 * notification has `%3A` and `%3D`. See docs/lambda-ecs-worker.md.
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** Why `key` is not a scene this pipeline renders, or undefined when it is. */
export function skipReason(key: string, filter: KeyFilter): string | undefined {
  // Checked first: even a misconfigured notification must never let an output re-trigger the pipeline.
  if (filter.outputPrefix !== '' && key.startsWith(filter.outputPrefix)) {
    return `key is under the output prefix '${filter.outputPrefix}': outputs never start jobs`;
  }
  if (!key.startsWith(filter.inputPrefix)) return `key is outside the input prefix '${filter.inputPrefix}'`;
  if (key.endsWith('/')) return 'key is a folder marker, not an object';
  if (!filter.inputSuffixes.some((suffix) => key.endsWith(suffix))) {
    return `key does not end with an allowed suffix (${filter.inputSuffixes.join(', ')})`;
  }
  return undefined;
}

/** Decides what to do with one record of an S3 notification; never throws, whatever the record holds. */
export function classifyRecord(record: unknown, filter: KeyFilter): RecordDecision {
  if (!isObject(record)) return { action: 'malformed', reason: `the record is ${describe(record)}, not an S3 event record` };
  if (record.eventSource !== undefined && record.eventSource !== 'aws:s3') {
    return { action: 'malformed', reason: `the record's eventSource is '${String(record.eventSource)}', not 'aws:s3'` };
  }
  const s3 = isObject(record.s3) ? record.s3 : {};
  const object = isObject(s3.object) ? s3.object : {};
  const bucket = isObject(s3.bucket) ? s3.bucket.name : undefined;
  if (typeof record.eventName !== 'string') return { action: 'malformed', reason: 'the record has no eventName' };
  if (!record.eventName.startsWith('ObjectCreated:')) {
    return { action: 'skip', key: typeof object.key === 'string' ? object.key : '', reason: `event '${record.eventName}' is not an object creation` };
  }
  const rawKey = object.key;
  let key: unknown = rawKey;
  if (typeof rawKey === 'string') {
    try {
      key = decodeS3EventKey(rawKey);
    } catch {
      return { action: 'skip', key: rawKey, reason: 'key is not valid form-style URL encoding' };
    }
  }
  return decideObject(bucket, key, object.versionId, object.eTag, filter);
}

/**
 * Decides what to do with an EventBridge `Object Created` event from `aws.s3` (its key is not encoded);
 * never throws.
 */
export function classifyObjectCreated(event: unknown, filter: KeyFilter): RecordDecision {
  const detail = isObject(event) && isObject(event.detail) ? event.detail : undefined;
  if (!detail) return { action: 'malformed', reason: "the 'Object Created' event has no detail" };
  const object = isObject(detail.object) ? detail.object : {};
  const bucket = isObject(detail.bucket) ? detail.bucket.name : undefined;
  return decideObject(bucket, object.key, object['version-id'], object.etag, filter);
}

/** The shared tail of both event shapes: bucket and (decoded) key present, filters applied. */
function decideObject(bucket: unknown, key: unknown, versionId: unknown, eTag: unknown, filter: KeyFilter): RecordDecision {
  if (typeof bucket !== 'string' || bucket === '') return { action: 'malformed', reason: 'the event names no bucket' };
  if (typeof key !== 'string' || key === '') return { action: 'malformed', reason: 'the event names no object key' };
  const reason = skipReason(key, filter);
  if (reason) return { action: 'skip', key, reason };
  return {
    action: 'submit',
    object: {
      bucket,
      key,
      ...(typeof versionId === 'string' && versionId !== '' ? { versionId } : {}),
      ...(typeof eTag === 'string' && eTag !== '' ? { eTag } : {}),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** The job message for `object`; the same object version always gets the same job id. */
export function jobMessage(object: SceneObject, sha256Hex: (input: string) => string, now: Date): RenderJobMessage {
  return {
    version: 1,
    jobId: renderJobId(sha256Hex, object),
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    submittedAt: now.toISOString(),
  };
}
