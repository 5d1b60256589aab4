import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import TableStore from 'tablestore';
import { crc8Bytes } from '../../lib/tablestore/protocol/crc8';
import {
  AUTO_INCREMENT,
  CellOp,
  INF_MAX,
  INF_MIN,
  PlainBufferError,
  decodeColumnValue,
  decodeRows,
  encodeColumnValue,
  encodeRow,
  encodeRows,
  type PlainBufferRow,
} from '../../lib/tablestore/protocol/plainbuffer';
import {
  EMPTY_BODY_MD5,
  contentMd5,
  deriveV4SigningKey,
  responseAuthorization,
  signRequestHeaders,
  signV2,
  signV4,
  stringToSignV2,
} from '../../lib/tablestore/protocol/sign';
import {
  TablestoreError,
  decodeErrorBody,
  encodeErrorBody,
  errorFromResponse,
  fromNodeSdkError,
} from '../../lib/tablestore/protocol/errors';
import {
  ProtoDecodeError,
  decodeMessage,
  encodeMessage,
  type GetRangeRequest,
} from '../../lib/tablestore/protocol/proto/wide';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-8', () => {
  it('matches the CRC-8/SMBUS check value', () => {
    expect(crc8Bytes(0, Buffer.from('123456789'))).toBe(0xf4);
  });

  it('folds eight bytes at a time exactly as the bit-by-bit definition, from any crc and over any range', () => {
    // The definition itself (poly 0x07, MSB first), independent of the tables under test.
    const bitwise = (crc: number, bytes: Uint8Array, start: number, end: number) => {
      let c = crc;
      for (let i = start; i < end; i++) {
        c ^= bytes[i];
        for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
      }
      return c;
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        fc.nat(),
        (bytes, crc, a, b) => {
          const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
          const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
          expect(crc8Bytes(crc, bytes, start, end)).toBe(bitwise(crc, bytes, start, end));
          expect(crc8Bytes(crc, Buffer.from(bytes), start, end)).toBe(bitwise(crc, bytes, start, end));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('PlainBuffer', () => {
  const putVector = hex(
    '75000000 01 03 04 02000000 706b 05 06000000 03 01000000 61 0a d4 02 03 04 01000000 63 05 06000000 03 01000000 76 0a de 09 e8',
  );
  const respVector = hex(
    '75000000 01 03 04 02000000 706b 05 09000000 00 0100000000000000 0a 4c 02 03 04 01000000 63 05 06000000 03 01000000 76 07 0068e5cf8b010000 0a 3b 09 12',
  );

  it('encodes the request vector of docs/protocol.md §5.4 byte for byte', () => {
    expect(
      Buffer.from(encodeRow({ primaryKey: [{ name: 'pk', value: 'a' }], attributes: [{ name: 'c', value: 'v' }] })),
    ).toEqual(putVector);
  });

  it('encodes and decodes the response vector of docs/protocol.md §5.4', () => {
    const row: PlainBufferRow = {
      primaryKey: [{ name: 'pk', value: 1n }],
      attributes: [{ name: 'c', value: 'v', timestamp: 1700000000000 }],
    };
    expect(Buffer.from(encodeRow(row))).toEqual(respVector);
    expect(decodeRows(respVector)).toEqual([row]);
  });

  it('round-trips every value type, markers, ops, delete marker and several rows', () => {
    const rows: PlainBufferRow[] = [
      {
        primaryKey: [
          { name: 'a', value: -5n },
          { name: 'b', value: new Uint8Array([0, 255]) },
          { name: 'c', value: INF_MIN },
          { name: 'd', value: INF_MAX },
          { name: 'e', value: AUTO_INCREMENT },
        ],
        attributes: [
          { name: 'i', value: 9007199254740993n },
          { name: 'd', value: 1.5 },
          { name: 'b', value: true },
          { name: 's', value: 'héllo' },
          { name: 'x', op: CellOp.DELETE_ALL_VERSIONS },
          { name: 'y', op: CellOp.DELETE_ONE_VERSION, timestamp: 42 },
          { name: 'z', value: 3n, op: CellOp.INCREMENT },
        ],
      },
      { primaryKey: [{ name: 'a', value: 'k' }], attributes: [], deleteMarker: true },
    ];
    expect(decodeRows(encodeRows(rows))).toEqual(rows);
  });

  it('round-trips timestamps across the 32-bit boundary and long non-ASCII strings', () => {
    for (const timestamp of [0, 1, 0xffffffff, 0x100000000, 1700000000000, Number.MAX_SAFE_INTEGER, -1, -0x100000001]) {
      const row: PlainBufferRow = {
        primaryKey: [{ name: 'k', value: 'é'.repeat(40) }],
        attributes: [{ name: '列'.repeat(3), value: 'x'.repeat(100), timestamp }],
      };
      expect(decodeRows(encodeRows([row]))).toEqual([row]);
    }
  });

  it('encodes filter column values bare', () => {
    expect(Buffer.from(encodeColumnValue(1n))).toEqual(hex('00 0100000000000000'));
    expect(Buffer.from(encodeColumnValue('ab'))).toEqual(hex('03 02000000 6162'));
    expect(decodeColumnValue(encodeColumnValue(false))).toBe(false);
    expect(decodeColumnValue(encodeColumnValue(2.25))).toBe(2.25);
  });

  it('rejects a bad cell checksum, a bad row checksum, a wrong header and truncation', () => {
    const badCell = Buffer.from(putVector);
    badCell[badCell.indexOf(0xd4)] = 0xd5;
    expect(() => decodeRows(badCell)).toThrow(/cell checksum/);
    const badRow = Buffer.from(putVector);
    badRow[badRow.length - 1] ^= 1;
    expect(() => decodeRows(badRow)).toThrow(/row checksum/);
    expect(() => decodeRows(hex('76000000'))).toThrow(/header/);
    for (let n = 5; n < putVector.length; n++)
      expect(() => decodeRows(putVector.subarray(0, n))).toThrow(PlainBufferError);
  });

  it("tolerates the Node SDK's trailing zero padding (only zeros, only after a row)", () => {
    const row: PlainBufferRow = { primaryKey: [{ name: 'k', value: INF_MIN }], attributes: [] };
    const bytes = encodeRows([row]);
    expect(decodeRows(Buffer.concat([bytes, Buffer.alloc(3)]))).toEqual([row]);
    expect(() => decodeRows(Buffer.concat([bytes, hex('00 01')]))).toThrow(PlainBufferError);
    expect(() => decodeRows(hex('75000000 00'))).toThrow(PlainBufferError);
  });

  it('rejects the Node SDK non-ASCII name corruption cleanly', () => {
    // Node writes the name length in UTF-16 units (1) but 3 UTF-8 bytes for "列".
    const name = Buffer.from('列');
    const bad = Buffer.concat([hex('75000000 01 03 04 01000000'), name, hex('05 06000000 03 01000000 61 0a 00 09 00')]);
    expect(() => decodeRows(bad)).toThrow(PlainBufferError);
  });

  it('never throws anything but PlainBufferError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
        try {
          decodeRows(Buffer.concat([hex('75000000'), tail]));
        } catch (err) {
          expect(err).toBeInstanceOf(PlainBufferError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PlainBuffer decoder vs the official Node SDK reader', () => {
  // The SDK's reader (tablestore/lib/protocol/plain_buffer_*) verifies both CRC-8s too; it knows no cell ops
  // or delete markers, so the rows below carry neither.
  const sdk = TableStore as unknown as {
    PlainBufferInputStream: new (b: { buffer: Buffer; offset: number; limit: number }) => unknown;
    PlainBufferCodedInputStream: new (s: unknown) => { readRows(): SdkRow[] };
  };
  interface SdkRow {
    primaryKey: { name: string; value: unknown }[];
    attributes: { columnName: string; columnValue: unknown; timestamp: unknown }[];
  }
  /** SDK values as ours: Int64LE → bigint, Buffer → plain Uint8Array. */
  const value = (v: unknown) =>
    Buffer.isBuffer(v) ? Uint8Array.from(v) : typeof v === 'object' && v !== null ? BigInt(String(v)) : v;
  const sdkDecode = (bytes: Uint8Array): PlainBufferRow[] =>
    new sdk.PlainBufferCodedInputStream(
      new sdk.PlainBufferInputStream({ buffer: Buffer.from(bytes), offset: 0, limit: bytes.length }),
    )
      .readRows()
      .map((r) => ({
        primaryKey: r.primaryKey.map((c) => ({ name: c.name, value: value(c.value) as bigint })),
        attributes: r.attributes.map((a) => ({
          name: a.columnName,
          value: value(a.columnValue) as bigint,
          ...(a.timestamp === null ? {} : { timestamp: Number(String(a.timestamp)) }),
        })),
      }));

  const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
  const name = fc.string({ minLength: 1, maxLength: 14, unit: 'grapheme' });
  const pkValue = fc.oneof(int64, fc.string({ maxLength: 20, unit: 'grapheme' }), fc.uint8Array({ maxLength: 10 }));
  const colValue = fc.oneof(
    int64,
    fc.double(),
    fc.boolean(),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 10 }),
  );
  const timestamp = fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: undefined });
  const row: fc.Arbitrary<PlainBufferRow> = fc.record({
    primaryKey: fc.array(fc.record({ name, value: pkValue }), { minLength: 1, maxLength: 4 }),
    attributes: fc.array(
      fc
        .record({ name, value: colValue, timestamp })
        .map(({ name, value, timestamp }) => (timestamp === undefined ? { name, value } : { name, value, timestamp })),
      { maxLength: 6 },
    ),
  });
  // Rows of one response repeat names and key values, which the decoder reuses from the previous row.
  const rows = fc.oneof(
    fc.array(row, { minLength: 1, maxLength: 5 }),
    fc.tuple(row, fc.integer({ min: 2, max: 4 })).map(([r, n]) => Array.from({ length: n }, () => r)),
  );

  it('decodes random rows exactly as the SDK reader does (Buffer or plain Uint8Array input)', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const bytes = encodeRows(rs);
        const expected = sdkDecode(bytes);
        expect(decodeRows(bytes)).toEqual(expected);
        expect(decodeRows(Buffer.from(bytes))).toEqual(expected);
        expect(decodeRows(bytes)).toEqual(rs);
      }),
      { numRuns: 300 },
    );
  });

  it('on corrupted bytes throws only PlainBufferError, and agrees with the SDK reader whenever both decode', () => {
    fc.assert(
      fc.property(
        row,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (r, edits) => {
          const bytes = Uint8Array.from(encodeRows([r, r]));
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          let ours: PlainBufferRow[] | undefined;
          try {
            ours = decodeRows(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(PlainBufferError);
          }
          let theirs: PlainBufferRow[] | undefined;
          try {
            theirs = sdkDecode(bytes);
          } catch {
            theirs = undefined;
          }
          if (ours && theirs) expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('signatures', () => {
  it('computes the V2 vector', () => {
    const body = hex('0a03616263');
    expect(contentMd5(body)).toBe('nu+hoWfdpFot9fzBQIGVaA==');
    const headers = {
      'x-ots-date': '2026-11-23T00:32:08.924Z',
      'x-ots-apiversion': '2015-12-31',
      'x-ots-accesskeyid': 'ak',
      'x-ots-contentmd5': 'nu+hoWfdpFot9fzBQIGVaA==',
      'x-ots-instancename': 'inst',
      'x-ots-ststoken': 'tok',
      'content-type': 'ignored',
    };
    expect(stringToSignV2('DescribeTable', headers)).toBe(
      '/DescribeTable\nPOST\n\nx-ots-accesskeyid:ak\nx-ots-apiversion:2015-12-31\nx-ots-contentmd5:nu+hoWfdpFot9fzBQIGVaA==\nx-ots-date:2026-11-23T00:32:08.924Z\nx-ots-instancename:inst\nx-ots-ststoken:tok\n',
    );
    expect(signV2('sk', 'DescribeTable', headers)).toBe('aTbdtM1cM1wAoYSSBLVjaCvMN8k=');
    expect(signV2('sk', 'DescribeTable', { ...headers, 'x-ots-signature': 'whatever' })).toBe(
      'aTbdtM1cM1wAoYSSBLVjaCvMN8k=',
    );
  });

  it('computes the V4 signing key and signature vectors', () => {
    const key = deriveV4SigningKey('sk', '20240101', 'cn-hangzhou');
    expect(key).toBe('w5/N0dmYEktyXVFKz+dsydAHoiVj3jgLLXzpFaEHHvU=');
    const headers = {
      'x-ots-accesskeyid': 'ak',
      'x-ots-apiversion': '2015-12-31',
      'x-ots-contentmd5': EMPTY_BODY_MD5,
      'x-ots-date': '2024-01-01T00:00:00.000Z',
      'x-ots-instancename': 'inst',
      'x-ots-signdate': '20240101',
      'x-ots-signregion': 'cn-hangzhou',
    };
    expect(signV4(key, 'ListTable', headers)).toBe('6Up+bZ8MqesBSy4ScXANX72UMTHmIW18OjA1RIr0qkE=');
    const signed = signRequestHeaders({
      apiName: 'ListTable',
      body: new Uint8Array(0),
      instance: 'inst',
      accessKeyId: 'ak',
      accessKeySecret: 'sk',
      signatureVersion: 'v4',
      region: 'cn-hangzhou',
      date: new Date('2024-01-01T00:00:00.000Z'),
    });
    expect(signed['x-ots-signaturev4']).toBe('6Up+bZ8MqesBSy4ScXANX72UMTHmIW18OjA1RIr0qkE=');
  });

  it('computes the response authorization vector', () => {
    const headers = {
      'x-ots-contentmd5': '1B2M2Y8AsgTpgAmY7PhCfg==',
      'x-ots-contenttype': 'protocol buffer',
      'x-ots-date': '2024-01-01T00:00:00.000Z',
      'x-ots-requestid': '0005f55a-0000-0000-0000-000000000000',
    };
    expect(responseAuthorization('ak', 'sk', 'ListTable', headers)).toBe('OTS ak:wLDCBPQRHe/aYHrRMKPisSMixhk=');
  });
});

describe('errors and protobuf', () => {
  it('round-trips the Error body and builds TablestoreError', () => {
    const body = encodeErrorBody('OTSObjectNotExist', 'Requested table does not exist.');
    expect(decodeErrorBody(body)).toEqual({ code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
    const err = errorFromResponse(404, body, 'rid-1');
    expect(err).toBeInstanceOf(TablestoreError);
    expect([err.code, err.httpStatus, err.requestId, err.retryable]).toEqual([
      'OTSObjectNotExist',
      404,
      'rid-1',
      false,
    ]);
    expect(errorFromResponse(503, new Uint8Array([0xff])).code).toBe('OTSServerUnavailable');
    expect(decodeErrorBody(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('recovers code and message from the Node SDK error shape', () => {
    const body = Buffer.from(encodeErrorBody('OTSConditionCheckFail', 'Condition check failed.'));
    const err = fromNodeSdkError({ code: 403, message: `${body.toString()} requestId:abc` });
    expect([err?.code, err?.message, err?.httpStatus, err?.requestId]).toEqual([
      'OTSConditionCheckFail',
      'Condition check failed.',
      403,
      'abc',
    ]);
  });

  it('encodes int64 without precision loss and rejects missing required fields', () => {
    const req: GetRangeRequest = {
      table_name: 't',
      direction: 1,
      time_range: { start_time: 9007199254740993n },
      inclusive_start_primary_key: new Uint8Array([1]),
      exclusive_end_primary_key: new Uint8Array([2]),
    };
    const back = decodeMessage('GetRangeRequest', encodeMessage('GetRangeRequest', req));
    expect(back.time_range?.start_time).toBe(9007199254740993n);
    expect(back.columns_to_get).toEqual([]);
    expect(() => decodeMessage('DescribeTableResponse', new Uint8Array(0))).toThrow(ProtoDecodeError);
    expect(() => decodeMessage('GetRowRequest', new Uint8Array([0xff, 0xff, 0xff]))).toThrow(ProtoDecodeError);
  });
});
