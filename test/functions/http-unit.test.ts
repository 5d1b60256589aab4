import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createHttpHandler } from '../../lib/api/http-app';
import { createLogger } from '../../lib/fc/logger';
import { fcContext, httpEvent, memoryStream } from './fc-event';

const env = { TABLESTORE_INSTANCE: 'unitinst', FC_REGION: 'cn-hangzhou' };
const noTablestore = () => {
  throw new Error('this test must not reach Tablestore');
};

function app(overrides: Record<string, string | undefined> = {}) {
  const stream = memoryStream();
  const handler = createHttpHandler({
    readers: noTablestore,
    env: { ...env, ...overrides },
    logger: createLogger({ destination: stream }),
  });
  return { handler, stream };
}

const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;

describe('http-api without Tablestore', () => {
  it('answers /healthz with the configured instance and region', async () => {
    const { handler } = app();
    const res = await handler(httpEvent('GET', '/healthz'), fcContext());
    expect(res.statusCode).toBe(200);
    expect(body(res)).toEqual({ status: 'ok', instance: 'unitinst', region: 'cn-hangzhou' });
    expect(res.headers?.['content-type']).toMatch(/application\/json/);
  });

  it('serves a valid OpenAPI 3.1 document whose schemas compile', async () => {
    const { handler } = app();
    const res = await handler(httpEvent('GET', '/openapi.json'), fcContext());
    const doc = body(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/tables',
        '/tables/{table}',
        '/tables/{table}/rows',
        '/tables/{table}/row',
        '/timeseries',
        '/timeseries/{table}',
        '/timeseries/{table}/series',
        '/timeseries/{table}/points',
        '/openapi.json',
        '/healthz',
        '/sql',
        '/tables/{table}/indexes',
        '/tables/{table}/indexes/{index}/rows',
      ]),
    );
    expect(doc.paths['/sql'].post.requestBody.content['application/json'].schema.required).toEqual(['query']);
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const schemas = [op.responses['200'].content['application/json'].schema];
        if (op.requestBody) schemas.push(op.requestBody.content['application/json'].schema);
        for (const s of schemas) {
          const schema = JSON.parse(JSON.stringify(s).replaceAll('"#/components', '"doc#/components'));
          expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow();
        }
      }
    }
    expect(doc.paths['/tables/{table}/rows'].get['x-ram-actions']).toEqual(['ots:DescribeTable', 'ots:GetRange']);
  });

  it('maps unknown routes to 404 and wrong methods to 405 with Allow', async () => {
    const { handler } = app();
    const ctx = fcContext();
    const r404 = await handler(httpEvent('GET', '/nope'), ctx);
    expect(r404.statusCode).toBe(404);
    // The envelope carries the invocation's request id, the one FC prints in its logs.
    expect(body(r404).error).toMatchObject({ code: 'RouteNotFound', requestId: ctx.requestId });
    expect(r404.headers?.['x-request-id']).toBe(ctx.requestId);
    const r405 = await handler(httpEvent('POST', '/tables', {}, { body: '{}' }), fcContext());
    expect(r405.statusCode).toBe(405);
    expect(r405.headers?.allow).toBe('GET');
    expect(body(r405).error.code).toBe('MethodNotAllowed');
  });

  it('rejects bad parameters with 400 naming the parameter', async () => {
    const { handler } = app();
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['/tables/t1/rows', { limit: '0' }, /limit/],
      ['/tables/t1/rows', { limit: 'ten' }, /limit/],
      ['/tables/t1/rows', { direction: 'sideways' }, /direction/],
      ['/tables/t1/rows', { bogus: '1' }, /unknown query parameter 'bogus'/],
      ['/tables/t1/row', {}, /'pk' is required/],
      ['/tables/bad-name!/rows', {}, /path parameter 'table'/],
      ['/timeseries/m/points', {}, /'measurement' is required/],
      ['/timeseries/m/points', { measurement: 'cpu', start: 'yesterday' }, /start/],
    ];
    for (const [path, query, pattern] of cases) {
      const res = await handler(httpEvent('GET', path, query), fcContext());
      expect(res.statusCode, `${path} ${JSON.stringify(query)}`).toBe(400);
      expect(body(res).error.code).toBe('InvalidParameter');
      expect(body(res).error.message).toMatch(pattern);
    }
  });

  it('answers a non-HTTP payload with 400 InvalidEvent instead of crashing', async () => {
    const { handler } = app();
    for (const payload of [Buffer.from('not json'), Buffer.from('{"hello":1}'), Buffer.from('[]')]) {
      const res = await handler(payload, fcContext());
      expect(res.statusCode).toBe(400);
      expect(body(res).error.code).toBe('InvalidEvent');
    }
  });

  it('reports missing or bad configuration as one clear 500 per request', async () => {
    for (const [overrides, pattern] of [
      [{ TABLESTORE_INSTANCE: undefined }, /TABLESTORE_INSTANCE is not set/],
      [{ FC_REGION: '' }, /FC_REGION is not set/],
      [{ TABLESTORE_ENDPOINT: 'ftp://x' }, /TABLESTORE_ENDPOINT/],
      [{ TABLESTORE_TABLES: 'ok,not-ok' }, /TABLESTORE_TABLES/],
    ] as const) {
      const { handler } = app(overrides);
      const res = await handler(httpEvent('GET', '/tables'), fcContext());
      expect(res.statusCode).toBe(500);
      expect(body(res).error).toMatchObject({ code: 'InvalidConfiguration' });
      expect(body(res).error.message).toMatch(pattern);
      // The function keeps serving: the next request gets the same clear answer.
      expect((await handler(httpEvent('GET', '/healthz'), fcContext())).statusCode).toBe(500);
    }
    // OpenAPI needs no configuration.
    const { handler } = app({ TABLESTORE_INSTANCE: undefined });
    expect((await handler(httpEvent('GET', '/openapi.json'), fcContext())).statusCode).toBe(200);
  });

  it('logs one line per invocation with the FC request id and never the credentials', async () => {
    const { handler, stream } = app();
    const secret = 'SECRET-ak-secret-value-123456';
    const token = 'TOKEN-sts-token-value-abcdef';
    await handler(
      httpEvent('GET', '/healthz'),
      fcContext({ accessKeyId: 'STS.id', accessKeySecret: secret, securityToken: token }),
    );
    const res = await handler(
      httpEvent('GET', '/nope'),
      fcContext({ accessKeyId: 'STS.id', accessKeySecret: secret, securityToken: token }),
    );
    expect(res.body).not.toContain(secret);
    const lines = stream.json();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => typeof l.requestId === 'string' && l.requestId.startsWith('ctx-'))).toBe(true);
    expect(lines.find((l) => l.msg === 'invocation rejected')).toMatchObject({ status: 404, code: 'RouteNotFound' });
    expect(stream.lines.join('\n')).not.toContain(secret);
    expect(stream.lines.join('\n')).not.toContain(token);
  });

  it('scrubs a registered secret even when an error message echoes it', () => {
    const stream = memoryStream();
    const log = createLogger({ destination: stream });
    log.secrets.add('very-secret-value-xyz');
    log.logger.error(
      { err: new Error('upstream said very-secret-value-xyz'), credentials: { accessKeySecret: 'k' } },
      'boom',
    );
    expect(stream.lines[0]).not.toContain('very-secret-value-xyz');
    expect(stream.lines[0]).toContain('[REDACTED]');
  });

  it('returns 504 when the function deadline is reached', async () => {
    const stream = memoryStream();
    const handler = createHttpHandler({
      readers: () => new Promise(() => {}),
      env,
      logger: createLogger({ destination: stream }),
      timeoutEarlyInMillis: 200,
    });
    const res = await handler(httpEvent('GET', '/tables'), fcContext({}, 1));
    expect(res.statusCode).toBe(504);
    expect(body(res).error.code).toBe('DeadlineExceeded');
  });
});
