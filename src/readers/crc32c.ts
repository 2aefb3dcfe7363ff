/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord frames, and TensorFlow's
 * "masked" form of it. Slicing-by-8: eight 256-entry tables, eight bytes per step, no per-byte allocation.
 */

const POLYNOMIAL = 0x82f63b78;
const MASK_DELTA = 0xa282ead8;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    t[b] = crc >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let crc = t[b]!;
    for (let k = 1; k < 8; k++) {
      crc = t[crc & 0xff]! ^ (crc >>> 8);
      t[k * 256 + b] = crc >>> 0;
    }
  }
  return t;
}

/** The CRC-32C of bytes [start, end) of `data`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES;
  let crc = ~0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TensorFlow's masked CRC (crc32c::Mask): rotated right by 15 bits plus a constant, so CRCs of CRCs stay strong. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** The masked CRC-32C of bytes [start, end) of `data`, as TFRecord frames store it. */
export function maskedCrc32c(data: Uint8Array, start = 0, end = data.length): number {
  return maskCrc(crc32c(data, start, end));
}
