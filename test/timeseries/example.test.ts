/** The documented example (examples/timeseries.ts) runs against Tablestore Local and finds what it says. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { runExample } from '../../examples/timeseries';

let local: LocalTablestoreHandle;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.stop();
});

it('writes, pages through and queries series as docs/timeseries.md describes', async () => {
  const lines: string[] = [];
  const target = {
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      source: 'test',
    }),
  };
  const first = await runExample(target, (l) => lines.push(l));
  expect(first).toEqual({ points: 600, pages: 3, webSeries: ['web-1', 'web-2'], ownedSeries: ['db-1'] });
  expect(lines[0]).toBe('created example_metrics');
  // Idempotent: a second run reuses the table and rewrites the same points.
  const second = await runExample(target, () => {});
  expect(second).toEqual(first);
});
