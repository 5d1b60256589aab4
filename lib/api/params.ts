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
      if (last === undefined)
        throw new ApiError(
          400,
          'InvalidParameter',
          `query parameter 'tag' must be name=value, got '${segment.slice(0, 60)}'`,
        );
      tags[last] += `,${segment}`;
      continue;
    }
    const name = segment.slice(0, eq);
    const value = segment.slice(eq + 1);
    if (name === '' || value === '' || value.includes('=') || /["]/.test(name + value)) {
      throw new ApiError(
        400,
        'InvalidParameter',
        `query parameter 'tag' must be name=value with a non-empty name and value, got '${segment.slice(0, 60)}'`,
      );
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
  if (names.some((n) => n === ''))
    throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' has an empty name`);
  if (names.length > 128)
    throw new ApiError(400, 'InvalidParameter', `query parameter '${name}' lists more than 128 names`);
  return names;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

const timeError = (name: string, why: string): ApiError =>
  new ApiError(400, 'InvalidParameter', `query parameter '${name}' ${why}`);

/**
 * A time as integer microseconds since the epoch, or ISO-8601 with a zone (fractions down to µs kept). Each
 * field is checked before any arithmetic, because `Date` rolls impossible values over (Feb 30 → Mar 2,
 * 24:00 → the next day); the result must be a safe integer, as an integer parameter must be.
 */
export function parseTimeParam(name: string, raw: string): number {
  if (/^-?\d+$/.test(raw)) {
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 0)
      throw timeError(name, 'is out of range (microseconds since the epoch, up to 2^53-1)');
    return v;
  }
  const m = ISO.exec(raw);
  if (!m)
    throw timeError(name, 'must be integer microseconds or ISO-8601 with a zone, e.g. 2026-11-23T01:02:03.456789Z');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  if (daysInMonth === 0 || day < 1 || day > daysInMonth)
    throw timeError(name, `is not a calendar date: '${raw.slice(0, 10)}'`);
  if (hour > 23 || minute > 59 || second > 59)
    throw timeError(name, `has an impossible time of day: '${raw.slice(11, 19)}'`);
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) throw timeError(name, `has an impossible zone offset: '${m[9]}${m[10]}:${m[11]}'`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const base = new Date(Date.UTC(2000, 0, 1));
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  const ms = base.getTime() - offsetMinutes * 60_000;
  const value = ms * 1000 + Number(((m[7] ?? '') + '000000').slice(0, 6));
  if (value < 0) throw timeError(name, 'is before 1970');
  if (!Number.isSafeInteger(value))
    throw timeError(name, 'is out of range: microseconds since the epoch must stay below 2^53 (about the year 2255)');
  return value;
}
