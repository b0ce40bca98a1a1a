/**
 * The POV-Ray worker's entrypoint (the container's `node dist/index.js`): reads its configuration from the
 * environment, creates the SDK clients (endpoints from the SDK's standard AWS_ENDPOINT_URL_<SERVICE>),
 * wires SIGTERM/SIGINT, and runs the worker loop. Everything else lives in the modules beside it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { hostname, tmpdir } from 'os';
import { ConfigError, IMAGE_ENV, parseWorkerConfig } from './config';
import { runCanary } from './canary';
import { describeConfinement, probeConfinement } from './confinement';
import { dynamoJobRecords, noJobRecords } from './job-record';
import { LibraryIndex } from './sdl-scan';
import { loadLibraryIndex, POVRAY_LIBRARY_DIRS } from './library';
import { errorFields, jsonLogger } from './log';
import { Worker } from './worker';

async function main(): Promise<number> {
  let config;
  try {
    config = parseWorkerConfig(process.env, { workerId: `${hostname()}-${process.pid}`, tmpDir: tmpdir() });
  } catch (error) {
    if (error instanceof ConfigError) {
      jsonLogger({}).error(`invalid configuration: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const logger = jsonLogger({ workerId: config.workerId });
  // When an endpoint is configured (AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL), it wins over the queue URL's
  // host; emulators hand out queue URLs whose host is not a valid URL host (sqs.<region>.127.0.0.1).
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: !(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL) });
  const s3 = new S3Client({});
  // The DynamoDB SDK is loaded only when the job table is on (start-up counts: a task may drain few jobs).
  let dynamodb: DynamoDBClient | undefined;
  let records = noJobRecords;
  if (config.jobTableName) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { DynamoDBClient: Client } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
    /* eslint-enable @typescript-eslint/no-require-imports */
    dynamodb = new Client({});
    records = dynamoJobRecords(DynamoDBDocumentClient.from(dynamodb), config.jobTableName);
  }
  // Probe the confinement once, now, so a host without it says so at start-up, loudly: every job it
  // receives would otherwise fail with the same reason.
  const confinement = probeConfinement(config.povrayJail, config.povrayCommand, POVRAY_LIBRARY_DIRS);
  if (confinement.available) logger.info('render confinement ready', { confinement: confinement.mechanism, how: describeConfinement(confinement), abi: confinement.abi, jail: confinement.jail });
  else logger.error(`RENDERS REFUSED: POV-Ray cannot be confined on this host, so this worker renders nothing: ${confinement.reason}`, { jail: config.povrayJail });
  // `--canary` (the deploy-time check): one embedded scene, confined like a job, then exit with the outcome.
  if (process.argv.includes('--canary')) return runCanary(config, confinement, logger);
  if (!config.sceneScan) logger.warn(`the scene checker is OFF (${IMAGE_ENV.skipSceneScan}=true): only the confinement stands between scenes and the host; for tests only`);
  let library: LibraryIndex | undefined;
  const worker = new Worker({ config, sqs, s3, records, logger, library: () => (library ??= loadLibraryIndex()), confinement: () => confinement });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => worker.stop(signal));
  try {
    return await worker.run();
  } catch (error) {
    logger.error('worker crashed', errorFields(error));
    return 1;
  } finally {
    sqs.destroy();
    s3.destroy();
    dynamodb?.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
