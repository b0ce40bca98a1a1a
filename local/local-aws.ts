import type { S3Event } from 'aws-lambda';
import { fork } from 'child_process';
import * as path from 'path';
import { LocalHttps, startLocalHttps } from './local-https';
import { LocalLambda, startLocalLambda } from './local-lambda';
import { toAwsS3Event } from './s3-event-bridge';

/**
 * What a test may ask for: the emulators (sqs, sns, s3, dynamodb: servers from npm in one child process) and
 * this repository's stand-ins for services no emulator covers: 'lambda' (the Invoke API running registered
 * handlers, local/local-lambda.ts) and 'https' (a trusted HTTPS endpoint, local/local-https.ts).
 */
export type LocalAwsService = 'sqs' | 'sns' | 's3' | 'dynamodb' | 'lambda' | 'https';
const EMULATED: readonly LocalAwsService[] = ['sqs', 'sns', 's3', 'dynamodb'];

/** Endpoint URL of each started service, all on 127.0.0.1. */
export type LocalAwsEndpoints = Partial<Record<LocalAwsService, string>>;

/** s3rver accepts only these credentials; the other emulators accept any, so everyone uses them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_REGION = 'us-east-1';

export interface LocalAws {
  readonly endpoints: LocalAwsEndpoints;
  readonly region: string;
  readonly credentials: typeof LOCAL_CREDENTIALS;
  /** PID of the emulator process (it holds every server). */
  readonly pid: number;
  /** SDK v3 client config for `service`: `new SQSClient(local.clientConfig('sqs'))`. */
  clientConfig(service: Exclude<LocalAwsService, 'https'>): { endpoint: string; region: string; credentials: typeof LOCAL_CREDENTIALS; forcePathStyle?: boolean };
  /**
   * Environment for a process (handler, worker) that must reach these emulators with no code of its
   * own: the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, credentials and region (and, with
   * 'https', NODE_EXTRA_CA_CERTS so the process trusts the local HTTPS endpoint).
   */
  env(): Record<string, string>;
  /**
   * The Lambda stand-in (started with 'lambda'): `register(name, { asset, role, environment })`, then invoke
   * through the SDK. Every function gets `env()` (so it reaches these emulators and trusts the HTTPS endpoint).
   */
  readonly lambda: LocalLambda;
  /** The trusted HTTPS endpoint (started with 'https'): `route(path, handler)`, `url(path)`, `ca`. */
  readonly https: LocalHttps;
  /** Called with every S3 event (already shaped as AWS sends it) until the returned function is called. */
  onS3Event(listener: (event: S3Event) => void): () => void;
  /** Resolves with the next S3 event whose records satisfy `predicate`. */
  nextS3Event(predicate?: (event: S3Event) => boolean, timeoutMs?: number): Promise<S3Event>;
  /**
   * Requests the emulator has received so far, by operation (`{ UpdateItem: 5, GetItem: 12 }`), from any
   * client or process: DynamoDB's, or SQS's for one queue (`requestCounts('sqs', queueUrl)`).
   */
  requestCounts(service: 'dynamodb'): Promise<Record<string, number>>;
  requestCounts(service: 'sqs', queueUrl: string): Promise<Record<string, number>>;
  /** Stops every server and waits for the process to exit (kills it by PID if it lingers). */
  stop(): Promise<void>;
}

const SERVER_SCRIPT = path.join(__dirname, 'local-aws-server.mjs');
const ENV_NAMES: Record<Exclude<LocalAwsService, 'https'>, string> = {
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  sqs: 'AWS_ENDPOINT_URL_SQS',
  sns: 'AWS_ENDPOINT_URL_SNS',
  s3: 'AWS_ENDPOINT_URL_S3',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
};

/** Starts the emulators for `services` on free 127.0.0.1 ports, in one child process. */
export async function startLocalAws(services: LocalAwsService[] = ['sqs', 'sns', 's3', 'dynamodb']): Promise<LocalAws> {
  const unknownServices = services.filter((s) => !EMULATED.includes(s) && s !== 'lambda' && s !== 'https');
  if (unknownServices.length > 0) throw new Error(`local AWS has no ${unknownServices.join(', ')} (services: ${[...EMULATED, 'lambda', 'https'].join(', ')})`);
  const child = fork(SERVER_SCRIPT, [], {
    env: { ...process.env, LOCAL_AWS_SERVICES: services.filter((s) => EMULATED.includes(s)).join(',') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoints = await new Promise<LocalAwsEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local AWS emulators did not start within 20 s')), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`local AWS emulators exited during start-up (code ${code})`)));
    child.on('message', (message: any) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message.endpoints);
      }
    });
  });

  const listeners = new Set<(event: S3Event) => void>();
  child.on('message', (message: any) => {
    if (message?.type === 's3-event') {
      const event = toAwsS3Event(message.event);
      for (const listener of [...listeners]) listener(event);
    }
  });

  let countRequests = 0;
  const requestCounts = (service: 'dynamodb' | 'sqs', queueUrl?: string) => {
    endpointOf(service);
    const id = ++countRequests;
    return new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => (child.off('message', onMessage), reject(new Error('the local AWS process did not report its request counts within 5 s'))), 5_000);
      const onMessage = (message: any) => {
        if (message?.type !== 'request-counts' || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.counts);
      };
      child.on('message', onMessage);
      child.send({ type: 'request-counts', id, service, queueUrl });
    });
  };

  const endpointOf = (service: Exclude<LocalAwsService, 'https'>): string => {
    const endpoint = endpoints[service];
    if (!endpoint) throw new Error(`local AWS was started without ${service} (started: ${services.join(', ')})`);
    return endpoint;
  };

  // The stand-ins run in this process (the Lambda stand-in's handlers in child processes of their own). Every
  // function gets the environment a handler needs to reach the emulators and trust the HTTPS endpoint.
  const env = () => {
    const vars: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    // (The Lambda stand-in adds its own endpoint to its functions' environment as it starts.)
    for (const service of services) if (service !== 'https' && !(service === 'lambda' && !lambda)) vars[ENV_NAMES[service]] = endpointOf(service);
    return { ...vars, ...https?.env() };
  };
  let https: LocalHttps | undefined;
  let lambda: LocalLambda | undefined;
  const stopEmulators = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    if (services.includes('https')) {
      https = await startLocalHttps();
      endpoints.https = https.origin;
    }
    if (services.includes('lambda')) {
      lambda = await startLocalLambda({ region: LOCAL_REGION, awsEnvironment: env() });
      endpoints.lambda = lambda.endpoint;
    }
  } catch (error) {
    await https?.stop();
    await stopEmulators();
    throw error;
  }
  const standIn = <T>(value: T | undefined, service: LocalAwsService): T => {
    if (!value) throw new Error(`local AWS was started without ${service} (started: ${services.join(', ')}): useLocalAws([..., '${service}'])`);
    return value;
  };

  const local: LocalAws = {
    endpoints,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    pid: child.pid!,
    clientConfig: (service) => ({
      endpoint: endpointOf(service),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...(service === 's3' ? { forcePathStyle: true } : {}),
    }),
    env,
    get lambda() {
      return standIn(lambda, 'lambda');
    },
    get https() {
      return standIn(https, 'https');
    },
    requestCounts,
    onS3Event: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    nextS3Event: (predicate = () => true, timeoutMs = 10_000) =>
      new Promise<S3Event>((resolve, reject) => {
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`no matching S3 event within ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = local.onS3Event((event) => {
          if (!predicate(event)) return;
          clearTimeout(timer);
          unsubscribe();
          resolve(event);
        });
      }),
    stop: async () => {
      await lambda?.stop();
      await https?.stop();
      await stopEmulators();
    },
  };
  return local;
}

/**
 * Jest helper: starts the emulators before the file's tests and stops them after.
 * `const local = useLocalAws(['sqs']); ... local().clientConfig('sqs')`.
 */
export function useLocalAws(services?: LocalAwsService[]): () => LocalAws {
  let local: LocalAws | undefined;
  beforeAll(async () => {
    local = await startLocalAws(services);
  }, 30_000);
  afterAll(async () => {
    await local?.stop();
  });
  return () => {
    if (!local) throw new Error('local AWS is not started: call useLocalAws() at the top of the test file');
    return local;
  };
}
