/**
 * Lossless JSON for Tablestore values. The convention (documented in docs/functions.md and in the OpenAPI
 * document as the `Value` schema):
 *
 * - INTEGER within ±(2^53−1): a JSON number. Outside that range: `{"$int64": "<decimal digits>"}`.
 * - DOUBLE: a JSON number; NaN and ±Infinity as `{"$double": "NaN" | "Infinity" | "-Infinity"}`.
 * - STRING: a JSON string. BOOLEAN: true/false.
 * - BINARY: `{"$binary": "<base64>"}`.
 * - Times: integer microseconds since the epoch (they fit in a safe integer until the year 2255).
 *
 * On input (primary keys in `pk`, `start`, `end`) the table schema says which type a column has, so a plain
 * decimal string is also accepted for an INTEGER column and a plain base64 string for a BINARY column.
 */
import { ApiError } from '../fc/errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type PkType = 'INTEGER' | 'STRING' | 'BINARY';

/** Our in-memory Tablestore value: int64 as bigint, binary as Uint8Array. */
export type TsValue = bigint | number | string | boolean | Uint8Array;
/** A bound's value; the markers 'INF_MIN' / 'INF_MAX' are told apart from STRING values by the key's type. */
export type PkBound = TsValue;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

export function encodeInt64(value: bigint): JsonValue {
  return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : { $int64: value.toString() };
}

/** int64 objects of the official SDK (int64-buffer's Int64: {buffer, offset}) or Long.js ({high, low}). */
interface LongLike {
  toString(radix?: number): string;
}
const isLongLike = (v: unknown): v is LongLike => {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const longJs = typeof o.high === 'number' && typeof o.low === 'number';
  const int64Buffer =
    o.buffer instanceof Uint8Array && typeof o.offset === 'number' && typeof o.toNumber === 'function';
  return longJs || int64Buffer;
};

/** Encodes one value read from Tablestore (ours, or the official SDK's Long/Buffer forms). */
export function encodeValue(value: unknown): JsonValue {
  if (typeof value === 'bigint') return encodeInt64(value);
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return { $double: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array)
    return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (isLongLike(value)) return encodeInt64(BigInt(value.toString(10)));
  if (value === null || value === undefined) return null;
  throw new TypeError(`cannot encode a value of type ${typeof value}`);
}

/** The JSON schema of one encoded value, shared by the OpenAPI document. */
export const VALUE_SCHEMA = {
  description:
    'A Tablestore value. INTEGER in ±(2^53−1) and DOUBLE: JSON number; INTEGER outside that range: {"$int64": "<decimal>"}; ' +
    'BINARY: {"$binary": "<base64>"}; non-finite DOUBLE: {"$double": "NaN"|"Infinity"|"-Infinity"}.',
  anyOf: [
    { type: 'number' },
    { type: 'string' },
    { type: 'boolean' },
    {
      type: 'object',
      required: ['$int64'],
      properties: { $int64: { type: 'string', pattern: '^-?[0-9]+$' } },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['$binary'],
      properties: { $binary: { type: 'string', contentEncoding: 'base64' } },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['$double'],
      properties: { $double: { enum: ['NaN', 'Infinity', '-Infinity'] } },
      additionalProperties: false,
    },
  ],
} as const;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function parseInt64(text: string, where: string): bigint {
  if (!/^-?[0-9]+$/.test(text))
    throw new ApiError(400, 'InvalidParameter', `${where}: '${text.slice(0, 40)}' is not an integer`);
  const v = BigInt(text);
  if (v < INT64_MIN || v > INT64_MAX)
    throw new ApiError(400, 'InvalidParameter', `${where}: integer out of the int64 range`);
  return v;
}

function parseBase64(text: string, where: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64.test(text))
    throw new ApiError(400, 'InvalidParameter', `${where}: not valid base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Decodes one primary-key value from request JSON, using the column's type from the table schema.
 * `allowInf` permits "INF_MIN"/"INF_MAX" (range bounds only; a STRING column that really holds the text
 * "INF_MIN" can be addressed as {"$string": "INF_MIN"}).
 */
export function decodePkValue(json: unknown, type: PkType, where: string, allowInf: boolean): PkBound {
  if (allowInf && (json === 'INF_MIN' || json === 'INF_MAX')) return json;
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const keys = Object.keys(json);
    const obj = json as Record<string, unknown>;
    if (keys.length === 1 && typeof obj.$int64 === 'string' && type === 'INTEGER') return parseInt64(obj.$int64, where);
    if (keys.length === 1 && typeof obj.$binary === 'string' && type === 'BINARY')
      return parseBase64(obj.$binary, where);
    if (keys.length === 1 && typeof obj.$string === 'string' && type === 'STRING') return obj.$string;
    throw new ApiError(400, 'InvalidParameter', `${where}: expected a ${type} value`);
  }
  switch (type) {
    case 'INTEGER':
      if (typeof json === 'number') {
        if (!Number.isSafeInteger(json)) {
          throw new ApiError(
            400,
            'InvalidParameter',
            `${where}: ${json} is not a safe integer; send {"$int64": "<decimal>"} for large values`,
          );
        }
        return BigInt(json);
      }
      if (typeof json === 'string') return parseInt64(json, where);
      break;
    case 'STRING':
      if (typeof json === 'string') return json;
      break;
    case 'BINARY':
      if (typeof json === 'string') return parseBase64(json, where);
      break;
  }
  throw new ApiError(400, 'InvalidParameter', `${where}: expected a ${type} value`);
}

/** Parses a query parameter holding a JSON object (`pk`, `start`, `end`). */
export function parseJsonObjectParam(name: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' must be a JSON object`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Serialises a typed primary key for embedding in a page token (type-tagged, lossless). */
export type PkSnapshot = Array<[name: string, tag: 'i' | 's' | 'b' | 'n' | 'x', value: string]>;

export function snapshotPk(pk: ReadonlyArray<readonly [string, PkBound]>): PkSnapshot {
  return pk.map(([name, v]): [string, 'i' | 's' | 'b' | 'n' | 'x', string] => {
    if (v === 'INF_MIN' || v === 'INF_MAX') return [name, 'x', v];
    if (typeof v === 'bigint') return [name, 'i', v.toString()];
    if (typeof v === 'string') return [name, 's', v];
    if (v instanceof Uint8Array) return [name, 'b', Buffer.from(v).toString('base64')];
    if (typeof v === 'number') return [name, 'n', String(v)];
    throw new TypeError('unsupported primary key value');
  });
}

const badToken = (why: string): ApiError => new ApiError(400, 'InvalidToken', `query parameter 'next' ${why}`);
const TAG_TYPES: Readonly<Record<string, PkType | undefined>> = {
  i: 'INTEGER',
  n: 'INTEGER',
  s: 'STRING',
  b: 'BINARY',
};

/**
 * Rebuilds a position from a page token. The HMAC proves only that some key holder issued the token; when
 * the key is derived from public names (no PAGE_TOKEN_SECRET) anyone can sign one, so every element is
 * checked against the table's current primary-key schema: same names in the same order, a tag that fits the
 * column's type, int64 range, canonical base64. Anything else is a 400 `InvalidToken`, never a value the
 * service would reject with a 5xx or, worse, silently wrap.
 */
export function restorePk(
  snapshot: unknown,
  schema: ReadonlyArray<{ readonly name: string; readonly type: PkType }>,
): Array<[string, PkBound]> {
  if (!Array.isArray(snapshot) || snapshot.length !== schema.length)
    throw badToken('does not match the primary key of this table');
  return schema.map((col, i): [string, PkBound] => {
    const entry: unknown = snapshot[i];
    if (!Array.isArray(entry) || entry.length !== 3) throw badToken('is not a token issued by this API');
    const [name, tag, value] = entry as unknown[];
    if (name !== col.name || typeof tag !== 'string' || typeof value !== 'string')
      throw badToken('does not match the primary key of this table');
    if (tag === 'x') {
      if (value !== 'INF_MIN' && value !== 'INF_MAX') throw badToken('is not a token issued by this API');
      return [col.name, value];
    }
    if (TAG_TYPES[tag] !== col.type) throw badToken(`holds a value of the wrong type for column '${col.name}'`);
    switch (col.type) {
      case 'INTEGER': {
        if (!/^-?[0-9]{1,19}$/.test(value)) throw badToken(`holds an invalid integer for column '${col.name}'`);
        const v = BigInt(value);
        if (v < INT64_MIN || v > INT64_MAX)
          throw badToken(`holds an integer outside the int64 range for column '${col.name}'`);
        return [col.name, v];
      }
      case 'STRING':
        return [col.name, value];
      case 'BINARY': {
        const bytes = Buffer.from(value, 'base64');
        // Only the canonical encoding round-trips; anything else was not written by snapshotPk.
        if (value.length % 4 !== 0 || !BASE64.test(value) || bytes.toString('base64') !== value)
          throw badToken(`holds invalid base64 for column '${col.name}'`);
        return [col.name, new Uint8Array(bytes)];
      }
    }
  });
}
