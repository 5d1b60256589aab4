/**
 * The simple row matrix block: the column-table form of GetRange rows that a client asks for with
 * `data_block_type_hint = DBT_SIMPLE_ROW_MATRIX` (layout in docs/protocol.md §5.8). Every row carries one
 * value (or NULL) for every field of the block, fields being the primary-key columns followed by the union
 * of the page's attribute columns; cells carry no timestamps, so a column's newest returned version stands
 * for it.
 */
import { crc8Bytes } from './crc8';
import { PlainBufferError, type ColumnValue, type PlainBufferRow, type PrimaryKeyValue } from './plainbuffer';

export const SIMPLE_ROW_MATRIX_VERSION = 0x304d5253;
export const MATRIX_TAG = { CHECKSUM: 1, ROW: 2, ROW_COUNT: 3, ENTIRE_PRIMARY_KEYS: 10 } as const;
/** Value type bytes; the same codes as PlainBuffer's (docs/protocol.md §5.2). */
const VT = { INTEGER: 0, DOUBLE: 1, BOOLEAN: 2, STRING: 3, NULL: 6, BLOB: 7 } as const;

type Value = ColumnValue | PrimaryKeyValue | undefined;

function valueSize(v: Value): number {
  if (v === undefined) return 1;
  if (typeof v === 'bigint' || typeof v === 'number') return 9;
  if (typeof v === 'boolean') return 2;
  if (typeof v === 'string') return 5 + Buffer.byteLength(v);
  if (v instanceof Uint8Array) return 5 + v.length;
  throw new PlainBufferError('A simple row matrix holds no INF_MIN, INF_MAX or AUTO_INCREMENT values.');
}

/**
 * Encodes rows that share one primary-key schema (as GetRange returns them) as one block.
 * `pkNames` lists the key columns the rows carry, in schema order (it also names the fields of an empty
 * block); `entirePrimaryKeys` says whether that is every key column of the table.
 */
export function encodeSimpleRowMatrix(
  pkNames: readonly string[],
  rows: readonly PlainBufferRow[],
  entirePrimaryKeys = true,
): Uint8Array {
  const attrSet = new Set<string>();
  for (const r of rows) for (const a of r.attributes) attrSet.add(a.name);
  const attrNames = [...attrSet].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const fieldNames = [...pkNames, ...attrNames].map((n) => Buffer.from(n, 'utf8'));
  const attrIndex = new Map(attrNames.map((n, i) => [n, i]));

  // Row values first, so the block can be sized exactly.
  const matrix: Value[][] = rows.map((r) => {
    const values: Value[] = new Array<Value>(pkNames.length + attrNames.length);
    pkNames.forEach((name, i) => {
      const cell = r.primaryKey.find((c) => c.name === name);
      if (!cell) throw new PlainBufferError(`Row lacks primary-key column ${name}.`);
      values[i] = cell.value;
    });
    for (const a of r.attributes) {
      const i = pkNames.length + attrIndex.get(a.name)!;
      // Versions come newest first; the first one is the column's value here.
      if (values[i] === undefined) values[i] = a.value;
    }
    return values;
  });

  let size = 20;
  for (const n of fieldNames) {
    if (n.length > 0x7fff) throw new PlainBufferError('A field name is too long for a simple row matrix.');
    size += 2 + n.length;
  }
  const optionsOffset = size;
  size += 2 + 5;
  const dataOffset = size;
  for (const values of matrix) {
    size += 1;
    for (const v of values) size += valueSize(v);
  }
  size += 2;

  const out = Buffer.alloc(size);
  let p = 0;
  p = out.writeInt32LE(SIMPLE_ROW_MATRIX_VERSION, p);
  p = out.writeInt32LE(dataOffset, p);
  p = out.writeInt32LE(optionsOffset, p);
  p = out.writeInt32LE(pkNames.length, p);
  p = out.writeInt32LE(attrNames.length, p);
  for (const n of fieldNames) {
    p = out.writeInt16LE(n.length, p);
    p += n.copy(out, p);
  }
  // Java reads these two options in this order; Go accepts any order.
  out[p++] = MATRIX_TAG.ENTIRE_PRIMARY_KEYS;
  out[p++] = entirePrimaryKeys ? 1 : 0;
  out[p++] = MATRIX_TAG.ROW_COUNT;
  p = out.writeInt32LE(rows.length, p);
  for (const values of matrix) {
    out[p++] = MATRIX_TAG.ROW;
    for (const v of values) {
      if (v === undefined) out[p++] = VT.NULL;
      else if (typeof v === 'bigint') {
        out[p++] = VT.INTEGER;
        p = out.writeBigInt64LE(v, p);
      } else if (typeof v === 'number') {
        out[p++] = VT.DOUBLE;
        p = out.writeDoubleLE(v, p);
      } else if (typeof v === 'boolean') {
        out[p++] = VT.BOOLEAN;
        out[p++] = v ? 1 : 0;
      } else {
        const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array);
        out[p++] = typeof v === 'string' ? VT.STRING : VT.BLOB;
        p = out.writeInt32LE(bytes.length, p);
        out.set(bytes, p);
        p += bytes.length;
      }
    }
  }
  out[p++] = MATRIX_TAG.CHECKSUM;
  // The checksum covers every byte before it, the checksum tag included.
  out[p] = crc8Bytes(0, out, 0, p);
  return out;
}
