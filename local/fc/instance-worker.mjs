// One Function Compute "instance": a worker thread that loads the function's code once and then serves one
// invocation at a time, like an FC 3.0 built-in Node runtime (no per-instance concurrency). Plain JavaScript so
// it runs in a bare worker under tsx, vitest or node alike. The parent terminates the worker on a timeout, so
// a handler that never returns (or spins) cannot block the runner.
// @ts-check
import { parentPort, workerData } from 'node:worker_threads';
import { Module } from 'node:module';
import fs, { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format as formatLog } from 'node:util';

/** @type {{ codeDir: string, handler: string, initializer?: string }} */
const config = workerData;
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

let currentRequestId = '';

// Node reads NODE_OPTIONS when a process starts; a worker does not, so apply the one option FC functions set
// (s.yaml: NODE_OPTIONS=--enable-source-maps) here, before any function code is compiled: maps must be
// enabled when a module is loaded for its stack frames to point at the TypeScript sources.
if (/(^|\s)--enable-source-maps(\s|$)/.test(process.env.NODE_OPTIONS ?? '')) process.setSourceMapsEnabled(true);

/** FC prefixes every log line with time, request id and level. */
function emit(level, args) {
  const line = `${new Date().toISOString()} ${currentRequestId || '-'} [${level}] ${formatLog(...args)}`;
  port.postMessage({ type: 'log', requestId: currentRequestId, line });
}
console.log = (...a) => emit('INFO', a);
console.info = (...a) => emit('INFO', a);
console.warn = (...a) => emit('WARN', a);
console.error = (...a) => emit('ERROR', a);
console.debug = (...a) => emit('DEBUG', a);

// Whatever the code writes to stdout/stderr is function log output too (FC ships both to the log store). Loggers
// such as pino write to fd 1 with fs.writeSync, past process.stdout, so catch those writes as well. Lines are
// forwarded as written (no prefix: only console.* lines get FC's prefix).
const partial = { 1: '', 2: '' };
function capture(fd, text) {
  const lines = (partial[fd] + text).split('\n');
  partial[fd] = lines.pop() ?? '';
  for (const line of lines) port.postMessage({ type: 'log', requestId: currentRequestId, line });
}
function flushPartial() {
  for (const fd of [1, 2]) {
    if (partial[fd]) port.postMessage({ type: 'log', requestId: currentRequestId, line: partial[fd] });
    partial[fd] = '';
  }
}
function bytesOf(data, a, b) {
  if (typeof data === 'string') return { text: data, n: Buffer.byteLength(data, typeof b === 'string' ? b : 'utf8') };
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const offset = typeof a === 'number' ? a : 0;
  const length = typeof b === 'number' ? b : view.length - offset;
  return { text: view.subarray(offset, offset + length).toString('utf8'), n: length };
}
const realWriteSync = fs.writeSync;
fs.writeSync = function writeSync(fd, data, a, b, ...rest) {
  if (fd !== 1 && fd !== 2) return realWriteSync.call(fs, fd, data, a, b, ...rest);
  const { text, n } = bytesOf(data, a, b);
  capture(fd, text);
  return n;
};
const realWrite = fs.write;
fs.write = function write(fd, data, ...args) {
  if (fd !== 1 && fd !== 2) return realWrite.call(fs, fd, data, ...args);
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  const { text, n } = bytesOf(data, args[0], args[1]);
  capture(fd, text);
  if (cb) process.nextTick(cb, null, n, data);
};
for (const [stream, fd] of [
  [process.stdout, 1],
  [process.stderr, 2],
]) {
  stream.write = (chunk, encoding, cb) => {
    capture(
      fd,
      typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'),
    );
    const done = typeof encoding === 'function' ? encoding : cb;
    if (done) process.nextTick(done);
    return true;
  };
}

const logger = {
  debug: (...a) => emit('DEBUG', a),
  info: (...a) => emit('INFO', a),
  warn: (...a) => emit('WARN', a),
  error: (...a) => emit('ERROR', a),
  log: (...a) => emit('INFO', a),
};

function findFile(base) {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const f = join(config.codeDir, base + ext);
    if (existsSync(f)) return f;
  }
  return undefined;
}

function codeDirIsModule() {
  const pkg = join(config.codeDir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module';
  } catch {
    return false;
  }
}

/**
 * Loads `<codeDir>/<file>` the way FC sees it: the code directory is the whole world (`/code`), so a `.js` file is
 * CommonJS unless the code directory's own package.json says "type": "module" — whatever package.json happens to
 * sit above it in this repository.
 */
const cache = new Map();
async function loadModule(base) {
  if (cache.has(base)) return cache.get(base);
  const file = findFile(base);
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${join(config.codeDir, base)}'`), { name: 'ImportModuleError' });
  let mod;
  if (file.endsWith('.mjs') || (file.endsWith('.js') && codeDirIsModule())) {
    mod = await import(pathToFileURL(file).href);
  } else {
    const m = new Module(file);
    m.filename = file;
    // @ts-ignore -- internal but stable API, the same one require() uses
    m.paths = Module._nodeModulePaths(dirname(file));
    try {
      // @ts-ignore
      m._compile(readFileSync(file, 'utf8'), file);
      mod = m.exports;
    } catch (e) {
      // An ES module written as .js without a package.json: fall back to import(), as Node 20's detection would.
      if (e instanceof SyntaxError && /import|export/.test(String(e.message)))
        mod = await import(pathToFileURL(file).href);
      else throw e;
    }
  }
  cache.set(base, mod);
  return mod;
}

async function resolveExport(handlerString) {
  const dot = handlerString.lastIndexOf('.');
  const base = handlerString.slice(0, dot);
  const name = handlerString.slice(dot + 1);
  const mod = await loadModule(base);
  const fn = mod?.[name] ?? mod?.default?.[name];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`Handler '${name}' missing on module '${base}'`), { name: 'HandlerNotFound' });
  }
  return fn;
}

function toError(e) {
  if (e instanceof Error) {
    return {
      errorMessage: e.message,
      errorType: e.name || 'Error',
      stackTrace: String(e.stack ?? '').split('\n'),
    };
  }
  return { errorMessage: typeof e === 'string' ? e : (JSON.stringify(e) ?? String(e)) };
}

/** FC's conversion of a handler's return value into the invocation's response bytes. */
function toBytes(value) {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'object') return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
  return new Uint8Array(Buffer.from(String(value), 'utf8'));
}

function callHandler(fn, args) {
  // Node <= 16 style handlers take a callback as the last argument; honour it when declared.
  if (fn.length > args.length) {
    return new Promise((res, rej) => {
      const maybe = fn(...args, (err, data) => (err ? rej(err) : res(data)));
      if (maybe && typeof maybe.then === 'function') maybe.then(res, rej);
    });
  }
  return Promise.resolve().then(() => fn(...args));
}

let handlerFn;
let initialized = false;

port.on('message', async (msg) => {
  if (msg.type === 'init') {
    try {
      handlerFn = await resolveExport(config.handler);
      port.postMessage({ type: 'ready' });
    } catch (e) {
      port.postMessage({ type: 'init-error', error: toError(e) });
    }
    return;
  }
  if (msg.type !== 'invoke') return;
  currentRequestId = msg.context.requestId;
  const context = { ...msg.context, logger };
  try {
    if (!initialized && config.initializer) {
      const init = await resolveExport(config.initializer);
      try {
        await callHandler(init, [context]);
      } catch (e) {
        port.postMessage({
          type: 'result',
          id: msg.id,
          ok: false,
          errorType: 'InitializationError',
          error: toError(e),
        });
        return;
      }
    }
    initialized = true;
    const event = Buffer.from(msg.event.buffer, msg.event.byteOffset, msg.event.byteLength);
    const value = await callHandler(handlerFn, [event, context]);
    const body = toBytes(value);
    flushPartial();
    port.postMessage({ type: 'result', id: msg.id, ok: true, body }, [body.buffer]);
  } catch (e) {
    flushPartial();
    port.postMessage({
      type: 'result',
      id: msg.id,
      ok: false,
      errorType: 'UnhandledInvocationError',
      error: toError(e),
    });
  }
});
