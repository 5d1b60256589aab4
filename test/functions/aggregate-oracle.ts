/** The test oracle of aggregation: group every point by its epoch-aligned bucket, then apply the function to the whole group. */
import type { AggFunction } from '../../lib/api/aggregate';
import type { TsValue } from '../../lib/api/lossless';
import type { Point } from '../../lib/api/ports';

export function bruteForce(
  points: readonly Point[],
  intervalUs: number,
  fn: (field: string) => AggFunction | undefined,
): Point[] {
  const groups = new Map<number, Point[]>();
  for (const p of points) {
    const b = Math.floor(p.time / intervalUs) * intervalUs;
    groups.set(b, [...(groups.get(b) ?? []), p]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, group]) => {
      const names = [...new Set(group.flatMap((p) => Object.keys(p.fields)))].filter((n) => fn(n) !== undefined).sort();
      const fields: Record<string, TsValue> = {};
      for (const name of names) {
        const values = group.flatMap((p) => (Object.hasOwn(p.fields, name) ? [p.fields[name]] : []));
        const nums = values.filter((v): v is bigint | number => typeof v === 'bigint' || typeof v === 'number');
        const ints = nums.every((v) => typeof v === 'bigint');
        let value: TsValue | undefined;
        switch (fn(name) as AggFunction) {
          case 'count':
            value = BigInt(values.length);
            break;
          case 'first':
            value = values[0];
            break;
          case 'last':
            value = values[values.length - 1];
            break;
          case 'sum':
            if (nums.length > 0)
              value = ints
                ? BigInt.asIntN(
                    64,
                    nums.reduce((a, v) => a + v, 0n),
                  )
                : nums.reduce((a: number, v) => a + Number(v), 0);
            break;
          case 'avg':
            if (nums.length > 0)
              value = ints
                ? Number(nums.reduce((a, v) => a + v, 0n)) / nums.length
                : nums.reduce((a: number, v) => a + Number(v), 0) / nums.length;
            break;
          case 'min':
          case 'max': {
            if (nums.length === 0) break;
            const sorted = [...nums].sort((a, b) =>
              Number(a) < Number(b)
                ? -1
                : Number(a) > Number(b)
                  ? 1
                  : typeof a === 'bigint' && typeof b === 'bigint'
                    ? a < b
                      ? -1
                      : a > b
                        ? 1
                        : 0
                    : 0,
            );
            const pick = fn(name) === 'min' ? sorted[0] : sorted[sorted.length - 1];
            value = ints ? pick : Number(pick);
            break;
          }
        }
        if (value !== undefined) fields[name] = value;
      }
      return { time, fields };
    });
}
