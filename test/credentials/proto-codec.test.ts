/**
 * The proto2 codec of lib/tablestore/protocol/proto: its static field tables match the .proto files, and it
 * agrees byte for byte with protobufjs (which parses the same files here, in tests only) on random messages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../lib/tablestore/protocol/proto/codec';
import { WIDE } from '../../lib/tablestore/protocol/proto/descriptors';
import { generate } from '../../scripts/gen-proto';

const protoDir = join(__dirname, '../../lib/tablestore/protocol/proto');

describe('proto codec', () => {
  it('descriptors.ts is what scripts/gen-proto.ts makes of the .proto files', () => {
    expect(readFileSync(join(protoDir, 'descriptors.ts'), 'utf8')).toBe(generate());
  });

  it('encodes like protobufjs and decodes what protobufjs encodes (int64, negative int32, repeated, nested)', () => {
    const root = protobuf.parse(readFileSync(join(protoDir, 'wide.proto'), 'utf8'), { keepCase: true }).root;
    const type = root.lookupType('ots.GetRangeRequest');
    const msg = fc.record({
      table_name: fc.string(),
      direction: fc.constantFrom(0, 1),
      columns_to_get: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      time_range: fc.record({
        start_time: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        end_time: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
      }),
      max_versions: fc.integer({ min: -2147483648, max: 2147483647 }),
      limit: fc.integer({ min: 0, max: 5000 }),
      inclusive_start_primary_key: fc.uint8Array({ maxLength: 300 }),
      exclusive_end_primary_key: fc.uint8Array({ maxLength: 3 }),
      cache_blocks: fc.boolean(),
    });
    fc.assert(
      fc.property(msg, (m) => {
        const ours = encode(WIDE, 'GetRangeRequest', m);
        const theirs = type.encode(type.fromObject(m)).finish();
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
        const back = decode<Record<string, unknown>>(WIDE, 'GetRangeRequest', theirs);
        expect({
          ...back,
          inclusive_start_primary_key: [...(back.inclusive_start_primary_key as Uint8Array)],
          exclusive_end_primary_key: [...(back.exclusive_end_primary_key as Uint8Array)],
        }).toEqual({
          ...m,
          inclusive_start_primary_key: [...m.inclusive_start_primary_key],
          exclusive_end_primary_key: [...m.exclusive_end_primary_key],
        });
      }),
      { numRuns: 200 },
    );
  });

  it('rejects truncated bytes and missing required fields', () => {
    const bytes = encode(WIDE, 'Error', { code: 'OTSServerBusy', message: 'busy' });
    expect(() => decode(WIDE, 'Error', bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
    expect(() => decode(WIDE, 'Error', encode(WIDE, 'Error', { message: 'no code' }).subarray(2))).toThrow();
    expect(() => decode(WIDE, 'DescribeTableRequest', new Uint8Array(0))).toThrow(
      /missing required field 'table_name'/,
    );
  });
});
