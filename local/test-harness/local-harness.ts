/**
 * The LambdaTestHarness on 127.0.0.1, for the e2e tests, `npm run test-harness:local` and the benchmark:
 * the real bundles (harness, HTTPS invoker, gate) run by the local Lambda stand-in, the results table in
 * dynalite, and a trusted local HTTPS endpoint in front of local http targets, so the invoker calls
 * HTTPS and verifies TLS as in AWS. The invoker runs with the test-only loopback hatch (127.0.0.1): the one
 * difference from a deployed harness, where the construct never sets it.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_HARNESS_LIMITS, HARNESS_ENV, HarnessLimits, INVOKER_ENV } from '../../contracts/lambda-test-harness/config';
import { RESULTS_TABLE_KEY, RESULTS_TTL_ATTRIBUTE, summaryKey } from '../../contracts/lambda-test-harness/results';
import { LocalAws, startLocalAws } from '../local-aws';
import { LocalHttps, startLocalHttps } from '../local-https';
import { LocalLambda, startLocalLambda } from '../local-lambda';

export const HARNESS = 'harness';
export const INVOKER = 'invoker';
export const GATE = 'gate';
export const TABLE = 'HarnessResults';

export interface LocalHarnessOptions {
  readonly limits?: Partial<HarnessLimits>;
  /** Further functions the harness may invoke (registered by the caller on `lambda`). */
  readonly extraFunctions?: string[];
  /** The gate's suite (JSON), when the gate should be registered. */
  readonly suite?: object;
  readonly invokerTimeoutMs?: number;
  readonly maxResponseBytes?: number;
}

export interface LocalHarness {
  readonly aws: LocalAws;
  readonly https: LocalHttps;
  readonly lambda: LocalLambda;
  readonly documents: DynamoDBDocumentClient;
  readonly lambdaClient: LambdaClient;
  /** Invokes a local function synchronously: its result, or its error as `{ errorType, errorMessage }` with `functionError`. */
  invoke(functionName: string, event: unknown): Promise<{ functionError?: string; result: any }>;
  /** Every item of a test id. */
  items(testId: string): Promise<Record<string, any>[]>;
  /** The summary of a run, once written. */
  summary(testId: string, runId: string): Promise<Record<string, any> | undefined>;
  /** Registers the gate function with `suite` (it runs the same code as a deployed gate). */
  registerGate(suite: object): void;
  /** PIDs of every process the harness runs in (the Lambda execution environments and the emulator). */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startLocalHarness(options: LocalHarnessOptions = {}): Promise<LocalHarness> {
  const aws = await startLocalAws(['dynamodb']);
  const https = await startLocalHttps().catch(async (error) => {
    await aws.stop();
    throw error;
  });
  const lambda = await startLocalLambda({ awsEnvironment: { ...aws.env(), ...https.env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  try {
    return await setUp(aws, https, lambda, options);
  } catch (error) {
    // A refused start (a stale bundle, a port) must not leave the emulators running.
    await lambda.stop();
    await https.stop();
    await aws.stop();
    throw error;
  }
}

async function setUp(aws: LocalAws, https: LocalHttps, lambda: LocalLambda, options: LocalHarnessOptions): Promise<LocalHarness> {
  const dynamodb = new DynamoDBClient(aws.clientConfig('dynamodb'));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: RESULTS_TABLE_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: RESULTS_TABLE_KEY.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: RESULTS_TABLE_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: RESULTS_TABLE_KEY.sortKey, AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  void RESULTS_TTL_ATTRIBUTE; // dynalite has no TTL; items carry expiresAt all the same
  const allowed = [INVOKER, ...(options.extraFunctions ?? [])].map((name) => lambda.functionArn(name));
  const harnessEnv = {
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [HARNESS_ENV.resultsTable]: TABLE,
    [HARNESS_ENV.allowedFunctions]: JSON.stringify(allowed),
    [HARNESS_ENV.limits]: JSON.stringify({ ...DEFAULT_HARNESS_LIMITS, ...options.limits }),
  };
  lambda.register(HARNESS, { asset: 'lambda-test-harness', environment: harnessEnv, timeoutSeconds: 900, memoryMiB: 512 });
  lambda.register(INVOKER, {
    asset: 'lambda-test-harness',
    role: 'invoker',
    timeoutSeconds: 60,
    environment: {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      [INVOKER_ENV.allowedHosts]: JSON.stringify(['127.0.0.1']),
      [INVOKER_ENV.testOnlyAllowLoopback]: '127.0.0.1',
      // Generous: two cores shared with other work can queue a local request for seconds.
      [INVOKER_ENV.timeoutMs]: String(options.invokerTimeoutMs ?? 45_000),
      ...(options.maxResponseBytes ? { [INVOKER_ENV.maxResponseBytes]: String(options.maxResponseBytes) } : {}),
    },
  });
  const registerGate = (suite: object) =>
    lambda.register(GATE, { asset: 'lambda-test-harness', role: 'gate', timeoutSeconds: 300, environment: { ...harnessEnv, [HARNESS_ENV.suite]: JSON.stringify(suite) } });
  if (options.suite) registerGate(options.suite);
  const lambdaClient = new LambdaClient({ endpoint: lambda.endpoint, region: aws.region, credentials: aws.credentials });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  return {
    aws,
    https,
    lambda,
    documents,
    lambdaClient,
    invoke: async (functionName, event) => {
      const out = await lambdaClient.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
      return { ...(out.FunctionError ? { functionError: out.FunctionError } : {}), result: JSON.parse(text) };
    },
    items: async (testId) => {
      const out = await documents.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'testId = :t', ExpressionAttributeValues: { ':t': testId }, ConsistentRead: true }));
      return out.Items ?? [];
    },
    summary: async (testId, runId) => (await documents.send(new GetCommand({ TableName: TABLE, Key: summaryKey(testId, runId), ConsistentRead: true }))).Item,
    registerGate,
    pids: () => [...lambda.pids(), aws.pid],
    stop: async () => {
      await lambda.stop();
      await https.stop();
      await aws.stop();
    },
  };
}

/** The HTTPS invoker's event for a URL behind the local HTTPS endpoint. */
export function invokerEventFor(https: LocalHttps, path: string, method = 'POST', data?: unknown) {
  return { options: { host: '127.0.0.1', port: https.port, path, method }, ...(data !== undefined ? { data } : {}) };
}
