/**
 * SQLQuery through the official Node SDK (its `sqlQuery` and flatbuffer decoding, unchanged) against
 * Tablestore Local over HTTP: every statement, every SELECT clause, the column types on the wire, the
 * errors, RAM actions and primary-key range planning (seen in the consumed read capacity).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sdkClient,
  sdkError,
  startLocal,
  TableStore,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';
import type { AuthzRequest, IdentityStore } from '../../local/tablestore/auth/identity';
import { sql, type Cell } from './helpers';

let local: LocalTablestoreHandle;
let client: SdkClient;

const put = (table: string, pk: Record<string, unknown>[], attrs: Record<string, unknown>[]) =>
  client.putRow({
    tableName: table,
    condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
    primaryKey: pk,
    attributeColumns: attrs,
  });

const BIG = 9007199254740993n; // not representable as a double
const L = (n: number | bigint) => TableStore.Long.fromString(String(n));

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await client.createTable({
    tableMeta: {
      tableName: 'users',
      primaryKey: [
        { name: 'uid', type: 'STRING' },
        { name: 'pid', type: 'INTEGER' },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  for (let i = 0; i < 20; i++) {
    const attrs: Record<string, unknown>[] = [
      { name: `user${String(i).padStart(2, '0')}` },
      { age: L(20 + (i % 7)) },
      { grade: i + 0.5 },
      { vip: i % 3 === 0 },
      { photo: Buffer.from([i, 0, 255]) },
    ];
    if (i % 4 !== 0) attrs.push({ note: i % 2 ? 'odd' : 'even' });
    await put('users', [{ uid: i < 10 ? 'a' : 'b' }, { pid: L(i) }], attrs);
  }
  await put('users', [{ uid: 'c' }, { pid: L(BIG) }], [{ name: 'big' }, { age: L(BIG) }]);
  await sql(
    client,
    'create table users (uid varchar(1024), pid bigint(20), name mediumtext, age bigint, grade double, vip bool, photo mediumblob, note mediumtext, primary key(uid, pid))',
  );
});
afterAll(async () => local?.stop());

const col = (rows: Cell[][], i = 0) => rows.map((r) => r[i]);

describe('DDL and metadata statements', () => {
  it('SHOW TABLES lists wide tables and both faces of time series tables', async () => {
    const { TimeseriesClient } = await import('../../lib/tablestore/timeseries/index');
    const ts = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      credentials: async () => ({
        accessKeyId: local.accessKeyId,
        accessKeySecret: local.accessKeySecret,
        source: 'test',
      }),
    });
    await ts.createTimeseriesTable({ tableName: 'metrics_show' });
    ts.close();
    const r = await sql(client, 'show tables');
    expect(r.type).toBe(3);
    expect(r.names).toEqual([`Tables_in_${local.instance}`]);
    expect(col(r.rows)).toEqual(expect.arrayContaining(['users', 'metrics_show', 'metrics_show::meta']));
  });

  it('maps every table automatically (primary key + predefined columns), CREATE TABLE replaces it, DROP MAPPING restores it', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'auto',
        primaryKey: [{ name: 'k', type: 'INTEGER' }],
        definedColumn: [{ name: 'd', type: 2 }],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    await put('auto', [{ k: L(1) }], [{ d: 1.5 }, { extra: 'x' }]);
    let desc = await sql(client, 'describe auto');
    expect(desc.type).toBe(4);
    expect(desc.names).toEqual(['Field', 'Type', 'Null', 'Key', 'Default', 'Extra']);
    expect(desc.rows).toEqual([
      ['k', 'bigint(20)', 'NO', 'PRI', null, ''],
      ['d', 'double', 'YES', '', null, ''],
    ]);
    expect((await sql(client, 'select * from auto')).rows).toEqual([[1n, 1.5]]);

    const created = await sql(client, 'CREATE TABLE auto (k BIGINT(20), extra MEDIUMTEXT, d DOUBLE, PRIMARY KEY(k))');
    expect(created.type).toBe(2);
    desc = await sql(client, 'desc auto');
    expect(col(desc.rows)).toEqual(['k', 'extra', 'd']);
    expect((await sql(client, 'select * from auto')).rows).toEqual([[1n, 'x', 1.5]]);
    expect((await sdkError(sql(client, 'create table auto (k bigint, primary key(k))'))).message).toMatch(
      /already exists/,
    );
    await sql(client, 'create table if not exists auto (k bigint, primary key(k))');

    const altered = await sql(client, 'alter table auto add column flag bool');
    expect(altered.type).toBe(6);
    await sql(client, 'alter table auto drop column extra');
    expect(col((await sql(client, 'describe auto')).rows)).toEqual(['k', 'd', 'flag']);
    expect((await sdkError(sql(client, 'alter table auto drop column k'))).message).toMatch(/primary key/);
    expect((await sdkError(sql(client, 'alter table auto drop column nope'))).message).toMatch(/nope/);
    expect((await sdkError(sql(client, 'alter table auto add column d double'))).message).toMatch(/Duplicate column/);

    const dropped = await sql(client, 'drop mapping table auto');
    expect(dropped.type).toBe(5);
    expect(col((await sql(client, 'describe auto')).rows)).toEqual(['k', 'd']);
    await sql(client, 'drop mapping table if exists no_such_table');
    expect((await sdkError(sql(client, 'drop mapping table no_such_table'))).code).toBe('OTSParameterInvalid');
  });

  it('checks CREATE TABLE against the data table', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'checked',
        primaryKey: [
          { name: 'uid', type: 'STRING' },
          { name: 'pid', type: 'INTEGER' },
        ],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const bad = [
      ['create table checked (uid varchar(1024), primary key(uid))', /primary key/i],
      ['create table checked (uid varchar(1024), pid varchar(10), primary key(uid, pid))', /Type mismatch/],
      [
        'create table checked (uid varchar(1024), pid bigint, v bigint, v double, primary key(uid, pid))',
        /Duplicate column/,
      ],
      ['create table nope (a bigint, primary key(a))', /doesn't exist/],
      [
        'create table checked (uid varchar(1024), pid bigint, g geometry, primary key(uid, pid))',
        /not supported|syntax/,
      ],
      [
        "create table checked (uid varchar(1024), pid bigint, primary key(uid, pid)) engine='searchindex'",
        /searchindex/,
      ],
      ['create table users (uid varchar(1024), pid bigint, primary key(uid, pid))', /already exists/],
    ] as const;
    for (const [q, re] of bad) {
      const e = await sdkError(sql(client, q));
      expect([e.status, e.code], q).toEqual([400, 'OTSParameterInvalid']);
      expect(e.message, q).toMatch(re);
    }
  });

  it('SHOW INDEX lists the primary key', async () => {
    const r = await sql(client, 'show index from users');
    expect(r.names.slice(0, 5)).toEqual(['Table', 'Non_unique', 'Key_name', 'Seq_in_index', 'Column_name']);
    expect(r.rows.map((x) => [x[2], x[3], x[4]])).toEqual([
      ['PRIMARY', 1n, 'uid'],
      ['PRIMARY', 2n, 'pid'],
    ]);
  });
});

describe('SELECT', () => {
  it('returns every column type as the SDK decodes it, int64 lossless, NULL for missing cells', async () => {
    const r = await sql(client, "select * from users where uid = 'c'");
    expect(r.type).toBe(1);
    expect(r.names).toEqual(['uid', 'pid', 'name', 'age', 'grade', 'vip', 'photo', 'note']);
    expect(r.rows).toEqual([['c', BIG, 'big', BIG, null, null, null, null]]);
    const typed = await sql(client, "select uid, pid, grade, vip, photo, note from users where uid = 'a' and pid = 1");
    expect(typed.types).toEqual(['STRING', 'LONG', 'DOUBLE', 'BOOLEAN', 'BINARY', 'STRING']);
    expect(typed.rows).toEqual([['a', 1n, 1.5, false, new Uint8Array([1, 0, 255]), 'odd']]);
    // a repetitive string column goes run-length encoded; the SDK expands it
    const rle = await sql(client, "select uid from users where uid in ('a', 'b')");
    expect(rle.types).toEqual(['STRING_RLE']);
    expect(col(rle.rows)).toEqual([...Array(10).fill('a'), ...Array(10).fill('b')]);
  });

  it('filters with comparisons, AND/OR/NOT, IN, BETWEEN, LIKE and IS [NOT] NULL', async () => {
    const pids = async (where: string) =>
      col((await sql(client, `select pid from users where ${where}`)).rows).map(Number);
    expect(await pids("uid = 'a' and pid >= 7")).toEqual([7, 8, 9]);
    expect(await pids('pid < 2 or pid > 18 and pid < 100')).toEqual([0, 1, 19]);
    expect(await pids("not (uid = 'a') and pid <> 10 and pid != 11 and pid <= 13")).toEqual([12, 13]);
    expect(await pids('pid in (3, 5, 40)')).toEqual([3, 5]);
    expect(await pids('pid not in (3, 5) and pid < 7')).toEqual([0, 1, 2, 4, 6]);
    expect(await pids('pid between 4 and 6')).toEqual([4, 5, 6]);
    expect(await pids('pid not between 2 and 18 and pid < 100')).toEqual([0, 1, 19]);
    expect(await pids("name like 'user1_'")).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(await pids("name not like '%1%' and name like 'user%'")).toEqual(
      [0, 2, 3, 4, 5, 6, 7, 8, 9, 20, 22].filter((n) => n < 20),
    );
    expect(await pids('note is null and pid < 100')).toEqual([0, 4, 8, 12, 16]);
    expect(await pids('note is not null and pid < 3')).toEqual([1, 2]);
    expect(await pids('vip and pid < 10')).toEqual([0, 3, 6, 9]);
    expect(await pids('vip = false and grade > 17')).toEqual([17, 19]);
  });

  it('projects expressions and functions, orders, limits and offsets', async () => {
    const r = await sql(
      client,
      "select pid * 2 + 1 as x, grade / 2, concat(upper(name), '-', note) as cn, length(name), round(grade), abs(-pid), substring(name, 5) from users where uid = 'a' and pid between 1 and 3 order by pid desc",
    );
    expect(r.names[0]).toBe('x');
    expect(r.names[2]).toBe('cn');
    expect(r.rows).toEqual([
      [7n, 1.75, 'USER03-odd', 6n, 4n, 3n, '03'],
      [5n, 1.25, 'USER02-even', 6n, 3n, 2n, '02'],
      [3n, 0.75, 'USER01-odd', 6n, 2n, 1n, '01'],
    ]);
    expect(col((await sql(client, 'select pid from users order by grade desc limit 3')).rows)).toEqual([19n, 18n, 17n]);
    expect(col((await sql(client, 'select pid from users order by age, pid limit 2, 3')).rows)).toEqual([14n, 1n, 8n]);
    expect(col((await sql(client, "select pid from users where uid = 'b' limit 2 offset 3")).rows)).toEqual([13n, 14n]);
    expect(col((await sql(client, "select pid from users where uid = 'b' order by pid desc limit 2")).rows)).toEqual([
      19n,
      18n,
    ]);
    expect(col((await sql(client, 'select distinct note from users order by note')).rows)).toEqual([
      null,
      'even',
      'odd',
    ]);
    expect(
      (await sql(client, "select 1 + 2, 'x', from_unixtime(1447430881), time_bin(3600000000 * 5 + 7, '1h')")).rows,
    ).toEqual([[3n, 'x', '2015-11-13 16:08:01', '1970-01-01 05:00:00']]);
  });

  it('aggregates with GROUP BY, HAVING, COUNT(DISTINCT) and ORDER BY on aggregates', async () => {
    const all = await sql(
      client,
      "select count(*), count(note), count(distinct note), sum(pid), avg(grade), min(name), max(age) from users where uid <> 'c'",
    );
    expect(all.rows).toEqual([[20n, 15n, 2n, 190n, 10, 'user00', 26n]]);
    expect(all.names[0]).toBe('COUNT(*)');
    const g = await sql(
      client,
      "select age, count(*) as n, sum(grade) from users where uid in ('a', 'b') group by age having n >= 3 order by n desc, age",
    );
    expect(g.rows).toEqual([
      [20n, 3n, 0.5 + 7.5 + 14.5],
      [21n, 3n, 1.5 + 8.5 + 15.5],
      [22n, 3n, 2.5 + 9.5 + 16.5],
      [23n, 3n, 3.5 + 10.5 + 17.5],
      [24n, 3n, 4.5 + 11.5 + 18.5],
      [25n, 3n, 5.5 + 12.5 + 19.5],
    ]);
    const empty = await sql(client, "select count(*), sum(pid), max(name) from users where uid = 'zzz'");
    expect(empty.rows).toEqual([[0n, null, null]]);
    expect(empty.types).toEqual(['LONG', 'LONG', 'STRING']);
    const byExpr = await sql(
      client,
      "select pid % 2 as parity, count(*) from users where uid <> 'c' group by parity order by 1",
    );
    expect(byExpr.rows).toEqual([
      [0n, 10n],
      [1n, 10n],
    ]);
  });

  it('reads only the primary-key range the WHERE clause allows', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'wide_rows',
        primaryKey: [
          { name: 'g', type: 'STRING' },
          { name: 'n', type: 'INTEGER' },
        ],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const blob = 'x'.repeat(8000); // ~2 CU per row read
    for (const g of ['a', 'b', 'c'])
      for (let n = 0; n < 10; n++) await put('wide_rows', [{ g }, { n: L(n) }], [{ s: blob }]);
    await sql(client, 'create table wide_rows (g varchar(1024), n bigint, s mediumtext, primary key(g, n))');
    const read = async (q: string) => {
      const r = await sql(client, q);
      const c = r.raw.consumes ?? [];
      return {
        rows: r.rows.length,
        cu: Number(c[0]?.consumed?.capacityUnit?.read ?? -1),
        table: c[0]?.tableName ?? c[0]?.table_name,
      };
    };
    const full = await read("select n from wide_rows where s = 'nothing'");
    const prefix = await read("select n from wide_rows where g = 'b'");
    const range = await read("select n from wide_rows where g = 'b' and n >= 3 and n < 5");
    const point = await read("select n from wide_rows where g = 'b' and n = 7");
    const limited = await read('select n from wide_rows limit 2');
    expect(full).toMatchObject({ rows: 0, table: 'wide_rows' });
    expect(prefix.rows).toBe(10);
    expect(range.rows).toBe(2);
    expect(point.rows).toBe(1);
    expect(prefix.cu).toBeLessThan(full.cu / 2);
    expect(range.cu).toBeLessThan(prefix.cu / 3);
    expect(point.cu).toBeLessThanOrEqual(range.cu);
    expect(limited.cu).toBeLessThan(prefix.cu);
    expect((await read("select n from wide_rows where g = 'b' and g = 'c'")).rows).toBe(0);
  });
});

describe('JOIN', () => {
  const orders: [number, string, number, number][] = [
    [1, 'a', 1, 10.5],
    [2, 'a', 1, 4],
    [3, 'a', 3, 7.25],
    [4, 'b', 12, 1],
    [5, 'z', 99, 3],
  ];
  beforeAll(async () => {
    await client.createTable({
      tableMeta: { tableName: 'orders', primaryKey: [{ name: 'oid', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    for (const [oid, uid, pid, amount] of orders)
      await put('orders', [{ oid: L(oid) }], [{ uid }, { pid: L(pid) }, { amount }]);
    await sql(client, 'create table orders (oid bigint, uid mediumtext, pid bigint, amount double, primary key(oid))');
  });

  it('joins INNER, LEFT, RIGHT and CROSS, with ON or USING, and aggregates over the join', async () => {
    const inner = await sql(
      client,
      'select o.oid, u.name, o.amount from orders o join users u on u.uid = o.uid and u.pid = o.pid order by o.oid',
    );
    expect(inner.rows).toEqual([
      [1n, 'user01', 10.5],
      [2n, 'user01', 4],
      [3n, 'user03', 7.25],
      [4n, 'user12', 1],
    ]);
    const using = await sql(client, 'select oid, name from orders inner join users using (uid, pid) order by oid');
    expect(using.rows).toEqual(inner.rows.map((r) => [r[0], r[1]]));
    const left = await sql(
      client,
      "select u.pid, o.oid from users u left join orders o on o.uid = u.uid and o.pid = u.pid where u.uid = 'a' and u.pid < 4 order by u.pid, o.oid",
    );
    expect(left.rows).toEqual([
      [0n, null],
      [1n, 1n],
      [1n, 2n],
      [2n, null],
      [3n, 3n],
    ]);
    const right = await sql(
      client,
      'select o.oid, u.name from users u right join orders o on o.uid = u.uid and o.pid = u.pid where u.name is null',
    );
    expect(right.rows).toEqual([[5n, null]]);
    const cross = await sql(client, "select count(*) from orders cross join users where users.uid = 'b'");
    expect(cross.rows).toEqual([[BigInt(orders.length * 10)]]);
    const comma = await sql(client, "select count(*) from orders, users u where u.uid = 'a' and orders.amount > 5");
    expect(comma.rows).toEqual([[20n]]);
    const perUser = await sql(
      client,
      'select u.name, count(*) as n, sum(o.amount) from users u join orders o on o.uid = u.uid and o.pid = u.pid group by u.name order by n desc, u.name',
    );
    expect(perUser.rows).toEqual([
      ['user01', 2n, 14.5],
      ['user03', 1n, 7.25],
      ['user12', 1n, 1],
    ]);
    const star = await sql(
      client,
      'select * from orders o join users u on u.uid = o.uid and u.pid = o.pid where o.oid = 4',
    );
    expect(star.names).toEqual([
      'oid',
      'uid',
      'pid',
      'amount',
      'uid',
      'pid',
      'name',
      'age',
      'grade',
      'vip',
      'photo',
      'note',
    ]);
    expect((star.raw.consumes ?? []).map((c) => c.tableName ?? c.table_name).sort()).toEqual(['orders', 'users']);
  });
});

describe('errors', () => {
  const failing: [string, RegExp][] = [
    ['selec * from users', /syntax at line 1, column 7/],
    ['select * from users where', /syntax at line 1, column 26/],
    ['select * from nope', /Table 'nope' doesn't exist/],
    ['select nope from users', /Unknown column 'nope'/],
    ['select * from users where name > 5', /Type mismatch/],
    ['select pid + name from users', /Type mismatch/],
    ["select * from users where name like 1 and uid = 'a'", /Type mismatch/],
    ['select * from users where count(*) > 1', /group function/],
    ['select name, count(*) from users', /GROUP BY/],
    ['select name from users group by age', /GROUP BY/],
    ['select no_such_fn(pid) from users', /Function no_such_fn is not supported/],
    ["insert into users values ('x', 1)", /INSERT statements are not supported/],
    ['delete from users', /not supported/],
    ['drop table users', /DROP MAPPING TABLE/],
    ['select * from users u join users u on u.pid = u.pid', /Not unique table\/alias/],
    ['select pid from users u join users v on u.pid = v.pid', /ambiguous/],
    ['select * from users u full join users v on u.pid = v.pid', /not supported|syntax/],
    ['select * from users union select * from users', /UNION|syntax/],
    ['select * from users limit -1', /LIMIT|syntax/],
    ['select 1; select 2', /one SQL statement/],
    ['', /empty/],
  ];
  it.each(failing)('%s', async (q, re) => {
    const e = await sdkError(sql(client, q));
    expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
    expect(e.message).toMatch(re);
  });
});

describe('RAM actions', () => {
  it('asks ots:SQL<Statement> on the tables a statement names', async () => {
    const seen: AuthzRequest[] = [];
    const identities: IdentityStore = {
      lookup: () => ({
        ok: true,
        secret: 'ram-secret',
        accountId: '7',
        principal: 'user/sql',
        authorize: (req) => {
          seen.push(req);
          if (req.action === 'ots:SQLSelect' && req.resources.some((r) => r.endsWith('/table/secret')))
            return { allowed: false, reason: 'deny' };
          if (req.action === 'ots:SQLShowTable') return { allowed: false, reason: 'deny' };
          return { allowed: true };
        },
      }),
    };
    const ram = await startLocal({ identities });
    try {
      const c = sdkClient({ ...ram, accessKeyId: 'ram-key', accessKeySecret: 'ram-secret' });
      for (const t of ['open', 'secret']) {
        await c.createTable({
          tableMeta: { tableName: t, primaryKey: [{ name: 'k', type: 'STRING' }] },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: -1, maxVersions: 1 },
        });
      }
      const actions = async (q: string) => {
        seen.length = 0;
        await sql(c, q).catch(() => undefined);
        return seen.map((r) => [r.action, r.resources.map((x) => x.split('/table/')[1]).join(',')]);
      };
      expect(await actions('select * from open')).toEqual([['ots:SQLSelect', 'open']]);
      expect(await actions('describe open')).toEqual([['ots:SQLDescribeTable', 'open']]);
      expect(await actions('create table open (k varchar(1024), primary key(k))')).toEqual([
        ['ots:SQLCreateTable', 'open'],
      ]);
      expect(await actions('alter table open add column v bigint')).toEqual([['ots:SQLAlterTable', 'open']]);
      expect(await actions('drop mapping table open')).toEqual([['ots:SQLDropTable', 'open']]);
      expect(await actions('show tables')).toEqual([['ots:SQLShowTable', '*']]);
      const denied = await sdkError(sql(c, 'select * from secret'));
      expect([denied.status, denied.code]).toEqual([403, 'OTSNoPermissionAccess']);
      expect((await sdkError(sql(c, 'show tables'))).code).toBe('OTSNoPermissionAccess');
    } finally {
      await ram.stop();
    }
  });
});
