import type { S3EventRecord } from 'aws-lambda';
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
  | { readonly action: 'skip'; readonly key: string; readonly reason: string };

/**
 * Decodes a key as S3 notifications carry it: form-style URL encoding, where `+` is a space and a real
 * `+` is `%2B` (`scenes/my+scene%2B1+%C3%BC.zip` → `scenes/my scene+1 ü.zip`). Throws on malformed
 * percent-encoding.
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

/** Decides what to do with one record of an S3 event. */
export function classifyRecord(record: S3EventRecord, filter: KeyFilter): RecordDecision {
  const rawKey = record?.s3?.object?.key ?? '';
  if (!record?.eventName?.startsWith('ObjectCreated:')) {
    return { action: 'skip', key: rawKey, reason: `event '${record?.eventName}' is not an object creation` };
  }
  let key: string;
  try {
    key = decodeS3EventKey(rawKey);
  } catch {
    return { action: 'skip', key: rawKey, reason: 'key is not valid form-style URL encoding' };
  }
  const reason = skipReason(key, filter);
  if (reason) return { action: 'skip', key, reason };
  const { versionId, eTag } = record.s3.object;
  return {
    action: 'submit',
    object: {
      bucket: record.s3.bucket.name,
      key,
      ...(versionId ? { versionId } : {}),
      ...(eTag ? { eTag } : {}),
    },
  };
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
