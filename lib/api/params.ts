import { ApiError } from '../fc/errors';

/**
 * `tag=k=v` may be repeated; FC joins repeated query keys with ",". Tag values cannot contain "=", so a
 * segment without "=" can only be the continuation of the previous value (which contained a ","): this
 * recovers every pair exactly.
 */
export function parseTags(raw: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (raw === undefined || raw === '') return tags;
  let last: string | undefined;
  for (const segment of raw.split(',')) {
    const eq = segment.indexOf('=');
    if (eq < 0) {
      if (last === undefined) throw new ApiError(400, 'InvalidParameter', `query parameter 'tag' must be name=value, got '${segment.slice(0, 60)}'`);
      tags[last] += `,${segment}`;
      continue;
    }
    const name = segment.slice(0, eq);
    const value = segment.slice(eq + 1);
    if (name === '' || value === '' || value.includes('=') || /["]/.test(name + value)) {
      throw new ApiError(400, 'InvalidParameter', `query parameter 'tag' must be name=value with a non-empty name and value, got '${segment.slice(0, 60)}'`);
    }
    if (Object.hasOwn(tags, name) && tags[name] !== value) {
      throw new ApiError(400, 'InvalidParameter', `query parameter 'tag' names '${name}' twice`);
    }
    tags[name] = value;
    last = name;
  }
  return tags;
}

/** Comma-separated list of column or field names. */
export function parseNameList(name: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const names = [...new Set(raw.split(',').map((s) => s.trim()))];
  if (names.some((n) => n === '')) throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' has an empty name`);
  if (names.length > 128) throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' lists more than 128 names`);
  return names;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** A time as integer microseconds since the epoch, or ISO-8601 with a zone (fractions down to µs kept). */
export function parseTimeParam(name: string, raw: string): number {
  if (/^-?\d+$/.test(raw)) {
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 0) throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' is out of range (microseconds since the epoch)`);
    return v;
  }
  const m = ISO.exec(raw);
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) {
    throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' must be integer microseconds or ISO-8601 with a zone, e.g. 2026-11-23T01:02:03.456789Z`);
  }
  const micros = Number(((m[7] ?? '') + '000000').slice(0, 6));
  const value = ms * 1000 + micros;
  if (value < 0) throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' is before 1970`);
  return value;
}
