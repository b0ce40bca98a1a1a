// Emulated AWS on 127.0.0.1, in a child process of the test (or demo) that forked it:
//   fauxqs  - SQS (long polling, visibility, DLQ redrive) and SNS; SQS requests are counted by queue and
//             operation (asked for over IPC), so a test can wait until a worker is polling its queue
//   s3rver  - S3, emitting S3 event records, forwarded to the parent over IPC
//   dynalite - DynamoDB, counting the requests it receives by operation (asked for over IPC), so a test can
//              count the writes a handler made whatever client it used
// A child process because fauxqs is ESM-only and its servers must not share the test's event loop.
// It exits when the parent says 'stop', when the IPC channel closes (parent died), or on SIGTERM.
import { buildApp } from 'fauxqs';
// Not among fauxqs's exports; pinned at 1.9.2 in package.json.
import { SqsStore } from '../node_modules/fauxqs/dist/sqs/sqsStore.js';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOST = '127.0.0.1';
const services = new Set((process.env.LOCAL_AWS_SERVICES ?? 'sqs,sns,s3,dynamodb').split(','));
const closers = [];
const endpoints = {};
const requestCounts = { dynamodb: {}, sqs: {} };
const count = (counts, operation) => (counts[operation] = (counts[operation] ?? 0) + 1);

if (services.has('sqs') || services.has('sns')) {
  // Queue URLs must have the SQS endpoint's origin (http://127.0.0.1:<port>/...), as real AWS queue URLs
  // do, or the SDK's queue-URL middleware warns on every call. fauxqs names them `sqs.<region>.<host>`
  // unless its store's host is empty, and its options cannot empty it: hand it such a store.
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const fauxqs = buildApp({ logger: false, stores: { sqsStore } });
  fauxqs.addHook('preHandler', async (request) => {
    // X-Amz-Target: AmazonSQS.<Operation>, with the QueueUrl in the JSON body. Counted as the request
    // arrives, before a long poll starts waiting.
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!target.startsWith('AmazonSQS.')) return;
    const queueUrl = String(request.body?.QueueUrl ?? '');
    count((requestCounts.sqs[queueUrl] ??= {}), target.slice('AmazonSQS.'.length));
  });
  await fauxqs.listen({ host: HOST, port: 0 });
  const url = `http://${HOST}:${fauxqs.server.address().port}`;
  if (services.has('sqs')) endpoints.sqs = url;
  if (services.has('sns')) endpoints.sns = url;
  closers.push(() => fauxqs.close());
}

if (services.has('s3')) {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ address: HOST, port: 0, silent: true, directory, resetOnClose: true });
  const { port } = await s3rver.run();
  s3rver.on('event', (event) => process.send?.({ type: 's3-event', event }));
  endpoints.s3 = `http://${HOST}:${port}`;
  closers.push(async () => {
    await s3rver.close();
    rmSync(directory, { recursive: true, force: true });
  });
}

if (services.has('dynamodb')) {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.on('request', (req) => {
    // X-Amz-Target: DynamoDB_20120810.<Operation>
    count(requestCounts.dynamodb, String(req.headers['x-amz-target'] ?? '').split('.').pop() || 'unknown');
  });
  await new Promise((resolve, reject) => server.listen(0, HOST, (err) => (err ? reject(err) : resolve())));
  endpoints.dynamodb = `http://${HOST}:${server.address().port}`;
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(closers.map((close) => close()));
  process.exit(0);
}
process.on('message', (message) => {
  if (message?.type === 'stop') stop();
  if (message?.type === 'request-counts') {
    const counts = message.service === 'sqs' ? requestCounts.sqs[message.queueUrl] : requestCounts[message.service];
    process.send?.({ type: 'request-counts', id: message.id, counts: { ...counts } });
  }
});
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

process.send?.({ type: 'ready', endpoints });
