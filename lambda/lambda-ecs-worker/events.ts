import type { S3Event, ScheduledEvent } from 'aws-lambda';

export type LauncherEvent =
  | { readonly kind: 's3'; readonly event: S3Event }
  | { readonly kind: 'schedule'; readonly event: ScheduledEvent };

/**
 * Tells an S3 notification from the reconciler's scheduled EventBridge event. Anything else is a
 * wiring mistake and is rejected with what was received.
 */
export function classifyEvent(event: unknown): LauncherEvent {
  const e = event as Record<string, unknown> | null;
  if (e && Array.isArray(e.Records) && e.Records.every((r) => (r as { eventSource?: string })?.eventSource === 'aws:s3')) {
    return { kind: 's3', event: e as unknown as S3Event };
  }
  if (e && e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') {
    return { kind: 'schedule', event: e as unknown as ScheduledEvent };
  }
  const shape = e && typeof e === 'object' ? `keys: ${Object.keys(e).join(', ') || 'none'}` : `a ${typeof event}`;
  throw new Error(`The launcher handles S3 notifications and its scheduled reconcile event only; got ${shape}`);
}
