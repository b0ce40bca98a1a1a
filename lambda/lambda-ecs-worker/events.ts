import type { ScheduledEvent } from 'aws-lambda';

/**
 * The events the launcher is invoked with:
 *  - `s3`: an S3 bucket notification (`Records`). Records are kept unparsed: each one is checked on its
 *    own (see s3-records.ts), so a null or malformed record never fails the others.
 *  - `s3-test-event`: the `s3:TestEvent` S3 sends when a notification configuration is written. It names
 *    no object; acknowledging it keeps it out of Lambda's retries and the launcher's dead-letter queue.
 *  - `object-created`: an EventBridge `Object Created` event from `aws.s3` (the EVENTBRIDGE trigger).
 *  - `schedule`: the reconciler's scheduled EventBridge event.
 */
export type LauncherEvent =
  | { readonly kind: 's3'; readonly records: readonly unknown[] }
  | { readonly kind: 's3-test-event'; readonly bucket: string }
  | { readonly kind: 'object-created'; readonly event: unknown }
  | { readonly kind: 'schedule'; readonly event: ScheduledEvent };

/** Tells the launcher's events apart. Anything else is a wiring mistake and is rejected with what was received. */
export function classifyEvent(event: unknown): LauncherEvent {
  const e = event !== null && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : undefined;
  if (e && Array.isArray(e.Records) && !claimsOnlyOtherSources(e.Records)) {
    return { kind: 's3', records: e.Records };
  }
  if (e && e.Event === 's3:TestEvent' && e.Service === 'Amazon S3') {
    return { kind: 's3-test-event', bucket: typeof e.Bucket === 'string' ? e.Bucket : '' };
  }
  if (e && e.source === 'aws.s3' && e['detail-type'] === 'Object Created') {
    return { kind: 'object-created', event: e };
  }
  if (e && e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') {
    return { kind: 'schedule', event: e as unknown as ScheduledEvent };
  }
  const shape = e ? `keys: ${Object.keys(e).join(', ') || 'none'}` : event === null ? 'null' : `a ${Array.isArray(event) ? 'array' : typeof event}`;
  throw new Error(
    `The launcher handles S3 notifications, S3 test events, EventBridge 'Object Created' events and its scheduled reconcile event only; got ${shape}`,
  );
}

/**
 * True when records are present and every one that names an event source names another service (an SQS
 * or SNS batch wired to the launcher by mistake). Records that name no source (null, garbage) do not
 * make a batch foreign: they are skipped one by one as malformed.
 */
function claimsOnlyOtherSources(records: unknown[]): boolean {
  const sources = records.map((r) => (r !== null && typeof r === 'object' ? (r as { eventSource?: unknown }).eventSource : undefined));
  const named = sources.filter((s): s is string => typeof s === 'string');
  return named.length > 0 && named.every((s) => s !== 'aws:s3');
}
