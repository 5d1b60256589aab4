/**
 * Times: the API speaks integer microseconds; the page shows the viewer's own zone, with UTC beside it.
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-11-23 09:02:03` in the viewer's zone. */
export function localText(ms: number, withSeconds = true): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** `2026-11-23 01:02:03Z`. */
export function utcText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The viewer's offset from UTC, e.g. `UTC+08:00`. */
export function zoneText(ms = Date.now()): string {
  const off = -new Date(ms).getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Value for an `<input type="datetime-local">` (viewer's zone, minute precision). */
export function toLocalInput(ms: number): string {
  return localText(ms, false).replace(' ', 'T');
}

/** Parses an `<input type="datetime-local">` value in the viewer's zone. */
export function fromLocalInput(value: string): number | undefined {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses a time the API accepts (integer µs or ISO-8601) into milliseconds. */
export function parseTime(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^-?\d+$/.test(value)) return Number(value) / 1000;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export const isoUtc = (ms: number): string => new Date(ms).toISOString();

export function ago(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function durationText(ms: number): string {
  const units: ReadonlyArray<[number, string]> = [
    [86400_000, 'd'],
    [3600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  // The two largest units, e.g. "6 d 22 h" or "90 s"; "0 s" for less than a second.
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [size, name] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0 s';
}
