/**
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF.
 * Pure TypeScript so it bundles into Function Compute code without native modules. Slicing-by-8 tables
 * keep it within a small factor of a native implementation for the row batches we checksum.
 */

const POLY = 0x82f63b78;

function makeTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  tables.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1];
    const cur = new Uint32Array(256);
    for (let i = 0; i < 256; i++) cur[i] = ((prev[i] >>> 8) ^ t0[prev[i] & 0xff]) >>> 0;
    tables.push(cur);
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables();

/**
 * Continues a CRC-32C over `data`. `previous` is the finished CRC of the preceding bytes (0 to start), so
 * `crc32c(b, crc32c(a)) === crc32c(concat(a, b))`. Returns an unsigned 32-bit value.
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const a = (crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    crc =
      T7[a & 0xff] ^
      T6[(a >>> 8) & 0xff] ^
      T5[(a >>> 16) & 0xff] ^
      T4[a >>> 24] ^
      T3[data[i + 4]] ^
      T2[data[i + 5]] ^
      T1[data[i + 6]] ^
      T0[data[i + 7]];
    i += 8;
  }
  while (i < n) {
    crc = (crc >>> 8) ^ T0[(crc ^ data[i]) & 0xff];
    i++;
  }
  return ~crc >>> 0;
}

/** The CRC as the wire's `flatbuffer_crc32c` field carries it: a signed int32. */
export function crc32cSigned(data: Uint8Array): number {
  return crc32c(data) | 0;
}
