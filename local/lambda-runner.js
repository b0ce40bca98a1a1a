// One local "execution environment" of local/local-lambda.ts: a child process that loads one function's
// module (a bundled asset or a source module) and runs its handler for each invocation the parent sends
// over IPC, as Lambda's Node runtime would: module-level state survives between invocations (warm starts),
// the context object has Lambda's fields, and what the handler prints is captured per invocation.
// Plain JavaScript so it needs no compiler; a .ts module is loaded through ts-node (the parent adds it).
'use strict';

const [modulePath, handlerName] = process.argv.slice(2);
let handlerFn;
let initError;

function errorShape(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: String(error.stack || '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function load() {
  if (handlerFn || initError) return;
  try {
    const loaded = require(modulePath);
    const fn = loaded[handlerName];
    if (typeof fn !== 'function') {
      initError = { errorType: 'Runtime.HandlerNotFound', errorMessage: `${modulePath}.${handlerName} is undefined or not exported`, trace: [] };
    } else {
      handlerFn = fn;
    }
  } catch (error) {
    initError = { ...errorShape(error), errorType: error && error.code === 'MODULE_NOT_FOUND' ? 'Runtime.ImportModuleError' : (error && error.name) || 'Error' };
  }
}

// What the handler writes goes to the parent (which prints it) and into the invocation's log (LogType Tail).
let captured;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (captured) captured.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return write(chunk, ...rest);
  };
}

process.on('message', async (message) => {
  if (!message || message.type !== 'invoke') return;
  const { id, payload, context } = message;
  captured = [];
  load();
  let reply;
  if (initError) {
    reply = { id, ok: false, error: initError };
  } else {
    const deadline = context.deadlineMs;
    const lambdaContext = {
      ...context,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      succeed: () => undefined,
      fail: () => undefined,
    };
    try {
      const event = payload === '' ? {} : JSON.parse(payload);
      const result = await handlerFn(event, lambdaContext);
      reply = { id, ok: true, payload: result === undefined ? 'null' : JSON.stringify(result) };
    } catch (error) {
      reply = { id, ok: false, error: errorShape(error) };
    }
  }
  const logs = captured.join('');
  captured = undefined;
  process.send({ ...reply, logs });
});

process.on('disconnect', () => process.exit(0));
// Lambda's Node runtime reports these as the invocation's failure; here the parent sees the exit.
process.on('unhandledRejection', (reason) => {
  console.error('Unhandled Promise Rejection', reason);
  process.exit(128);
});
process.send({ type: 'ready' });
