import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TableStore, sdkClient, type SdkClient } from '../helpers/tablestore-local';

const Long = TableStore.Long;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const READY = /^Tablestore Local listening on (http:\/\/127\.0\.0\.1:(\d+)) \(instance (\S+), region (\S+)\)$/;
const children: ChildProcess[] = [];
let dir = '';

/** Starts the real CLI in a child process and resolves with its endpoint once the ready line appears. */
async function startCli(dataDir: string): Promise<{ child: ChildProcess; client: SdkClient; lines: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/tablestore/cli.ts',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--access-key',
      'pk-id:pk-secret',
      '--instance',
      'persist',
    ],
    {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const lines: string[] = [];
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not become ready: ${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const m = READY.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code}`)));
  });
  const client = sdkClient({ endpoint, instance: 'persist', accessKeyId: 'pk-id', accessKeySecret: 'pk-secret' });
  return { child, client, lines };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('--data-dir persistence', () => {
  it('keeps every acknowledged write across kill -9 and restarts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tablestore-local-'));
    const first = await startCli(dir);
    expect(first.lines[1]).toContain('AccessKeyId: pk-id');
    const c = first.client;
    const meta = (name: string) => ({
      tableMeta: { tableName: name, primaryKey: [{ name: 'k', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 2 },
    });
    await c.createTable(meta('kept'));
    await c.createTable(meta('dropped'));
    for (let i = 0; i < 1000; i += 200) {
      await c.batchWriteRow({
        tables: [
          {
            tableName: 'kept',
            rows: Array.from({ length: 200 }, (_, j) => ({
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: [{ k: Long.fromNumber(i + j) }],
              attributeColumns: [{ v: `row${i + j}` }],
            })),
          },
        ],
      });
    }
    await c.updateRow({
      tableName: 'kept',
      condition: IGNORE(),
      primaryKey: [{ k: Long.fromNumber(7) }],
      updateOfAttributeColumns: [{ PUT: [{ v: 'updated' }] }],
    });
    await c.deleteRow({ tableName: 'kept', condition: IGNORE(), primaryKey: [{ k: Long.fromNumber(8) }] });
    await c.putRow({
      tableName: 'dropped',
      condition: IGNORE(),
      primaryKey: [{ k: Long.fromNumber(1) }],
      attributeColumns: [{ v: 'x' }],
    });
    await c.deleteTable({ tableName: 'dropped' });
    await c.updateTable({ tableName: 'kept', tableOptions: { maxVersions: 3 } });
    await kill9(first.child);

    const second = await startCli(dir);
    const d = second.client;
    expect((await d.listTable({})).tableNames).toEqual(['kept']);
    expect((await d.describeTable({ tableName: 'kept' })).tableOptions?.maxVersions).toBe(3);
    const seven = await d.getRow({ tableName: 'kept', primaryKey: [{ k: Long.fromNumber(7) }], maxVersions: 5 });
    expect(seven.row!.attributes!.map((a) => a.columnValue)).toEqual(['updated', 'row7']);
    const eight = await d.getRow({ tableName: 'kept', primaryKey: [{ k: Long.fromNumber(8) }], maxVersions: 1 });
    expect(eight.row?.primaryKey ?? []).toEqual([]);
    let count = 0;
    let next: unknown = TableStore.INF_MIN;
    while (next !== undefined) {
      const page = await d.getRange({
        tableName: 'kept',
        direction: 'FORWARD',
        inclusiveStartPrimaryKey: [{ k: next }],
        exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
        maxVersions: 1,
        limit: 400,
      });
      count += page.rows!.length;
      next = page.nextStartPrimaryKey?.[0].value;
    }
    expect(count).toBe(999);
    await d.createTable(meta('dropped'));
    const again = await d.getRow({ tableName: 'dropped', primaryKey: [{ k: Long.fromNumber(1) }], maxVersions: 1 });
    expect(again.row?.primaryKey ?? []).toEqual([]);

    // A second server on the same directory is refused while the first holds it.
    const clash = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/tablestore/cli.ts', '--port', '0', '--data-dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(clash);
    let stderr = '';
    clash.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => clash.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot open data directory');
    await kill9(second.child);
  });
});

describe('--data-dir visibility under kill -9', () => {
  const KILLS = 5;

  it(`no reader sees a row that kill -9 then takes away, and no acknowledged write is lost (${KILLS} kills)`, async () => {
    const rcDir = await mkdtemp(join(tmpdir(), 'tablestore-local-rc-'));
    try {
      const acked = new Set<number>();
      const seen = new Set<number>();
      let nextKey = 0;
      for (let round = 0; round <= KILLS; round += 1) {
        const { child, client } = await startCli(rcDir);
        // Everything acknowledged or read in earlier rounds must be here after the restart.
        const present = new Set<number>();
        let from: unknown = TableStore.INF_MIN;
        if (round === 0) {
          await client.createTable({
            tableMeta: { tableName: 'rc', primaryKey: [{ name: 'k', type: 'INTEGER' }] },
            reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
            tableOptions: { timeToLive: -1, maxVersions: 1 },
          });
        }
        while (from !== undefined) {
          const page = await client.getRange({
            tableName: 'rc',
            direction: 'FORWARD',
            inclusiveStartPrimaryKey: [{ k: from }],
            exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
            maxVersions: 1,
            limit: 5000,
          });
          for (const row of page.rows ?? [])
            present.add((row.primaryKey![0].value as { toNumber(): number }).toNumber());
          from = page.nextStartPrimaryKey?.[0].value;
        }
        expect(
          [...acked].filter((k) => !present.has(k)),
          'acknowledged writes lost',
        ).toEqual([]);
        expect(
          [...seen].filter((k) => !present.has(k)),
          'rows read, then lost',
        ).toEqual([]);
        if (round === KILLS) {
          await kill9(child);
          break;
        }
        // Load: writers put fresh keys (concurrent puts share fsync'd batches); readers poll the newest rows.
        let running = true;
        const writer = async () => {
          while (running) {
            const k = nextKey++;
            try {
              await client.putRow({
                tableName: 'rc',
                condition: IGNORE(),
                primaryKey: [{ k: Long.fromNumber(k) }],
                attributeColumns: [{ v: k }],
              });
              acked.add(k);
            } catch {
              return; // the server is gone
            }
          }
        };
        const reader = async () => {
          while (running) {
            try {
              const page = await client.getRange({
                tableName: 'rc',
                direction: 'BACKWARD',
                inclusiveStartPrimaryKey: [{ k: TableStore.INF_MAX }],
                exclusiveEndPrimaryKey: [{ k: TableStore.INF_MIN }],
                maxVersions: 1,
                limit: 20,
              });
              for (const row of page.rows ?? [])
                seen.add((row.primaryKey![0].value as { toNumber(): number }).toNumber());
              const one = await client.getRow({
                tableName: 'rc',
                primaryKey: [{ k: Long.fromNumber(nextKey - 1) }],
                maxVersions: 1,
              });
              if (one.row?.primaryKey?.length)
                seen.add((one.row.primaryKey[0].value as { toNumber(): number }).toNumber());
            } catch {
              return;
            }
          }
        };
        const load = [...Array.from({ length: 16 }, writer), ...Array.from({ length: 16 }, reader)];
        await new Promise((r) => setTimeout(r, 400 + Math.floor(Math.random() * 600)));
        await kill9(child);
        running = false;
        await Promise.all(load);
      }
      // The load really ran (few rows on a loaded machine are still a valid run).
      expect(acked.size).toBeGreaterThan(10);
      expect(seen.size).toBeGreaterThan(5);
    } finally {
      await rm(rcDir, { recursive: true, force: true });
    }
  }, 240_000);
});
