/// <reference lib="dom" />
/**
 * Shows lossless JSON values as what they are: an int64 beyond 2^53 as its exact decimal digits, binary as
 * base64 with a hex view one click away, NaN/Infinity by name, never a rounded JS number.
 */
import { h } from './dom';
import type { Lossless } from './types';

const tagged = (v: Lossless, key: string): v is Lossless & Record<string, string> =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[key] === 'string';

export function base64ToHex(b64: string): string {
  const bin = atob(b64);
  let out = '';
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}

/** A value as plain text (exact), e.g. for titles and forms. */
export function valueText(v: Lossless | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  if (tagged(v, '$int64')) return v.$int64;
  if (tagged(v, '$double')) return v.$double;
  if (tagged(v, '$binary')) return v.$binary;
  if (tagged(v, '$string')) return v.$string;
  return JSON.stringify(v);
}

/** A number for charts (int64 beyond 2^53 may round here, which a chart cannot show anyway), or null. */
export function chartNumber(v: Lossless | undefined): number | null {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') {
    if (tagged(v, '$int64')) return Number(v.$int64);
    if (tagged(v, '$double')) {
      const n = Number(v.$double);
      return Number.isFinite(n) ? n : null;
    }
  }
  return null;
}

export const isNumeric = (v: Lossless | undefined): boolean =>
  typeof v === 'number' || (typeof v === 'object' && v !== null && (tagged(v, '$int64') || tagged(v, '$double')));

export function renderValue(v: Lossless | undefined): HTMLElement {
  if (v === undefined || v === null) return h('span', { class: 'v v-none' }, '—');
  if (typeof v === 'string') return h('span', { class: 'v v-str' }, v);
  if (typeof v === 'boolean') return h('span', { class: `v v-bool v-${v}` }, String(v));
  if (typeof v === 'number') return h('span', { class: 'v v-num' }, String(v));
  if (tagged(v, '$int64')) return h('span', { class: 'v v-num v-int64', title: 'int64, exact' }, v.$int64);
  if (tagged(v, '$double')) return h('span', { class: 'v v-num', title: 'double' }, v.$double);
  if (tagged(v, '$string')) return h('span', { class: 'v v-str' }, v.$string);
  if (tagged(v, '$binary')) {
    const b64 = v.$binary;
    const hex = base64ToHex(b64);
    const text = h('span', { class: 'v-bin-text' }, b64);
    const toggle = h('button', { type: 'button', class: 'v-bin-toggle', title: 'Show as hex / base64' }, 'b64');
    toggle.addEventListener('click', () => {
      const showHex = toggle.textContent === 'b64';
      toggle.textContent = showHex ? 'hex' : 'b64';
      text.textContent = showHex ? hex : b64;
    });
    return h('span', { class: 'v v-bin', title: `${atob(b64).length} bytes` }, toggle, text);
  }
  return h('span', { class: 'v' }, JSON.stringify(v));
}
