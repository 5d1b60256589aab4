/**
 * Least privilege: the functions run under exactly policies/tablestore-fc-read.json (rendered for the
 * instance) with role credentials from the local STS's RAM model. The policy holds exactly the actions the
 * routes call, each route works under it, and removing any single action turns the routes that need it
 * (and only those) into 403 — for the HTTP API and for the audit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditHandler } from '../../lib/api/audit-app';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import { requiredActions, routes } from '../../lib/api/routes';
import { fromAssumeRole, fromStatic } from '../../lib/credentials/index';
import { createLogger } from '../../lib/fc/logger';
import { startLocalSts, type LocalSts } from '../../local/sts/server';
import { SearchClient } from '../../lib/tablestore/search/client';
import { renderPolicy } from '../../policies/render';
import { httpEvent, memoryStream } from './fc-event';
import { sdkClient } from '../helpers/tablestore-local';
import { asIndexClient, Sdk } from '../indexes/sdk';
import { ACCOUNT, ADMIN, DEPLOYER, int64, putRows, startFixture, type Fixture } from './fixture';

const POLICY_ACTIONS: string[] = JSON.parse(
  readFileSync(join(__dirname, '../../policies/tablestore-fc-read.json'), 'utf8'),
).Statement[0].Action;

/** One request per Tablestore-backed route (named by operationId), and one per mode of a route; a body makes it a POST. */
const REQUESTS: Record<string, [string, Record<string, string>, object?]> = {
  listTables: ['/tables', {}],
  describeTable: ['/tables/items', {}],
  getRange: ['/tables/items/rows', {}],
  getRow: ['/tables/items/row', { pk: '{"id":1}' }],
  listTimeseriesTables: ['/timeseries', {}],
  describeTimeseriesTable: ['/timeseries/metrics', {}],
  querySeries: ['/timeseries/metrics/series', {}],
  getPoints: ['/timeseries/metrics/points', { measurement: 'cpu', source: 'h1' }],
  getLatestPoints: ['/timeseries/metrics/latest', {}],
  'getRange+filter': ['/tables/items/rows', { filter: '{"column":"v","op":"=","value":"one"}' }],
  'getPoints+meta': ['/timeseries/metrics/points', { match: 'meta', measurement: 'cpu' }],
  'getPoints+agg': ['/timeseries/metrics/points', { measurement: 'cpu', source: 'h1', interval: '5m', agg: 'avg' }],
  'getPoints+meta+agg': ['/timeseries/metrics/points', { match: 'meta', interval: '1h', agg: 'max' }],
  sqlQuery: ['/sql', {}, { query: 'SELECT * FROM items JOIN `metrics::meta` ON 1 = 1' }],
  'sqlQuery+show': ['/sql', {}, { query: 'SHOW TABLES' }],
  'sqlQuery+describe': ['/sql', {}, { query: 'DESCRIBE items' }],
  'sqlQuery+index': ['/sql', {}, { query: 'SHOW INDEX FROM items' }],
  listIndexes: ['/tables/tagged/indexes', {}],
  getIndexRange: ['/tables/tagged/indexes/tagged_by_v/rows', {}],
  'getIndexRange+join': ['/tables/tagged/indexes/tagged_by_v/rows', { columns: 'w' }],
  search: ['/tables/items/search', {}, { index: 'items_idx', query: { term: { field: 'v', value: 'one' } } }],
  searchQuery: ['/tables/items/search', { index: 'items_idx', q: 'v:one' }],
  listSearchIndexes: ['/tables/items/search-indexes', {}],
};
/** Requests that call fewer actions than their route lists (the route's other modes need the rest). */
const REQUEST_ACTIONS: Record<string, readonly string[]> = {
  getPoints: ['ots:GetTimeseriesData'],
  'getPoints+agg': ['ots:GetTimeseriesData'],
  sqlQuery: ['ots:SQLSelect'],
  'sqlQuery+show': ['ots:SQLShowTable'],
  'sqlQuery+describe': ['ots:SQLDescribeTable'],
  'sqlQuery+index': ['ots:SQLDescribeTable'],
  getIndexRange: ['ots:DescribeTable', 'ots:GetRange'],
};
const operationOf = (request: string) => request.split('+')[0];

const roleFor = (action: string) => `minus-${action.replace('ots:', '')}`;

let f: Fixture;
let sts: LocalSts;
const logger = createLogger({ destination: memoryStream() });
let http: ReturnType<typeof createHttpHandler>;
let audit: ReturnType<typeof createAuditHandler>;

beforeAll(async () => {
  const extra: Record<string, string[] | ReturnType<typeof renderPolicy>> = {
    'other-instance': renderPolicy({ region: 'cn-hangzhou', accountId: '1234567890123456', instance: 'someother' }),
  };
  for (const action of POLICY_ACTIONS) extra[roleFor(action)] = POLICY_ACTIONS.filter((a) => a !== action);
  f = await startFixture('tsfclp', extra);
  await f.wide.createTable({ table: 'items', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await putRows(f.wide, 'items', [{ pk: [{ id: int64(1) }], cols: [{ v: 'one' }] }]);
  await asIndexClient(sdkClient(f.local, { accessKeyId: ADMIN.id, accessKeySecret: ADMIN.secret })).createTable({
    tableMeta: {
      tableName: 'tagged',
      primaryKey: [{ name: 'id', type: 'INTEGER' }],
      definedColumn: [
        { name: 'v', type: Sdk.DefinedColumnType.DCT_STRING },
        { name: 'w', type: Sdk.DefinedColumnType.DCT_STRING },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    indexMetas: [{ name: 'tagged_by_v', primaryKey: ['v'], definedColumn: [], indexUpdateMode: 0, indexType: 0 }],
  });
  await putRows(f.wide, 'tagged', [{ pk: [{ id: int64(1) }], cols: [{ v: 'one' }, { w: 'two' }] }]);
  await new SearchClient({ transport: f.wide.transport }).createSearchIndex('items', 'items_idx', {
    fields: [{ name: 'v', type: 'KEYWORD' }],
  });
  await f.ts.createTimeseriesTable({ tableName: 'metrics' });
  await f.ts.putTimeseriesData({
    tableName: 'metrics',
    rows: [
      { key: { measurement: 'cpu', dataSource: 'h1', tags: {} }, time: 1_790_000_000_000_000n, fields: { v: 1.5 } },
    ],
  });
  sts = await startLocalSts({ iam: f.iam });
  http = createHttpHandler({ readers: readersFor, env: f.env(), logger });
  audit = createAuditHandler({ readers: readersFor, env: f.env(), logger });
});

afterAll(async () => {
  await sts?.stop();
  await f?.stop();
});

const eventOf = (request: string): Buffer => {
  const [path, query, body] = REQUESTS[request];
  return body === undefined
    ? httpEvent('GET', path, query)
    : httpEvent('POST', path, query, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
};

async function status(role: string, request: string): Promise<number> {
  const res = await http(eventOf(request), f.context(role));
  if (res.statusCode === 403) expect(JSON.parse(res.body).error.code).toBe('AccessDenied');
  if (res.statusCode === 403 && role.startsWith('minus-'))
    expect(JSON.parse(res.body).error.message).toContain(`ots:${role.slice('minus-'.length)}`);
  return res.statusCode;
}

describe('least privilege', () => {
  it('the policy grants exactly the read actions the routes call, on the instance and its tables only', () => {
    expect([...POLICY_ACTIONS].sort()).toEqual(requiredActions());
    expect(
      POLICY_ACTIONS.every((a) =>
        /^ots:(List|Describe|Get|BatchGet|Query|SQL(Select|ShowTable|DescribeTable)$|Search$)/.test(a),
      ),
    ).toBe(true);
    expect(f.policy.Statement[0].Resource).toEqual([
      'acs:ots:cn-hangzhou:1234567890123456:instance/tsfclp',
      'acs:ots:cn-hangzhou:1234567890123456:instance/tsfclp/table/*',
    ]);
  });

  it('every route works under exactly the policy', async () => {
    for (const op of Object.keys(REQUESTS)) expect(await status('fc-reader', op), op).toBe(200);
  });

  it('every route that calls Tablestore has a request here', () => {
    for (const route of routes.filter((r) => r.actions.length > 0))
      expect(Object.keys(REQUESTS), route.operationId).toContain(route.operationId);
  });

  it('removing any one action turns exactly the routes that call it into 403 naming the action', async () => {
    for (const action of POLICY_ACTIONS) {
      for (const request of Object.keys(REQUESTS)) {
        const route = routes.find((r) => r.operationId === operationOf(request));
        const actions = REQUEST_ACTIONS[request] ?? route?.actions ?? [];
        const expected = actions.includes(action) ? 403 : 200;
        expect(await status(roleFor(action), request), `${request} without ${action}`).toBe(expected);
      }
    }
  });

  it('the same policy rendered for another instance grants nothing here', async () => {
    for (const op of Object.keys(REQUESTS)) expect(await status('other-instance', op), op).toBe(403);
  });

  it('role credentials obtained by AssumeRole over HTTPS from the local STS work, and a session policy can only narrow them', async () => {
    const assume = (policy?: object) =>
      fromAssumeRole({
        sourceCredentials: fromStatic({ accessKeyId: DEPLOYER.id, accessKeySecret: DEPLOYER.secret }),
        roleArn: `acs:ram::${ACCOUNT}:role/fc-reader`,
        roleSessionName: 'least-privilege-test',
        stsEndpoint: sts.stsEndpoint,
        caCertPath: sts.caCertPath,
        ...(policy ? { policy } : {}),
      })();
    const asContext = (c: Awaited<ReturnType<typeof assume>>) => ({
      ...f.context(),
      credentials: {
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        securityToken: c.securityToken ?? '',
      },
    });
    const full = asContext(await assume());
    for (const op of Object.keys(REQUESTS)) expect((await http(eventOf(op), full)).statusCode, op).toBe(200);
    // Session policy allowing everything except GetRange: the role's policy still bounds it, GetRange is denied.
    const narrowed = asContext(
      await assume({
        Version: '1',
        Statement: [
          {
            Effect: 'Allow',
            Action: POLICY_ACTIONS.filter((a) => a !== 'ots:GetRange').concat('ots:PutRow'),
            Resource: '*',
          },
        ],
      }),
    );
    const rows = await http(httpEvent('GET', '/tables/items/rows'), narrowed);
    expect(rows.statusCode).toBe(403);
    expect(JSON.parse(rows.body).error.message).toContain('ots:GetRange');
    expect((await http(httpEvent('GET', '/tables/items/row', { pk: '{"id":1}' }), narrowed)).statusCode).toBe(200);
  });

  it('the audit reports the denied call per table instead of failing', async () => {
    const event = Buffer.from(
      JSON.stringify({ triggerTime: '2026-11-23T00:00:00Z', triggerName: 't', payload: '{"staleAfterMinutes":1}' }),
    );
    const ok = (await audit(event, f.context())) as any;
    expect(ok.errors).toBe(0);
    const denied = (await audit(event, f.context(roleFor('ots:QueryTimeseriesMeta')))) as any;
    expect(denied.errors).toBe(1);
    expect(denied.timeseriesTables[0]).toMatchObject({
      table: 'metrics',
      complete: false,
      error: { status: 403, code: 'AccessDenied' },
    });
    const noList = (await audit(event, f.context(roleFor('ots:ListTable')))) as any;
    expect(noList.wideTables[0]).toMatchObject({ table: '*', error: { status: 403 } });
  });
});
