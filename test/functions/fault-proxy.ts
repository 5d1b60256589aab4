/**
 * A loopback HTTP proxy in front of Tablestore Local that can answer chosen APIs with a Tablestore error
 * (e.g. 503 OTSServerBusy) or hold them without answering, to drive the throttling and deadline paths over
 * real HTTP. Everything else is forwarded byte for byte.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { encodeErrorBody } from '../../lib/tablestore/protocol/errors';

export type Fault = { kind: 'error'; status: number; code: string; message: string } | { kind: 'hang' };

export interface FaultProxy {
  readonly endpoint: string;
  /** Fault per API name (e.g. "ListTable"); absent = forward. */
  readonly faults: Map<string, Fault>;
  /** Requests seen per API name. */
  readonly seen: Map<string, number>;
  /** Held ("hang") requests the client gave up on (closed the connection), per API name. */
  readonly abandoned: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const faults = new Map<string, Fault>();
  const seen = new Map<string, number>();
  const abandoned = new Map<string, number>();
  const sockets = new Set<Socket>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const api = (req.url ?? '/').split('?')[0].split('/').pop() ?? '';
    seen.set(api, (seen.get(api) ?? 0) + 1);
    const fault = faults.get(api);
    if (fault?.kind === 'hang') {
      req.resume();
      res.on('close', () => abandoned.set(api, (abandoned.get(api) ?? 0) + 1));
      return; // never answered; the socket is destroyed on stop()
    }
    if (fault?.kind === 'error') {
      req.resume();
      req.on('end', () => {
        const body = Buffer.from(encodeErrorBody(fault.code, fault.message));
        n += 1;
        res.writeHead(fault.status, { 'content-type': 'application/x-protobuf', 'x-ots-requestid': `fault-${n}`, 'content-length': body.length });
        res.end(body);
      });
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    seen,
    abandoned,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
