import { startTablestoreLocal } from './local/tablestore/server';
import { fromStatic } from './lib/credentials';
import { WideTableClient } from './lib/tablestore/wide';
import { parseIdentities } from './local/sts/identities';
import { LocalIam } from './local/sts/iam';
const ADMIN = { accessKeyId: 'ADMINKEY0001', accessKeySecret: 'admin-secret' };
const iam = new LocalIam(parseIdentities({ accountId: '1029384756000001', users: [{ name: 'admin', accessKeys: [{ id: ADMIN.accessKeyId, secret: ADMIN.accessKeySecret }], policies: ['AliyunOTSFullAccess'] }], roles: [] }));
const ots = await startTablestoreLocal({ port: 0, instance: 'perfinst', region: 'cn-hangzhou', identities: iam });
for (const sig of ['v2', 'v4', 'v2', 'v4'] as const) {
  const c = new WideTableClient({ endpoint: ots.endpoint, instance: 'perfinst', region: 'cn-hangzhou', signatureVersion: sig, credentials: fromStatic(ADMIN) });
  try { await c.createTable({ table: 'o', primaryKey: [{ name: 'id', type: 'INTEGER' }] }); await c.batchWriteRow({ tables: [{ table: 'o', rows: Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, primaryKey: { id: i }, columns: { item: `item-${i}` } })) }] }); } catch {}
  const t = performance.now();
  for (let b = 0; b < 10; b++) await Promise.all(Array.from({ length: 100 }, (_, i) => c.getRow({ table: 'o', primaryKey: { id: i } })));
  console.log(sig, (performance.now() - t).toFixed(0), 'ms / 1000 getRow');
}
import { createRequire } from 'node:module';
const TS = createRequire(import.meta.url)('tablestore');
const sdk = new TS.Client({ accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.accessKeySecret, endpoint: ots.endpoint, instancename: 'perfinst', maxRetries: 0 });
for (let k = 0; k < 2; k++) {
  const t = performance.now();
  for (let b = 0; b < 10; b++) await Promise.all(Array.from({ length: 100 }, (_, i) => sdk.getRow({ tableName: 'o', primaryKey: [{ id: TS.Long.fromNumber(i) }] })));
  console.log('sdk', (performance.now() - t).toFixed(0), 'ms / 1000 getRow');
}
await ots.stop();
