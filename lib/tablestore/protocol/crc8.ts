/**
 * CRC-8/SMBUS (poly 0x07, init 0, no reflection, xorout 0) as used by PlainBuffer cell and row checksums.
 * Multi-byte integers are folded in low byte first, which is also their little-endian wire order.
 */
/** The lookup table, for hot loops that inline `TABLE[crc ^ byte]`. */
export const CRC8_TABLE = new Uint8Array(256);
const TABLE = CRC8_TABLE;
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  TABLE[i] = c;
}

export function crc8Byte(crc: number, byte: number): number {
  return TABLE[(crc ^ byte) & 0xff];
}

export function crc8Bytes(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff];
  return c;
}

export function crc8U32(crc: number, value: number): number {
  let c = crc;
  for (let i = 0; i < 4; i++) c = TABLE[(c ^ ((value >>> (8 * i)) & 0xff)) & 0xff];
  return c;
}
