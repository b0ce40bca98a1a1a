import { ChildProcess, fork } from 'child_process';
import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { handlerAssetName } from '../lib/core/assets';
import { assertBundleCurrent } from './bundles';

/**
 * A local stand-in for the Lambda Invoke API on 127.0.0.1 (no emulator in use here covers Lambda), reached by
 * the real `@aws-sdk/client-lambda` through AWS_ENDPOINT_URL_LAMBDA (`env()`), so code that invokes functions
 * runs unmodified. It runs registered handlers, each function in its own child processes with its own
 * environment (`local/lambda-runner.js`): a bundled asset (`{ asset: 'table-trigger' }`, or
 * `{ asset: '<pattern>', role: 'invoker' }` for a further function of a pattern) or a module path (.js, or .ts
 * through ts-node). As AWS does:
 * - `RequestResponse` answers 200 with the handler's result; a thrown error answers 200 with
 *   `X-Amz-Function-Error: Unhandled` and `{ errorType, errorMessage, trace }` (the SDK's `FunctionError`);
 *   a timeout is `Sandbox.Timedout`, a process exit `Runtime.ExitError`, a missing export
 *   `Runtime.HandlerNotFound`; `LogType: 'Tail'` returns the invocation's output in `LogResult`;
 * - `Event` answers 202 at once and runs the handler afterwards (no retries: see `invocations()` and
 *   `waitForInvocations()` for its outcome); `DryRun` answers 204;
 * - an unknown function is `ResourceNotFoundException` (404), invalid JSON `InvalidRequestContentException`,
 *   a payload over the limit (6 MB, 1 MB for `Event`) `RequestTooLargeException` (413);
 * - a function name may be a name, an ARN or a partial ARN, with or without a qualifier.
 * An execution environment is reused between invocations (warm starts, module state kept); concurrent
 * invocations get more of them. `stop()` kills every child by PID and closes the server.
 */

const ROOT = path.join(__dirname, '..');
const RUNNER = path.join(__dirname, 'lambda-runner.js');
const ACCOUNT = '000000000000';
const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const EVENT_PAYLOAD_LIMIT = 1024 * 1024;
const RESPONSE_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A function the stand-in can run. Give `asset` or `module`. */
export interface LocalFunctionDefinition {
  /** A bundled asset directory name under assets/ (as PrebundledFunction's `assetName`). */
  readonly asset?: string;
  /** With `asset`: a further function of the pattern (PrebundledFunction's `role`). */
  readonly role?: string;
  /** Or: an absolute module path (.js or .ts) exporting the handler. */
  readonly module?: string;
  /** The handler's export name. @default 'handler' */
  readonly handler?: string;
  /** The function's own environment variables (on top of the stand-in's `awsEnvironment`). */
  readonly environment?: Record<string, string>;
  /** Seconds an invocation may run before it fails with Sandbox.Timedout. @default 30 */
  readonly timeoutSeconds?: number;
  /** Reported as AWS_LAMBDA_FUNCTION_MEMORY_SIZE and memoryLimitInMB (not enforced). @default 256 */
  readonly memoryMiB?: number;
}

export interface LocalLambdaOptions {
  /** Functions by name. More can be added with `register()`. */
  readonly functions?: Record<string, LocalFunctionDefinition>;
  /**
   * Environment every function gets (e.g. LocalAws.env() and LocalHttps.env()).
   * @default local credentials and region only
   */
  readonly awsEnvironment?: Record<string, string>;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Called with every output line of every function. @default kept in `invocations()` only */
  readonly onOutput?: (functionName: string, line: string) => void;
}

/** One invocation and its outcome. */
export interface LocalInvocation {
  readonly functionName: string;
  readonly requestId: string;
  readonly invocationType: 'RequestResponse' | 'Event';
  /** The payload as sent (JSON text). */
  readonly payload: string;
  status: 'running' | 'succeeded' | 'failed';
  /** The result as JSON text, when it succeeded. */
  result?: string;
  /** The error as AWS reports it, when it failed. */
  error?: { errorType: string; errorMessage: string; trace?: string[] };
  /** What the handler printed. */
  logs: string;
}

export interface LocalLambda {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** `{ AWS_ENDPOINT_URL_LAMBDA: endpoint }` */
  env(): Record<string, string>;
  /** Adds (or replaces) a function; running environments of a replaced one are stopped. */
  register(name: string, definition: LocalFunctionDefinition): void;
  /** ARN of a registered function, as AWS names it. */
  functionArn(name: string): string;
  /** Every invocation so far (of `functionName`, or of all), in order. */
  invocations(functionName?: string): LocalInvocation[];
  /** Resolves when `functionName` has `count` finished invocations (rejects after timeoutMs). */
  waitForInvocations(functionName: string, count: number, timeoutMs?: number): Promise<LocalInvocation[]>;
  /** PIDs of the live execution environments (child processes). */
  pids(): number[];
  /** Kills every execution environment by PID and closes the server. */
  stop(): Promise<void>;
}

class LambdaApiError extends Error {
  constructor(readonly type: string, message: string, readonly status: number) {
    super(message);
  }
}

interface Runner {
  readonly child: ChildProcess;
  readonly pid: number;
  busy: boolean;
  /** Output lines since the current invocation began (for a crash, when no reply carries them). */
  output: string[];
}

function killByPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Function name from a name, `name:qualifier`, `<account>:function:name[:q]` or a full ARN. */
function functionNameOf(raw: string): string {
  const arn = /^(?:arn:[^:]+:lambda:[^:]+:)?(?:\d{12}:)?function:([^:]+)(?::[^:]+)?$/.exec(raw);
  if (arn) return arn[1];
  return raw.split(':')[0];
}

export async function startLocalLambda(options: LocalLambdaOptions = {}): Promise<LocalLambda> {
  const region = options.region ?? 'us-east-1';
  const functions = new Map<string, LocalFunctionDefinition & { modulePath: string }>();
  const runners = new Map<string, Runner[]>();
  const invocations: LocalInvocation[] = [];
  const events = new EventEmitter().setMaxListeners(0);
  let stopping = false;
  let endpoint = '';

  const functionArn = (name: string) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;

  const register = (name: string, definition: LocalFunctionDefinition) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`local Lambda: '${name}' is not a valid function name (letters, digits, - and _, at most 64)`);
    if (!!definition.asset === !!definition.module) throw new Error(`local Lambda: function '${name}' needs exactly one of asset or module`);
    let modulePath: string;
    if (definition.asset) {
      const assetName = handlerAssetName(definition.asset, definition.role);
      assertBundleCurrent(assetName);
      modulePath = path.join(ROOT, 'assets', assetName, 'index.js');
    } else {
      modulePath = path.resolve(definition.module!);
    }
    for (const runner of runners.get(name) ?? []) killByPid(runner.pid);
    runners.delete(name);
    functions.set(name, { ...definition, modulePath });
  };
  for (const [name, definition] of Object.entries(options.functions ?? {})) register(name, definition);

  const baseEnvironment = (name: string, fn: LocalFunctionDefinition): Record<string, string> => {
    const inherited: Record<string, string> = {};
    for (const key of ['PATH', 'LANG', 'TZ', 'TMPDIR', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) {
      if (process.env[key] !== undefined) inherited[key] = process.env[key]!;
    }
    return {
      ...inherited,
      // Never the machine's own credentials or IMDS: the SDK must find these first.
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...options.awsEnvironment,
      AWS_ENDPOINT_URL_LAMBDA: endpoint,
      ...fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB ?? 256),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: 'local',
      LAMBDA_TASK_ROOT: path.dirname(functions.get(name)!.modulePath),
    };
  };

  const startRunner = async (name: string): Promise<Runner> => {
    const fn = functions.get(name)!;
    const isTs = /\.[cm]?ts$/.test(fn.modulePath);
    const child = fork(RUNNER, [fn.modulePath, fn.handler ?? 'handler'], {
      env: { ...baseEnvironment(name, fn), ...(isTs ? { TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') } : {}) },
      cwd: isTs ? ROOT : path.dirname(fn.modulePath),
      execArgv: isTs ? ['-r', require.resolve('ts-node/register/transpile-only')] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const runner: Runner = { child, pid: child.pid!, busy: true, output: [] };
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          runner.output.push(line);
          options.onOutput?.(name, line);
        }
      });
    }
    child.once('exit', () => {
      const list = runners.get(name);
      if (list) runners.set(name, list.filter((r) => r !== runner));
    });
    (runners.get(name) ?? runners.set(name, []).get(name)!).push(runner);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (killByPid(runner.pid), reject(new Error(`local Lambda: the execution environment of ${name} did not start within 15 s`))), 15_000);
      child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`local Lambda: the execution environment of ${name} exited at start (${signal ?? `exit status ${code}`}): ${runner.output.join('\n')}`))));
      child.on('message', (message: any) => {
        if (message?.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return runner;
  };

  const acquire = async (name: string): Promise<Runner> => {
    const idle = (runners.get(name) ?? []).find((r) => !r.busy && r.child.exitCode === null && r.child.signalCode === null);
    if (idle) {
      idle.busy = true;
      idle.output = [];
      return idle;
    }
    return startRunner(name);
  };

  /** Runs one invocation to its end and records it; never rejects. */
  const run = async (invocation: LocalInvocation): Promise<void> => {
    const name = invocation.functionName;
    const fn = functions.get(name)!;
    const timeoutMs = (fn.timeoutSeconds ?? 30) * 1000;
    const fail = (errorType: string, errorMessage: string, logs: string, trace?: string[]) => {
      invocation.status = 'failed';
      invocation.error = { errorType, errorMessage, ...(trace ? { trace } : {}) };
      invocation.logs = logs;
    };
    let runner: Runner;
    try {
      if (stopping) throw new Error('the local Lambda stand-in is stopping');
      runner = await acquire(name);
    } catch (error: any) {
      fail('Runtime.ExitError', `RequestId: ${invocation.requestId} Error: ${error.message}`, '');
      events.emit('done', invocation);
      return;
    }
    await new Promise<void>((resolve) => {
      const deadlineMs = Date.now() + timeoutMs;
      const finish = () => {
        clearTimeout(timer);
        runner.child.off('message', onMessage);
        runner.child.off('exit', onExit);
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        killByPid(runner.pid);
        fail('Sandbox.Timedout', `RequestId: ${invocation.requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, runner.output.join('\n'));
      }, timeoutMs);
      const onMessage = (message: any) => {
        if (message?.id !== invocation.requestId) return;
        finish();
        runner.busy = false;
        invocation.logs = message.logs ?? '';
        if (!message.ok) {
          fail(message.error.errorType, message.error.errorMessage, invocation.logs, message.error.trace);
        } else if (Buffer.byteLength(message.payload) > RESPONSE_PAYLOAD_LIMIT) {
          fail('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${RESPONSE_PAYLOAD_LIMIT} bytes).`, invocation.logs);
        } else {
          invocation.status = 'succeeded';
          invocation.result = message.payload;
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        finish();
        fail('Runtime.ExitError', `RequestId: ${invocation.requestId} Error: Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`, runner.output.join('\n'));
      };
      runner.child.on('message', onMessage);
      runner.child.once('exit', onExit);
      runner.child.send({
        type: 'invoke',
        id: invocation.requestId,
        payload: invocation.payload,
        context: {
          awsRequestId: invocation.requestId,
          functionName: name,
          functionVersion: '$LATEST',
          invokedFunctionArn: functionArn(name),
          memoryLimitInMB: String(fn.memoryMiB ?? 256),
          logGroupName: `/aws/lambda/${name}`,
          logStreamName: 'local',
          deadlineMs,
        },
      });
    });
    events.emit('done', invocation);
  };

  const readBody = (req: http.IncomingMessage, limit: number) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      req.on('end', () => {
        if (size > limit) reject(new LambdaApiError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`, 413));
        else resolve(Buffer.concat(chunks));
      });
      req.on('error', reject);
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const match = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
    if (!match) {
      throw new LambdaApiError('UnknownOperationException', `local Lambda answers Invoke only (POST /2015-03-31/functions/<name>/invocations), not ${req.method} ${url.pathname}`, 400);
    }
    const name = functionNameOf(decodeURIComponent(match[1]));
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw new LambdaApiError('InvalidParameterValueException', `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`, 400);
    }
    const body = await readBody(req, type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT);
    if (!functions.has(name)) throw new LambdaApiError('ResourceNotFoundException', `Function not found: ${functionArn(name)}`, 404);
    const payload = body.toString('utf8');
    if (payload !== '') {
      try {
        JSON.parse(payload);
      } catch (error: any) {
        throw new LambdaApiError('InvalidRequestContentException', `Could not parse request body into json: ${error.message}`, 400);
      }
    }
    const common = { 'x-amzn-RequestId': requestId, 'X-Amz-Executed-Version': '$LATEST' };
    if (type === 'DryRun') {
      res.writeHead(204, common).end();
      return;
    }
    const invocation: LocalInvocation = { functionName: name, requestId, invocationType: type as 'Event' | 'RequestResponse', payload, status: 'running', logs: '' };
    invocations.push(invocation);
    if (type === 'Event') {
      res.writeHead(202, { ...common, 'content-length': '0' }).end();
      void run(invocation);
      return;
    }
    await run(invocation);
    const headers: Record<string, string> = { ...common, 'Content-Type': 'application/json' };
    if (req.headers['x-amz-log-type'] === 'Tail') {
      // AWS returns the last 4 KB of the invocation's log.
      headers['X-Amz-Log-Result'] = Buffer.from(invocation.logs).subarray(-4096).toString('base64');
    }
    let responseBody: string;
    if (invocation.status === 'failed') {
      headers['X-Amz-Function-Error'] = 'Unhandled';
      responseBody = JSON.stringify(invocation.error);
    } else {
      responseBody = invocation.result!;
    }
    res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(responseBody)) }).end(responseBody);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (res.headersSent) return;
      const apiError = error instanceof LambdaApiError ? error : new LambdaApiError('ServiceException', String(error?.message ?? error), 500);
      const body = JSON.stringify({ Type: apiError.status < 500 ? 'User' : 'Service', Message: apiError.message, message: apiError.message });
      res.writeHead(apiError.status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': apiError.type, 'content-length': String(Buffer.byteLength(body)) }).end(body);
    });
  });
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const killOnExit = () => {
    for (const list of runners.values()) for (const runner of list) killByPid(runner.pid);
  };
  process.once('exit', killOnExit);

  return {
    endpoint,
    env: () => ({ AWS_ENDPOINT_URL_LAMBDA: endpoint }),
    register,
    functionArn,
    invocations: (functionName) => invocations.filter((i) => functionName === undefined || i.functionName === functionName),
    waitForInvocations: (functionName, count, timeoutMs = 30_000) =>
      new Promise<LocalInvocation[]>((resolve, reject) => {
        const finished = () => invocations.filter((i) => i.functionName === functionName && i.status !== 'running');
        const check = () => {
          if (finished().length < count) return;
          clearTimeout(timer);
          events.off('done', check);
          resolve(finished());
        };
        const timer = setTimeout(() => {
          events.off('done', check);
          reject(new Error(`local Lambda: ${functionName} finished ${finished().length} of ${count} invocations within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('done', check);
        check();
      }),
    pids: () => [...runners.values()].flat().filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.pid),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      process.removeListener('exit', killOnExit);
      const all = [...runners.values()].flat();
      const exited = all.map((r) => (r.child.exitCode !== null || r.child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => r.child.once('exit', () => resolve()))));
      for (const runner of all) killByPid(runner.pid);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, ...exited]);
    },
  };
}

/**
 * Jest helper: the Lambda stand-in for the file's tests, stopped after them.
 * `const lambda = useLocalLambda({ functions: { echo: { module: '...' } } }); ... lambda().env()`.
 */
export function useLocalLambda(options?: LocalLambdaOptions | (() => LocalLambdaOptions)): () => LocalLambda {
  let local: LocalLambda | undefined;
  beforeAll(async () => {
    local = await startLocalLambda(typeof options === 'function' ? options() : options);
  }, 30_000);
  afterAll(async () => {
    await local?.stop();
  });
  return () => {
    if (!local) throw new Error('local Lambda is not started: call useLocalLambda() at the top of the test file');
    return local;
  };
}
