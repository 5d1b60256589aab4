/**
 * POST plumbing of the HTTP API (lib/api/router.ts): a route declaring a JSON `body` schema gets it parsed,
 * size-capped and validated by the same request validator as its parameters, through real FC 3.0 events.
 * A test-only echo route exercises the plumbing on its own; the real POST routes have their own tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../lib/api/http-app';
import { buildOpenApi } from '../../lib/api/openapi';
import { MAX_BODY_BYTES } from '../../lib/api/router';
import { routes, type Route } from '../../lib/api/routes';
import { createLogger } from '../../lib/fc/logger';
import { fcContext, httpEvent, memoryStream } from './fc-event';

const echo: Route = {
  method: 'POST',
  path: '/echo/{table}',
  operationId: 'echo',
  summary: 'Test-only: returns what it was given.',
  params: { table: { type: 'string', pattern: '^[a-z]+$' } },
  query: { pretty: { type: 'boolean', default: false } },
  body: {
    type: 'object',
    required: ['query'],
    additionalProperties: false,
    properties: {
      query: { type: 'string', minLength: 1, maxLength: 1000 },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      options: {
        type: 'object',
        additionalProperties: false,
        properties: { depth: { type: 'integer', minimum: 0 } },
      },
    },
  },
  response: { type: 'object' },
  actions: [],
  errors: [400],
  async handle(req) {
    return { params: { ...req.params }, query: { ...req.query } as never, body: (req.body ?? null) as never };
  },
};
const getOnly: Route = {
  method: 'GET',
  path: echo.path,
  operationId: 'echoGet',
  summary: echo.summary,
  params: echo.params,
  query: echo.query,
  response: echo.response,
  actions: [],
  errors: [],
  handle: echo.handle,
};

const testRoutes: readonly Route[] = [getOnly, echo];
const handler = createHttpHandler({
  readers: () => {
    throw new Error('this test must not reach Tablestore');
  },
  env: { TABLESTORE_INSTANCE: 'unitinst', FC_REGION: 'cn-hangzhou' },
  logger: createLogger({ destination: memoryStream() }),
  routes: testRoutes,
});
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const post = (text: string, headers: Record<string, string> = JSON_HEADERS, base64 = false) =>
  handler(httpEvent('POST', '/echo/abc', {}, { body: text, headers, base64 }), fcContext());
const parsed = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;

describe('POST routes: JSON bodies through FC events', () => {
  it('hands the validated body (with defaults) to the route, plain or base64-encoded', async () => {
    for (const base64 of [false, true]) {
      const res = await post('{"query":"SELECT 1 — ü"}', JSON_HEADERS, base64);
      expect(res.statusCode).toBe(200);
      expect(parsed(res)).toEqual({
        params: { table: 'abc' },
        query: { pretty: false },
        body: { query: 'SELECT 1 — ü', limit: 10 },
      });
    }
    // Parameters keep working beside the body, and charset / +json types are JSON too.
    const res = await handler(
      httpEvent(
        'POST',
        '/echo/abc',
        { pretty: 'true' },
        { body: '{"query":"x","limit":3}', headers: { 'content-type': 'application/merge-patch+json; charset=UTF-8' } },
      ),
      fcContext(),
    );
    expect(res.statusCode).toBe(200);
    expect(parsed(res)).toMatchObject({ query: { pretty: true }, body: { query: 'x', limit: 3 } });
  });

  it('answers 400 naming the bad part of the body', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{}', /body field 'query' is required/],
      ['{"query":""}', /body field 'query' must NOT have fewer than 1 characters/],
      ['{"query":"x","limit":0}', /body field 'limit' must be >= 1/],
      ['{"query":"x","limit":"many"}', /body field 'limit' must be integer/],
      ['{"query":"x","bogus":1}', /unknown body field 'bogus'/],
      ['{"query":"x","options":{"depth":-1}}', /body field 'options.depth' must be >= 0/],
      ['{"query":"x","options":{"deep":1}}', /unknown body field 'deep'/],
      ['[1,2]', /request body must be object/],
      ['null', /request body must be object/],
      ['"SELECT 1"', /request body must be object/],
      ['{"query":', /request body is not valid JSON/],
    ];
    for (const [text, pattern] of cases) {
      const res = await post(text);
      expect(res.statusCode, text).toBe(400);
      expect(parsed(res).error.message, text).toMatch(pattern);
    }
    const empty = await handler(httpEvent('POST', '/echo/abc', {}, { headers: JSON_HEADERS }), fcContext());
    expect(empty.statusCode).toBe(400);
    expect(parsed(empty).error).toMatchObject({ code: 'InvalidBody', message: expect.stringMatching(/request body/) });
    // Bytes that are not UTF-8 arrive base64-encoded (the runner and FC do that for them).
    const event = JSON.parse(httpEvent('POST', '/echo/abc', {}, { body: 'x', headers: JSON_HEADERS }).toString());
    event.body = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');
    event.isBase64Encoded = true;
    const bad = await handler(Buffer.from(JSON.stringify(event)), fcContext());
    expect(bad.statusCode).toBe(400);
    expect(parsed(bad).error.message).toBe('the request body is not valid UTF-8');
  });

  it('answers 415 for a body that is not sent as JSON, and 413 above the size cap', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { 'Content-Type': 'text/plain' },
      { 'content-type': 'application/json; charset=latin1' },
    ]) {
      const res = await post('{"query":"x"}', headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(415);
      expect(parsed(res).error.code).toBe('UnsupportedMediaType');
    }
    const big = JSON.stringify({ query: 'x'.repeat(MAX_BODY_BYTES) });
    for (const base64 of [false, true]) {
      const res = await post(big, JSON_HEADERS, base64);
      expect(res.statusCode).toBe(413);
      expect(parsed(res).error).toMatchObject({ code: 'PayloadTooLarge' });
    }
    // At the cap it is parsed (and then validated: the string is too long for this route).
    const atCap = JSON.stringify({ query: 'x'.repeat(MAX_BODY_BYTES - 12) });
    expect(Buffer.byteLength(atCap)).toBe(MAX_BODY_BYTES);
    expect((await post(atCap)).statusCode).toBe(400);
  });

  it('keeps 405 with Allow for every other method, on GET routes and POST routes alike', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) {
      const res = await handler(httpEvent(method, '/echo/abc', {}, { body: '{}', headers: JSON_HEADERS }), fcContext());
      expect(res.statusCode, method).toBe(405);
      expect(res.headers?.allow).toBe('GET, POST');
    }
    // The API's own GET routes still refuse POST.
    const api = createHttpHandler({
      readers: () => {
        throw new Error('no Tablestore');
      },
      env: { TABLESTORE_INSTANCE: 'unitinst', FC_REGION: 'cn-hangzhou' },
      logger: createLogger({ destination: memoryStream() }),
    });
    const res = await api(httpEvent('POST', '/tables', {}, { body: '{}', headers: JSON_HEADERS }), fcContext());
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('GET');
    // A GET route ignores a body, whatever it is.
    const get = await handler(httpEvent('GET', '/echo/abc', {}, { body: 'not json' }), fcContext());
    expect(get.statusCode).toBe(200);
    expect(parsed(get).body).toBeNull();
  });

  it('publishes the body as the OpenAPI requestBody with 413 and 415', () => {
    const doc = buildOpenApi(testRoutes) as { paths: Record<string, Record<string, any>> };
    const op = doc.paths['/echo/{table}'].post;
    expect(op.requestBody).toEqual({ required: true, content: { 'application/json': { schema: echo.body } } });
    expect(Object.keys(op.responses)).toEqual(['200', '400', '405', '413', '415']);
    expect(doc.paths['/echo/{table}'].get.requestBody).toBeUndefined();
    // Every GET route of the API keeps its shape.
    for (const r of routes.filter((x) => x.method === 'GET'))
      expect((buildOpenApi(routes) as any).paths[r.path].get.requestBody).toBeUndefined();
  });

  it('never answers a hostile body or header with a 5xx; every 4xx names the body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.record({ query: fc.anything(), limit: fc.anything() }, { requiredKeys: [] }).map((v) => {
            try {
              return JSON.stringify(v) ?? '';
            } catch {
              return '';
            }
          }),
        ),
        fc.constantFrom(
          'application/json',
          'application/json;charset=utf-8',
          'text/json',
          'application/x-www-form-urlencoded',
        ),
        fc.boolean(),
        async (text, type, base64) => {
          const res = await post(text, { 'Content-Type': type }, base64);
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const { error } = parsed(res);
            expect(error.message).toMatch(/body|Content-Type/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
