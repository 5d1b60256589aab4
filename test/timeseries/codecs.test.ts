import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import TableStore from 'tablestore';
import { crc32c, crc32cSigned } from '../../lib/tablestore/protocol/crc32c';
import {
  decodeFlatBufferRows,
  encodeFlatBufferRowGroups,
  encodeFlatBufferRows,
  FlatBufferDataType,
  FlatBufferFormatError,
  type TimeseriesFieldValue,
} from '../../lib/tablestore/protocol/flatbuffer-rows';
import { decodeTimeseriesMessage, encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { decodeRows } from '../../lib/tablestore/protocol/plainbuffer';
import { decodePointRows, encodePointRows, encodePointRowsGeneric } from '../../lib/tablestore/timeseries/rows';
import { formatTags, parseTags, parseTagPairs } from '../../lib/tablestore/timeseries/tags';
import {
  and,
  attribute,
  decodeMetaCondition,
  encodeMetaCondition,
  measurement,
  not,
  or,
  source,
  tag,
  updateTime,
} from '../../lib/tablestore/timeseries/conditions';
import { backoffDelayMs, isRetryable } from '../../lib/tablestore/protocol/retry-policy';
import { KeyReader, KeyWriter } from '../../local/tablestore/handlers/timeseries/keys';
import { decodeFields, encodeFields } from '../../local/tablestore/handlers/timeseries/point-codec';

// ---- arbitraries shared by the properties below
const tagKey = fc.stringMatching(/^[!#-<>-~]{1,12}$/); // printable ASCII without '"' and '='
const tagValue = fc
  .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
  .filter((v) => !v.includes('"') && !v.includes('='));
const tags = fc.dictionary(tagKey, tagValue, { maxKeys: 5 });
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const fieldValue: fc.Arbitrary<TimeseriesFieldValue> = fc.oneof(
  int64,
  fc.double(),
  fc.boolean(),
  fc.string({ maxLength: 20, unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 20 }),
);
const fieldName = fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' }).filter((n) => n !== '__proto__');
const fields = fc.dictionary(fieldName, fieldValue, { minKeys: 0, maxKeys: 8 });
const row = fc.record({
  measurement: fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme' }),
  dataSource: fc.string({ maxLength: 16, unit: 'grapheme' }),
  tagList: fc.array(fc.record({ name: tagKey, value: tagValue }), { maxLength: 4 }),
  time: int64,
  fields,
  metaCacheUpdateTime: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('CRC-32C', () => {
  it('matches the check value of docs/protocol.md §6 (123456789 → 0xE3069283, signed −486108541)', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32c(data)).toBe(0xe3069283);
    expect(crc32cSigned(data)).toBe(-486108541);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals the native @node-rs/crc32 implementation on random data, also when chained', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const k = Math.min(cut, data.length);
        expect(crc32c(data)).toBe(nativeCrc32c(Buffer.from(data)));
        expect(crc32c(data.subarray(k), crc32c(data.subarray(0, k)))).toBe(crc32c(data));
      }),
    );
  });
});

describe('FlatBuffer rows', () => {
  it('encode → decode is the identity for random keys, tags, fields and times', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 5 }), (rows) => {
        const decoded = decodeFlatBufferRows(encodeFlatBufferRows(rows));
        expect(decoded).toHaveLength(rows.length);
        decoded.forEach((d, i) => {
          const r = rows[i];
          expect(d.measurement).toBe(r.measurement);
          expect(d.dataSource).toBe(r.dataSource);
          expect(d.time).toBe(r.time);
          expect(d.metaCacheUpdateTime).toBe(r.metaCacheUpdateTime);
          expect(d.tagList).toEqual(
            [...r.tagList].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
          );
          expect(Object.keys(d.fields).sort()).toEqual(Object.keys(r.fields).sort());
          for (const [name, value] of Object.entries(r.fields)) {
            if (value instanceof Uint8Array) expect(Uint8Array.from(d.fields[name] as Uint8Array)).toEqual(value);
            else expect(Object.is(d.fields[name], value) || d.fields[name] === value).toBe(true);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('decodes many rows per group and the old string tag form', () => {
    const bytes = encodeFlatBufferRowGroups([
      {
        measurement: 'cpu',
        fields: [
          { name: 'a', type: FlatBufferDataType.LONG },
          { name: 'b', type: FlatBufferDataType.DOUBLE },
          { name: 'c', type: FlatBufferDataType.LONG },
        ],
        rows: [
          { dataSource: 'h1', tags: '["dc=x"]', time: 10n, values: [1n, 0.5, 3n] },
          { dataSource: 'h2', time: 20n, values: [-1n, 1.5, 9n] },
        ],
      },
    ]);
    const rows = decodeFlatBufferRows(bytes);
    expect(rows.map((r) => [r.dataSource, r.tags, r.time, r.fields])).toEqual([
      ['h1', '["dc=x"]', 10n, { a: 1n, b: 0.5, c: 3n }],
      ['h2', undefined, 20n, { a: -1n, b: 1.5, c: 9n }],
    ]);
  });

  it('rejects malformed bytes with FlatBufferFormatError and never throws anything else', () => {
    const good = encodeFlatBufferRows([
      {
        measurement: 'm',
        dataSource: 's',
        tagList: [{ name: 'k', value: 'v' }],
        time: 1n,
        fields: { x: 1n, y: 'str', z: new Uint8Array([1]) },
      },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const bad = good.slice();
          for (const [at, v] of edits) bad[at] = v;
          try {
            decodeFlatBufferRows(bad);
          } catch (err) {
            expect(err).toBeInstanceOf(FlatBufferFormatError);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(() => decodeFlatBufferRows(good.subarray(0, 5))).toThrow(FlatBufferFormatError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        try {
          decodeFlatBufferRows(junk);
        } catch (err) {
          expect(err).toBeInstanceOf(FlatBufferFormatError);
        }
      }),
    );
  });
});

describe('tag string form', () => {
  it('formats sorted without spaces and parses back', () => {
    expect(formatTags({ z: '1', a: 'x y' })).toBe('["a=x y","z=1"]');
    expect(formatTags({})).toBe('[]');
    expect(parseTags('')).toEqual({});
    fc.assert(
      fc.property(tags, (t) => {
        expect(parseTags(formatTags(t))).toEqual(t);
      }),
    );
  });

  it('rejects malformed text', () => {
    for (const bad of ['[', '["a"]', '["=v"]', '["a=b",]', '["a=b""c=d"]', '["a=b","a=c"]', 'a=b']) {
      expect(() => parseTagPairs(bad), bad).toThrow();
    }
  });
});

describe('GetTimeseriesData PlainBuffer rows', () => {
  const point = fc.record({
    measurement: fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' }),
    dataSource: fc.string({ maxLength: 10, unit: 'grapheme' }),
    tags,
    time: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    fields: fc.dictionary(
      fieldName.filter((n) => !n.includes(':')),
      fieldValue,
      { maxKeys: 6 },
    ),
  });

  it('round-trips points (_#h first, then _m_name, _data_source, _tags, _time; fields as name:type), byte-identical to the generic writer', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 6 }), (points) => {
        const bytes = encodePointRows(
          points.map((p) => ({
            hash: 'abcd',
            measurement: p.measurement,
            dataSource: p.dataSource,
            tags: formatTags(p.tags),
            time: p.time,
            fields: Object.entries(p.fields),
          })),
        );
        expect(Buffer.from(bytes)).toEqual(
          Buffer.from(
            encodePointRowsGeneric(
              points.map((p) => ({
                hash: 'abcd',
                measurement: p.measurement,
                dataSource: p.dataSource,
                tags: formatTags(p.tags),
                time: p.time,
                fields: Object.entries(p.fields),
              })),
            ),
          ),
        );
        const rows = decodeRows(bytes);
        expect(rows[0].primaryKey.map((c) => c.name)).toEqual(['_#h', '_m_name', '_data_source', '_tags', '_time']);
        for (const r of rows) for (const a of r.attributes) expect(a.name.split(':')).toHaveLength(2);
        const back = decodePointRows(bytes);
        const plain = (f: Readonly<Record<string, TimeseriesFieldValue>>) =>
          Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v instanceof Uint8Array ? Uint8Array.from(v) : v]));
        expect(
          back.map((b) => ({
            measurement: b.key.measurement,
            dataSource: b.key.dataSource,
            tags: b.key.tags,
            time: b.time,
            fields: plain(b.fields),
          })),
        ).toEqual(
          points.map((p) => ({
            ...p,
            fields: Object.fromEntries(
              Object.entries(p.fields).map(([k, v]) => [k, v instanceof Uint8Array ? Uint8Array.from(v) : v]),
            ),
          })),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('produces rows whose CRC-8 checksums the official Node SDK reader accepts', () => {
    const bytes = encodePointRows([
      {
        hash: '00ff',
        measurement: 'cpu',
        dataSource: 'host-1',
        tags: '["dc=hz"]',
        time: 1_700_000_000_000_000n,
        fields: [
          ['load', 0.25],
          ['n', 7n],
          ['ok', true],
          ['s', 'up'],
        ],
      },
      {
        hash: '00ff',
        measurement: 'cpu',
        dataSource: 'host-1',
        tags: '["dc=hz"]',
        time: 1_700_000_000_000_001n,
        fields: [['bin', new Uint8Array([1, 2])]],
      },
    ]);
    const sdk = TableStore as unknown as {
      PlainBufferInputStream: new (b: { buffer: Buffer; offset: number; limit: number }) => unknown;
      PlainBufferCodedInputStream: new (s: unknown) => {
        readRows(): { primaryKey: { name: string }[]; attributes: { columnName: string }[] }[];
      };
    };
    const input = new sdk.PlainBufferInputStream({ buffer: Buffer.from(bytes), offset: 0, limit: bytes.length });
    const rows = new sdk.PlainBufferCodedInputStream(input).readRows();
    expect(rows).toHaveLength(2);
    expect(rows[0].primaryKey.map((c) => c.name)).toEqual(['_#h', '_m_name', '_data_source', '_tags', '_time']);
    expect(rows[0].attributes.map((a) => a.columnName)).toEqual(['load:d', 'n:i', 'ok:b', 's:s']);
    // A flipped bit must be caught by the checksums.
    const bad = Buffer.from(bytes);
    bad[30] ^= 0x01;
    expect(() => decodeRows(bad)).toThrow();
  });

  it('writes custom key columns before _time and field primary key columns after it', () => {
    const points = [1n, 2n].map((t) => ({
      hash: 'h',
      measurement: 'm',
      dataSource: 's',
      tags: '["host=a"]',
      extraKey: [{ name: 'host', value: 'a' }],
      time: t,
      fieldKey: [{ name: 'seq', value: t * 10n }],
      fields: [['v', 1.5]] as [string, number][],
    }));
    const bytes = encodePointRows(points);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(encodePointRowsGeneric(points)));
    expect(decodeRows(bytes)[0].primaryKey.map((c) => c.name)).toEqual([
      '_#h',
      '_m_name',
      '_data_source',
      '_tags',
      'host',
      '_time',
      'seq',
    ]);
    expect(decodePointRows(bytes).map((p) => p.fields)).toEqual([
      { seq: 10n, v: 1.5 },
      { seq: 20n, v: 1.5 },
    ]);
  });

  it('treats empty rows_data as no points', () => {
    expect(encodePointRows([])).toHaveLength(0);
    expect(decodePointRows(new Uint8Array(0))).toEqual([]);
  });
});

describe('meta query conditions', () => {
  it('encode → decode through protobuf keeps nested composites', () => {
    const c = and(
      measurement('=', 'cpu'),
      or(tag('dc', 'prefix', 'cn-'), not(source('>=', 'h9'))),
      attribute('owner', '<', 'm'),
      updateTime('>', 1_700_000_000_000_000n),
    );
    const wire = encodeTimeseriesMessage('MetaQueryCondition', encodeMetaCondition(c));
    expect(decodeMetaCondition(decodeTimeseriesMessage('MetaQueryCondition', wire))).toEqual(c);
  });
});

describe('retry classes', () => {
  it('retries throttling for any API and ambiguous failures only when idempotent', () => {
    expect(isRetryable({ code: 'OTSServerBusy', httpStatus: 503 }, false)).toBe(true);
    expect(isRetryable({ code: 'OTSRowOperationConflict', httpStatus: 409 }, false)).toBe(true);
    expect(
      isRetryable({ code: 'OTSQuotaExhausted', message: 'Too frequent table operations.', httpStatus: 403 }, false),
    ).toBe(true);
    expect(
      isRetryable(
        { code: 'OTSQuotaExhausted', message: 'Number of tables exceeded the quota.', httpStatus: 403 },
        true,
      ),
    ).toBe(false);
    expect(isRetryable({ code: 'OTSInternalServerError', httpStatus: 500 }, false)).toBe(false);
    expect(isRetryable({ code: 'OTSInternalServerError', httpStatus: 500 }, true)).toBe(true);
    expect(isRetryable({ code: 'OTSTimeout', httpStatus: 503 }, false)).toBe(false);
    expect(isRetryable({ code: 'Weird', httpStatus: 502 }, true)).toBe(true);
    expect(isRetryable({ code: 'OTSParameterInvalid', httpStatus: 400 }, true)).toBe(false);
    expect(isRetryable({ transportFailure: true, requestSent: true }, false)).toBe(false);
    expect(isRetryable({ transportFailure: true, requestSent: false }, false)).toBe(true);
    expect(isRetryable({ transportFailure: true, requestSent: true }, true)).toBe(true);
  });

  it('backs off with full jitter under a doubling, capped ceiling', () => {
    expect(backoffDelayMs(0, { baseMs: 10 }, () => 0.999)).toBe(10);
    expect(backoffDelayMs(3, { baseMs: 10 }, () => 0.999)).toBe(80);
    expect(backoffDelayMs(20, { baseMs: 10, capMs: 500 }, () => 0.999)).toBe(500);
    expect(backoffDelayMs(5, { baseMs: 10 }, () => 0)).toBe(1);
  });
});

describe('Tablestore Local storage keys', () => {
  it('byte order of encoded keys equals the order of (string, int64) tuples', () => {
    const tuple = fc.tuple(fc.string({ maxLength: 6, unit: 'binary' }), int64);
    const cmpStr = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    fc.assert(
      fc.property(tuple, tuple, ([s1, t1], [s2, t2]) => {
        const k1 = new KeyWriter().string(s1).int64(t1).finish();
        const k2 = new KeyWriter().string(s2).int64(t2).finish();
        const expected = cmpStr(s1, s2) || (t1 < t2 ? -1 : t1 > t2 ? 1 : 0);
        expect(Math.sign(Buffer.compare(k1, k2))).toBe(Math.sign(expected));
        const r = new KeyReader(k1);
        expect(r.string()).toBe(s1);
        expect(r.int64()).toBe(t1);
      }),
      { numRuns: 300 },
    );
  });

  it('stores point fields losslessly', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const entries = Object.entries(f);
        const back = decodeFields(encodeFields(entries));
        expect(back.map(([n, v]) => [n, v instanceof Uint8Array ? Uint8Array.from(v) : v])).toEqual(entries);
      }),
    );
  });
});
