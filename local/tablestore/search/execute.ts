/**
 * Running a search over one index (docs/protocol-search.md §5): match (candidates + exact test), index TTL,
 * order (the request's sort, else the index sort, else primary key; primary key always breaks ties, so the
 * order is total and stable), collapse, offset/limit, and next_token = the sort plus the last row's sort key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors';
import { distanceMeters, type GeoPoint } from './geo';
import type { Compiled } from './query';
import type { SearchQueryMsg } from './proto';
import { FieldType } from './proto';
import type { Doc, SearchIndex } from './search-index';
import { docValues } from './aggregation';
import { findField, parseSort, type SortMode, type SortSpec, type Sorter } from './sort-spec';

type KeyPart = number | string | boolean | null;
type SortKey = KeyPart[];

const invalid = (m: string) => errors.parameterInvalid(m);
export const MAX_OFFSET_PLUS_LIMIT = 100_000;

interface TokenBody {
  readonly v: 1;
  readonly index: string;
  readonly sort: SortSpec;
  readonly after: SortKey;
}

export function withTieBreak(spec: SortSpec): SortSpec {
  return spec.length > 0 && spec[spec.length - 1].kind === 'pk' ? spec : [...spec, { kind: 'pk', order: 1 }];
}

function reduce(values: readonly number[], mode: SortMode | undefined, order: 1 | -1): number {
  const m = mode ?? (order === 1 ? 'min' : 'max');
  if (m === 'avg') return values.reduce((a, b) => a + b, 0) / values.length;
  // A loop, not Math.min(...values): an array column may hold more values than a call takes arguments.
  let best = m === 'min' ? Infinity : -Infinity;
  for (const v of values) best = m === 'min' ? Math.min(best, v) : Math.max(best, v);
  return best;
}

function fieldKey(index: SearchIndex, doc: Doc, s: Extract<Sorter, { kind: 'field' }>): KeyPart {
  const found = findField(index.def.fields, s.field);
  const values = docValues(doc, s.field, found?.nestedPath);
  if (values.length === 0) return s.missing ?? null;
  const t = found?.field.type;
  if (t === FieldType.KEYWORD) {
    const sorted = [...(values as string[])].sort();
    const m = s.mode ?? (s.order === 1 ? 'min' : 'max');
    return m === 'max' ? sorted[sorted.length - 1] : sorted[0];
  }
  if (t === FieldType.BOOLEAN)
    return reduce(
      (values as boolean[]).map((b) => (b ? 1 : 0)),
      s.mode,
      s.order,
    );
  return reduce(values as number[], s.mode, s.order);
}

export function sortKey(index: SearchIndex, doc: Doc, spec: SortSpec, query: Compiled | undefined): SortKey {
  return spec.map((s): KeyPart => {
    switch (s.kind) {
      case 'pk':
        return doc.key;
      case 'score':
        return query ? query.score(doc.values) : 1;
      case 'geo': {
        const found = findField(index.def.fields, s.field);
        const points = docValues(doc, s.field, found?.nestedPath) as GeoPoint[];
        if (points.length === 0) return null;
        return reduce(
          points.flatMap((p) => s.points.map((o) => distanceMeters(o, p))),
          s.mode,
          s.order,
        );
      }
      case 'field':
        return fieldKey(index, doc, s);
    }
  });
}

/** Missing values sort last in either order. */
export function compareKeys(a: SortKey, b: SortKey, spec: SortSpec): number {
  for (let i = 0; i < spec.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return spec[i].order * c;
  }
  return 0;
}

interface Keyed {
  readonly doc: Doc;
  readonly key: SortKey;
}

/** The first `k` items in order: a bounded insertion sort when k is small against n, else a full sort. */
function firstK(items: Keyed[], k: number, spec: SortSpec): Keyed[] {
  if (k <= 0) return [];
  const cmp = (a: Keyed, b: Keyed) => compareKeys(a.key, b.key, spec);
  if (k * 4 >= items.length) return items.sort(cmp).slice(0, k);
  const out: Keyed[] = [];
  for (const it of items) {
    if (out.length === k && cmp(it, out[k - 1]) >= 0) continue;
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(out[mid], it) <= 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, it);
    if (out.length > k) out.pop();
  }
  return out;
}

/** Documents matching a query (index TTL applied), in no particular order. */
export function matchDocs(index: SearchIndex, query: Compiled, nowMs: number): Doc[] {
  const cutoff = index.def.ttl > 0 ? nowMs - index.def.ttl * 1000 : -Infinity;
  const out: Doc[] = [];
  const candidates = query.candidates?.();
  if (candidates) {
    for (const id of candidates) {
      const d = index.docs[id];
      if (d && d.ts > cutoff && query.test(d.values)) out.push(d);
    }
  } else {
    for (const d of index.docs) if (d && d.ts > cutoff && query.test(d.values)) out.push(d);
  }
  return out;
}

/** Tokens are MACed with a per-process key, so a token's sort and key are ours and need no re-validation. */
const TOKEN_KEY = randomBytes(32);
const MAC_BYTES = 16;

function mac(json: Buffer): Buffer {
  return createHmac('sha256', TOKEN_KEY).update(json).digest().subarray(0, MAC_BYTES);
}

export function encodeToken(body: TokenBody): Uint8Array {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  return Buffer.concat([mac(json), json]);
}

export function decodeToken(bytes: Uint8Array, indexName: string): TokenBody {
  const buf = Buffer.from(bytes);
  const json = buf.subarray(MAC_BYTES);
  if (buf.length > MAC_BYTES && timingSafeEqual(mac(json), buf.subarray(0, MAC_BYTES))) {
    const body = JSON.parse(json.toString('utf8')) as TokenBody;
    if (body.index === indexName) return body;
  }
  throw invalid(
    'Invalid next_token: it was not issued for this index by this server (tokens do not survive a restart).',
  );
}

export interface PageResult {
  readonly matched: Doc[];
  readonly page: Doc[];
  readonly nextToken?: Uint8Array | undefined;
}

/** Orders, collapses and pages the matched documents of a SearchQuery. */
export function page(
  index: SearchIndex,
  sq: SearchQueryMsg,
  query: Compiled,
  matched: Doc[],
  limit: number,
): PageResult {
  const offset = sq.offset ?? 0;
  if (offset < 0) throw invalid(`Invalid offset: ${offset}.`);
  if (offset + limit > MAX_OFFSET_PLUS_LIMIT) throw invalid(`offset + limit must not exceed ${MAX_OFFSET_PLUS_LIMIT}.`);
  let spec: SortSpec;
  let after: SortKey | undefined;
  if (sq.token && sq.token.length > 0) {
    if (sq.sort && sq.sort.sorter.length > 0)
      throw invalid('A request with next_token must not set sort: the token carries it.');
    const t = decodeToken(sq.token, index.def.name);
    spec = t.sort;
    after = t.after;
  } else {
    const requested = sq.sort && sq.sort.sorter.length > 0 ? parseSort(sq.sort, index.def.fields, 'query') : undefined;
    spec = withTieBreak(requested ?? index.def.indexSort ?? []);
  }
  let items: Keyed[] = matched.map((doc) => ({ doc, key: sortKey(index, doc, spec, query) }));
  if (after) items = items.filter((it) => compareKeys(it.key, after, spec) > 0);
  const collapseField = sq.collapse?.field_name;
  let ordered: Keyed[];
  let more: boolean;
  if (collapseField) {
    const found = findField(index.def.fields, collapseField);
    if (
      !found ||
      found.nestedPath ||
      found.field.isArray ||
      !found.field.docValues ||
      found.field.type === FieldType.GEO_POINT
    ) {
      throw invalid(
        `Collapse field ${collapseField} must be a sortable single-valued LONG, DOUBLE, DATE, BOOLEAN or KEYWORD field of the index.`,
      );
    }
    const seen = new Set<string>();
    ordered = items
      .sort((a, b) => compareKeys(a.key, b.key, spec))
      .filter((it) => {
        const v = it.doc.values.get(collapseField)?.[0];
        const k = v === undefined ? '\u0000missing' : String(v);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    more = ordered.length > offset + limit;
    ordered = ordered.slice(offset, offset + limit);
  } else {
    more = items.length > offset + limit;
    ordered = firstK(items, offset + limit, spec).slice(offset);
  }
  const last = ordered[ordered.length - 1];
  const nextToken =
    more && last && limit > 0 ? encodeToken({ v: 1, index: index.def.name, sort: spec, after: last.key }) : undefined;
  return { matched, page: ordered.map((it) => it.doc), nextToken };
}
