/**
 * DATE field values (docs/protocol-search.md §2): integers are epoch milliseconds; strings are parsed with
 * the field's `date_formats` (Java-style patterns: yyyy MM dd HH mm ss S… 'literal' and the zone letters
 * Z / X / XXX / x), or as ISO 8601 when the field has none. Zoneless strings are UTC.
 */
interface CompiledFormat {
  readonly re: RegExp;
  readonly parts: string[];
}

const cache = new Map<string, CompiledFormat>();

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(pattern: string): CompiledFormat {
  let re = '';
  const parts: string[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
      re += lit.length === 0 ? "'" : escapeRe(lit);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let j = i;
    while (j < pattern.length && pattern[j] === ch) j++;
    const run = pattern.slice(i, j);
    i = j;
    if (!/[A-Za-z]/.test(ch)) {
      re += escapeRe(run);
      continue;
    }
    switch (ch) {
      case 'y':
        re += run.length === 2 ? '(\\d{2})' : '(\\d{4})';
        parts.push(run.length === 2 ? 'yy' : 'y');
        break;
      case 'M':
      case 'd':
      case 'H':
      case 'm':
      case 's':
        re += `(\\d{${run.length === 1 ? '1,2' : run.length}})`;
        parts.push(ch);
        break;
      case 'S':
        re += `(\\d{${run.length}})`;
        parts.push('S');
        break;
      case 'Z':
      case 'X':
      case 'x':
        re += '(Z|[+-]\\d{2}:?\\d{2}|[+-]\\d{2})';
        parts.push('z');
        break;
      default:
        throw new Error(`unsupported date pattern letter '${ch}'`);
    }
  }
  return { re: new RegExp(`^${re}$`), parts };
}

/** Throws when a pattern uses letters this parser does not know (so CreateSearchIndex can refuse it). */
export function checkDateFormat(pattern: string): void {
  compile(pattern);
}

function zoneOffsetMinutes(z: string): number {
  if (z === 'Z') return 0;
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * 60 + m);
}

function parseWith(text: string, pattern: string): number | undefined {
  let f = cache.get(pattern);
  if (!f) {
    f = compile(pattern);
    cache.set(pattern, f);
  }
  const m = f.re.exec(text);
  if (!m) return undefined;
  let y = 1970;
  let mo = 1;
  let d = 1;
  let h = 0;
  let mi = 0;
  let s = 0;
  let ms = 0;
  let zone = 0;
  f.parts.forEach((p, k) => {
    const v = m[k + 1];
    switch (p) {
      case 'y':
        y = Number(v);
        break;
      case 'yy':
        y = 2000 + Number(v);
        break;
      case 'M':
        mo = Number(v);
        break;
      case 'd':
        d = Number(v);
        break;
      case 'H':
        h = Number(v);
        break;
      case 'm':
        mi = Number(v);
        break;
      case 's':
        s = Number(v);
        break;
      case 'S':
        ms = Math.floor(Number(`0.${v}`) * 1000);
        break;
      case 'z':
        zone = zoneOffsetMinutes(v);
        break;
    }
  });
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms) - zone * 60_000;
  return Number.isFinite(t) ? t : undefined;
}

/** Epoch milliseconds of a DATE value, or undefined when it does not parse. */
export function parseDate(value: unknown, formats: readonly string[]): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value !== 'string') return undefined;
  if (formats.length === 0) {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : undefined;
  }
  for (const f of formats) {
    const t = parseWith(value, f);
    if (t !== undefined) return t;
  }
  return undefined;
}
