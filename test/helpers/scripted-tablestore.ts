/**
 * A scripted Tablestore endpoint on 127.0.0.1 for the tests of our own client-side behaviour (signing,
 * retries, deadlines, error mapping): each request is answered by the first of
 *   1. the API's queue (`queue.get(api)`, one reply per request),
 *   2. the API's standing reply (`standing.get(api)`, every request until removed),
 *   3. the shared queue (`script`, one reply per request, any API),
 *   4. `fallback`: forward to `upstream` byte for byte when one was given (a fault proxy in front of
 *      Tablestore Local), else a 200 with an empty body.
 * Replies: `otsError`, `ok`, `hang` (never answered; counted in `abandoned` once the client gives up), `drop`
 * (connection destroyed). Every request is recorded in `seen` and counted per API in `attempts`.
 * It is never a stand-in for Tablestore Local: tests of server behaviour use the real one.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { encodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { contentMd5 } from '../../lib/tablestore/protocol/sign';

export interface SeenRequest {
  /** API name (last path segment). */
  readonly api: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly socket: Socket;
}

export type Reply = (req: SeenRequest, res: http.ServerResponse, server: ScriptedTablestore) => void;

export interface ScriptedTablestore {
  readonly endpoint: string;
  readonly queue: Map<string, Reply[]>;
  readonly standing: Map<string, Reply>;
  script: Reply[];
  fallback: Reply;
  readonly seen: SeenRequest[];
  readonly attempts: Map<string, number>;
  /** Requests whose connection closed before a reply was sent, per API. */
  readonly abandoned: Map<string, number>;
  /** Replies written so far (numbers the default request ids `req-<n>`). */
  readonly replies: number;
  /** Clears queues, standing replies, the script and the records; restores the default fallback. */
  reset(): void;
  stop(): Promise<void>;
}

function write(
  res: http.ServerResponse,
  server: ScriptedTablestore,
  status: number,
  body: Uint8Array,
  requestId?: string,
): void {
  (server as { replies: number }).replies += 1;
  res.writeHead(status, {
    'content-type': 'application/x-protobuf',
    'x-ots-requestid': requestId ?? `req-${server.replies}`,
    'x-ots-contentmd5': contentMd5(body),
    'content-length': body.length,
  });
  res.end(body);
}

/** An OTS error reply (protobuf `Error` body). */
export function otsError(status: number, code: string, message = 'scripted', requestId?: string): Reply {
  return (_req, res, server) => write(res, server, status, encodeErrorBody(code, message), requestId);
}

/** A 200 reply; `body` may be computed per request. */
export function ok(
  body: Uint8Array | ((req: SeenRequest) => Uint8Array) = new Uint8Array(0),
  requestId?: string,
): Reply {
  return (req, res, server) => write(res, server, 200, typeof body === 'function' ? body(req) : body, requestId);
}

/** Never answers (the socket is destroyed on stop()). */
export const hang: Reply = () => {};

/** Destroys the connection without an answer. */
export const drop: Reply = (req) => {
  req.socket.destroy();
};

function forwardTo(upstream: URL): Reply {
  return (req, res) => {
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: 'POST', path: req.path, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(req.body);
  };
}

export async function startScriptedTablestore(options: { upstream?: string } = {}): Promise<ScriptedTablestore> {
  const defaultFallback = options.upstream ? forwardTo(new URL(options.upstream)) : ok();
  const sockets = new Set<Socket>();
  const bump = (m: Map<string, number>, api: string) => m.set(api, (m.get(api) ?? 0) + 1);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const api = path.slice(path.lastIndexOf('/') + 1);
      const seen: SeenRequest = {
        api,
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
        socket: req.socket,
      };
      scripted.seen.push(seen);
      bump(scripted.attempts, api);
      res.on('close', () => {
        if (!res.writableFinished) bump(scripted.abandoned, api);
      });
      const reply =
        scripted.queue.get(api)?.shift() ?? scripted.standing.get(api) ?? scripted.script.shift() ?? scripted.fallback;
      reply(seen, res, scripted);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scripted: ScriptedTablestore = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queue: new Map(),
    standing: new Map(),
    script: [],
    fallback: defaultFallback,
    seen: [],
    attempts: new Map(),
    abandoned: new Map(),
    replies: 0,
    reset() {
      this.queue.clear();
      this.standing.clear();
      this.script = [];
      this.fallback = defaultFallback;
      this.seen.length = 0;
      this.attempts.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return scripted;
}
