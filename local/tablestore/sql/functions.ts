/**
 * Scalar functions of the SQL reference (docs/protocol-sql.md §6): string, math, date/time (Datetime values
 * are UTC strings 'YYYY-MM-DD HH:MM:SS[.ffffff]'), time series (time_bin, tag_value_at) and control flow.
 * A NULL argument gives NULL unless the function is about NULLs (ifnull, coalesce, …).
 */
import { parseTags } from '../../../lib/tablestore/timeseries/tags';
import { compareNullable, describeValue, sqlError, type SqlValue } from './values';

type Fn = (args: SqlValue[], nowMs: number) => SqlValue;

function arity(name: string, args: readonly SqlValue[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw sqlError(`Function ${name} expects ${want} argument(s), got ${args.length}.`);
  }
}

function str(name: string, v: Exclude<SqlValue, null>): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  throw sqlError(`Type mismatch: function ${name} does not accept ${describeValue(v)}.`);
}

function num(name: string, v: Exclude<SqlValue, null>): bigint | number {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw sqlError(`Type mismatch: function ${name} expects a number, got ${describeValue(v)}.`);
}

function int(name: string, v: Exclude<SqlValue, null>): number {
  const n = num(name, v);
  return typeof n === 'bigint' ? Number(n) : Math.trunc(n);
}

/** A function whose every argument must be non-null (else NULL). */
function strict(
  name: string,
  min: number,
  max: number,
  body: (a: Exclude<SqlValue, null>[], nowMs: number) => SqlValue,
): Fn {
  return (args, nowMs) => {
    arity(name, args, min, max);
    if (args.some((a) => a === null)) return null;
    return body(args as Exclude<SqlValue, null>[], nowMs);
  };
}

// ------------------------------------------------------------------------------------------- datetime

const US_PER_S = 1_000_000n;

export function formatDatetime(micros: bigint, forceFraction = false): string {
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw sqlError('Datetime value is out of range.');
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let s = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  const frac = ((micros % US_PER_S) + US_PER_S) % US_PER_S;
  if (frac !== 0n || forceFraction) s += `.${String(frac).padStart(6, '0')}`;
  return s;
}

const DATETIME_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?$/;

/** Microseconds since the epoch of a Datetime string or an integer of microseconds (like _time). */
export function toMicros(name: string, v: Exclude<SqlValue, null>): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') {
    const m = DATETIME_RE.exec(v.trim());
    if (!m) throw sqlError(`Function ${name}: '${v}' is not a datetime.`);
    const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
    return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  }
  throw sqlError(`Type mismatch: function ${name} expects a datetime, got ${describeValue(v)}.`);
}

const UNIT_MICROS: Record<string, bigint> = {
  us: 1n,
  ms: 1000n,
  s: US_PER_S,
  sec: US_PER_S,
  second: US_PER_S,
  seconds: US_PER_S,
  m: 60n * US_PER_S,
  min: 60n * US_PER_S,
  minute: 60n * US_PER_S,
  minutes: 60n * US_PER_S,
  h: 3600n * US_PER_S,
  hour: 3600n * US_PER_S,
  hours: 3600n * US_PER_S,
  d: 86400n * US_PER_S,
  day: 86400n * US_PER_S,
  days: 86400n * US_PER_S,
  w: 7n * 86400n * US_PER_S,
  week: 7n * 86400n * US_PER_S,
  weeks: 7n * 86400n * US_PER_S,
};

export function intervalMicros(text: string): bigint {
  const m = /^\s*(\d+)\s*([a-zA-Z]+)\s*$/.exec(text);
  const unit = m ? UNIT_MICROS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || BigInt(m[1]) === 0n)
    throw sqlError(`time_bin: invalid interval '${text}' (use e.g. '10s', '30min', '1h', '1d').`);
  return BigInt(m[1]) * unit;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** Datetime of a Unix time counted in units of `scale` microseconds (seconds, millis, micros). */
function fromUnix(name: string, v: Exclude<SqlValue, null>, scale: bigint, forceFraction = false): string {
  const n = num(name, v);
  if (typeof n === 'bigint') return formatDatetime(n * scale, forceFraction);
  return formatDatetime(BigInt(Math.round(n * Number(scale))), forceFraction);
}

function dateFormat(micros: bigint, fmt: string): string {
  const full = formatDatetime(micros, true);
  const [date, time] = full.split(' ');
  const [Y, M, D] = date.split('-');
  const [hms, f] = time.split('.');
  const [h, i, s] = hms.split(':');
  const h12 = ((+h + 11) % 12) + 1;
  return fmt.replace(/%([a-zA-Z%])/g, (_, c: string) => {
    switch (c) {
      case 'Y':
        return Y;
      case 'y':
        return Y.slice(2);
      case 'm':
        return M;
      case 'c':
        return String(+M);
      case 'd':
        return D;
      case 'e':
        return String(+D);
      case 'H':
        return h;
      case 'k':
        return String(+h);
      case 'h':
      case 'I':
        return String(h12).padStart(2, '0');
      case 'i':
        return i;
      case 's':
      case 'S':
        return s;
      case 'f':
        return f;
      case 'T':
        return hms;
      case 'p':
        return +h < 12 ? 'AM' : 'PM';
      case '%':
        return '%';
      default:
        return c;
    }
  });
}

function datePart(name: string, pick: (d: Date) => number): Fn {
  return strict(name, 1, 1, ([v]) => {
    const us = toMicros(name, v);
    return BigInt(pick(new Date(Number(floorDiv(us, 1000n)))));
  });
}

// ----------------------------------------------------------------------------------------------- math

function mathFn(name: string, f: (x: number) => number): Fn {
  return strict(name, 1, 1, ([v]) => {
    const r = f(Number(num(name, v)));
    return Number.isNaN(r) ? null : r;
  });
}

function keepInt(name: string, f: (x: number) => number): Fn {
  return strict(name, 1, 1, ([v]) => {
    const n = num(name, v);
    return typeof n === 'bigint' ? n : BigInt(f(n));
  });
}

function roundTo(x: number, d: number, mode: 'round' | 'trunc'): number {
  const k = 10 ** d;
  const scaled = x * k;
  const r = mode === 'trunc' ? Math.trunc(scaled) : Math.sign(scaled) * Math.round(Math.abs(scaled));
  return r / k;
}

// ---------------------------------------------------------------------------------------------- table

const cp = (s: string) => Array.from(s);

/**
 * The longest string a function builds, in UTF-16 code units. Past it the result is NULL, as MySQL answers a
 * result longer than max_allowed_packet (REPEAT, LPAD, CONCAT, …); without a bound, `LPAD('a', 1e11, 'b')`
 * would take the server down with it (docs/protocol-sql.md §6).
 */
export const MAX_STRING_LENGTH = 16 * 1024 * 1024;

/** `build()` when the result will be at most MAX_STRING_LENGTH long, else NULL (nothing is built). */
const bounded = (length: number, build: () => string): string | null => (length > MAX_STRING_LENGTH ? null : build());

/** `parts.join(sep)`, or NULL when that would pass MAX_STRING_LENGTH. */
function boundedJoin(parts: readonly string[], sep: string): string | null {
  let length = sep.length * Math.max(0, parts.length - 1);
  for (const p of parts) length += p.length;
  return bounded(length, () => parts.join(sep));
}

const FUNCTIONS: Record<string, Fn> = {
  // string
  concat: (args) => {
    arity('concat', args, 1, Infinity);
    if (args.some((a) => a === null)) return null;
    return boundedJoin(
      args.map((a) => str('concat', a as Exclude<SqlValue, null>)),
      '',
    );
  },
  concat_ws: (args) => {
    arity('concat_ws', args, 2, Infinity);
    if (args[0] === null) return null;
    const sep = str('concat_ws', args[0]);
    return boundedJoin(
      args
        .slice(1)
        .filter((a) => a !== null)
        .map((a) => str('concat_ws', a)),
      sep,
    );
  },
  length: strict('length', 1, 1, ([v]) =>
    BigInt(v instanceof Uint8Array ? v.length : Buffer.byteLength(str('length', v))),
  ),
  char_length: strict('char_length', 1, 1, ([v]) => BigInt(cp(str('char_length', v)).length)),
  character_length: strict('character_length', 1, 1, ([v]) => BigInt(cp(str('character_length', v)).length)),
  lower: strict('lower', 1, 1, ([v]) => str('lower', v).toLowerCase()),
  lcase: strict('lcase', 1, 1, ([v]) => str('lcase', v).toLowerCase()),
  upper: strict('upper', 1, 1, ([v]) => str('upper', v).toUpperCase()),
  ucase: strict('ucase', 1, 1, ([v]) => str('ucase', v).toUpperCase()),
  substring: strict('substring', 2, 3, (a) => substring('substring', a)),
  substr: strict('substr', 2, 3, (a) => substring('substr', a)),
  left: strict('left', 2, 2, ([s, n]) =>
    cp(str('left', s))
      .slice(0, Math.max(0, int('left', n)))
      .join(''),
  ),
  right: strict('right', 2, 2, ([s, n]) => {
    const chars = cp(str('right', s));
    const k = Math.max(0, int('right', n));
    return k === 0 ? '' : chars.slice(-k).join('');
  }),
  trim: strict('trim', 1, 1, ([v]) => str('trim', v).replace(/^ +| +$/g, '')),
  ltrim: strict('ltrim', 1, 1, ([v]) => str('ltrim', v).replace(/^ +/, '')),
  rtrim: strict('rtrim', 1, 1, ([v]) => str('rtrim', v).replace(/ +$/, '')),
  replace: strict('replace', 3, 3, ([s, from, to]) => {
    const f = str('replace', from);
    if (f === '') return str('replace', s);
    return boundedJoin(str('replace', s).split(f), str('replace', to));
  }),
  reverse: strict('reverse', 1, 1, ([v]) => cp(str('reverse', v)).reverse().join('')),
  repeat: strict('repeat', 2, 2, ([s, n]) => {
    const text = str('repeat', s);
    const times = int('repeat', n);
    if (!(times > 0)) return '';
    return bounded(text.length * times, () => text.repeat(times));
  }),
  lpad: strict('lpad', 3, 3, (a) => pad('lpad', a, true)),
  rpad: strict('rpad', 3, 3, (a) => pad('rpad', a, false)),
  instr: strict('instr', 2, 2, ([s, sub]) => BigInt(locate(str('instr', sub), str('instr', s), 1))),
  locate: strict('locate', 2, 3, ([sub, s, pos]) =>
    BigInt(locate(str('locate', sub), str('locate', s), pos === undefined ? 1 : int('locate', pos))),
  ),
  strcmp: strict('strcmp', 2, 2, ([a, b]) => {
    const c = compareNullable(str('strcmp', a), str('strcmp', b));
    return BigInt(Math.sign(c));
  }),
  // math
  abs: strict('abs', 1, 1, ([v]) => {
    const n = num('abs', v);
    return typeof n === 'bigint' ? (n < 0n ? -n : n) : Math.abs(n);
  }),
  ceil: keepInt('ceil', Math.ceil),
  ceiling: keepInt('ceiling', Math.ceil),
  floor: keepInt('floor', Math.floor),
  round: strict('round', 1, 2, ([v, d]) => {
    const n = num('round', v);
    const digits = d === undefined ? 0 : int('round', d);
    if (typeof n === 'bigint') return n;
    return d === undefined ? BigInt(roundTo(n, 0, 'round')) : roundTo(n, digits, 'round');
  }),
  truncate: strict('truncate', 2, 2, ([v, d]) => {
    const n = num('truncate', v);
    return typeof n === 'bigint' ? n : roundTo(n, int('truncate', d), 'trunc');
  }),
  sqrt: mathFn('sqrt', Math.sqrt),
  exp: mathFn('exp', Math.exp),
  ln: mathFn('ln', (x) => (x > 0 ? Math.log(x) : NaN)),
  log10: mathFn('log10', (x) => (x > 0 ? Math.log10(x) : NaN)),
  log2: mathFn('log2', (x) => (x > 0 ? Math.log2(x) : NaN)),
  log: strict('log', 1, 2, (a) => {
    const [b, x] =
      a.length === 2 ? [Number(num('log', a[0])), Number(num('log', a[1]))] : [Math.E, Number(num('log', a[0]))];
    const r = Math.log(x) / Math.log(b);
    return x > 0 && b > 0 && b !== 1 ? r : null;
  }),
  pow: strict('pow', 2, 2, ([x, y]) => Number(num('pow', x)) ** Number(num('pow', y))),
  power: strict('power', 2, 2, ([x, y]) => Number(num('power', x)) ** Number(num('power', y))),
  mod: strict('mod', 2, 2, ([x, y]) => {
    const a = num('mod', x);
    const b = num('mod', y);
    if (typeof a === 'bigint' && typeof b === 'bigint') return b === 0n ? null : a % b;
    return Number(b) === 0 ? null : Number(a) % Number(b);
  }),
  sign: strict('sign', 1, 1, ([v]) => {
    const n = num('sign', v);
    return BigInt(typeof n === 'bigint' ? (n > 0n ? 1 : n < 0n ? -1 : 0) : Math.sign(n));
  }),
  pi: (args) => {
    arity('pi', args, 0);
    return Math.PI;
  },
  greatest: (args) => extreme('greatest', args, 1),
  least: (args) => extreme('least', args, -1),
  // date/time
  now: (args, nowMs) => {
    arity('now', args, 0);
    return formatDatetime(BigInt(nowMs) * 1000n);
  },
  current_timestamp: (args, nowMs) => {
    arity('current_timestamp', args, 0);
    return formatDatetime(BigInt(nowMs) * 1000n);
  },
  from_unixtime: strict('from_unixtime', 1, 2, ([v, fsp]) => {
    const s = fromUnix('from_unixtime', v, US_PER_S);
    if (fsp === undefined) return s.length > 19 ? s.slice(0, 19) : s;
    const digits = int('from_unixtime', fsp);
    if (digits > 6) throw sqlError('from_unixtime: fsp must be at most 6.');
    if (digits < 0) return s;
    const frac = (s.split('.')[1] ?? '').padEnd(6, '0');
    return digits === 0 ? s.slice(0, 19) : `${s.slice(0, 19)}.${frac.slice(0, digits)}`;
  }),
  from_unixtime_millis: strict('from_unixtime_millis', 1, 1, ([v]) => fromUnix('from_unixtime_millis', v, 1000n, true)),
  from_unixtime_micros: strict('from_unixtime_micros', 1, 1, ([v]) => fromUnix('from_unixtime_micros', v, 1n, true)),
  unix_timestamp: (args, nowMs) => {
    arity('unix_timestamp', args, 0, 1);
    if (args.length === 0) return BigInt(Math.floor(nowMs / 1000));
    if (args[0] === null) return null;
    const us = toMicros('unix_timestamp', args[0]);
    return us % US_PER_S === 0n ? us / US_PER_S : Number(us) / 1e6;
  },
  date_format: strict('date_format', 2, 2, ([v, f]) => dateFormat(toMicros('date_format', v), str('date_format', f))),
  date: strict('date', 1, 1, ([v]) => formatDatetime(toMicros('date', v)).slice(0, 10)),
  year: datePart('year', (d) => d.getUTCFullYear()),
  month: datePart('month', (d) => d.getUTCMonth() + 1),
  day: datePart('day', (d) => d.getUTCDate()),
  dayofmonth: datePart('dayofmonth', (d) => d.getUTCDate()),
  hour: datePart('hour', (d) => d.getUTCHours()),
  minute: datePart('minute', (d) => d.getUTCMinutes()),
  second: datePart('second', (d) => d.getUTCSeconds()),
  // time series
  time_bin: strict('time_bin', 2, 2, ([t, interval]) => {
    const step = intervalMicros(str('time_bin', interval));
    return formatDatetime(floorDiv(toMicros('time_bin', t), step) * step);
  }),
  tag_value_at: strict('tag_value_at', 2, 2, ([tags, key]) => {
    let parsed: Record<string, string>;
    try {
      parsed = parseTags(str('tag_value_at', tags));
    } catch {
      throw sqlError(`tag_value_at: '${String(tags)}' is not a tags value.`);
    }
    const k = str('tag_value_at', key);
    return Object.prototype.hasOwnProperty.call(parsed, k) ? parsed[k] : null;
  }),
  // control flow
  if: (args) => {
    arity('if', args, 3);
    const c = args[0];
    const t =
      c === null
        ? false
        : typeof c === 'boolean'
          ? c
          : typeof c === 'bigint'
            ? c !== 0n
            : typeof c === 'number'
              ? c !== 0
              : true;
    return t ? args[1] : args[2];
  },
  ifnull: (args) => {
    arity('ifnull', args, 2);
    return args[0] ?? args[1];
  },
  coalesce: (args) => {
    arity('coalesce', args, 1, Infinity);
    return args.find((a) => a !== null) ?? null;
  },
  nullif: (args) => {
    arity('nullif', args, 2);
    if (args[0] === null || args[1] === null) return args[0];
    return compareNullable(args[0], args[1]) === 0 ? null : args[0];
  },
  isnull: (args) => {
    arity('isnull', args, 1);
    return args[0] === null;
  },
};

function substring(name: string, [s, pos, len]: Exclude<SqlValue, null>[]): string {
  const chars = cp(str(name, s));
  let p = int(name, pos);
  if (p === 0) return '';
  if (p < 0) p = chars.length + p + 1;
  if (p < 1) return '';
  const start = p - 1;
  const end = len === undefined ? chars.length : start + Math.max(0, int(name, len));
  return chars.slice(start, end).join('');
}

function pad(name: string, [s, n, fill]: Exclude<SqlValue, null>[], left: boolean): string | null {
  const text = str(name, s);
  const chars = cp(text);
  const width = int(name, n);
  if (!(width >= 0)) return null;
  if (chars.length >= width) return chars.slice(0, width).join('');
  const f = cp(str(name, fill));
  if (f.length === 0 || width > MAX_STRING_LENGTH) return null;
  const need = width - chars.length;
  const padding = f.join('').repeat(Math.floor(need / f.length)) + f.slice(0, need % f.length).join('');
  return bounded(padding.length + text.length, () => (left ? padding + text : text + padding));
}

function locate(sub: string, s: string, from: number): number {
  if (from < 1) return 0;
  const chars = cp(s);
  const needle = cp(sub);
  for (let i = from - 1; i + needle.length <= chars.length; i++) {
    let ok = true;
    for (let j = 0; j < needle.length && ok; j++) ok = chars[i + j] === needle[j];
    if (ok) return i + 1;
  }
  return 0;
}

function extreme(name: string, args: SqlValue[], sign: number): SqlValue {
  arity(name, args, 2, Infinity);
  if (args.some((a) => a === null)) return null;
  let best = args[0];
  for (const a of args.slice(1)) if (compareNullable(a, best) * sign > 0) best = a;
  return best;
}

export function isKnownFunction(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

export function callFunction(name: string, args: SqlValue[], nowMs: number): SqlValue {
  return FUNCTIONS[name](args, nowMs);
}
