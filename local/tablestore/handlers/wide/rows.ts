/**
 * Row semantics shared by the wide-table read and write handlers: what a stored row looks like at a given time
 * (TTL, table max versions) and read options (columns_to_get, time range, max versions, filters). Applying
 * writes and checking row conditions live in row-writes.ts.
 */
import type { AttributeCell, PlainBufferRow, PrimaryKeyCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import type { ReadOptions } from '../../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../../errors';
import { evaluateFilter, parseFilter, type FilterNode } from './filter';
import type { Column, StoredRow, Version } from './row-codec';
import { MAX_COLUMNS_TO_GET, validateColumnName, type WideTableDefinition } from './table';
// ------------------------------------------------------------------------------------------- visibility

export interface LiveRow {
  readonly exists: boolean;
  /** Visible columns (TTL and table max versions applied), sorted by name, versions newest first. */
  readonly columns: Column[];
}

function ttlCutoff(def: WideTableDefinition, nowMs: number): number {
  return def.options.timeToLive > 0 ? nowMs - def.options.timeToLive * 1000 : -Infinity;
}

export function liveRow(def: WideTableDefinition, row: StoredRow | undefined, nowMs: number): LiveRow {
  if (!row) return { exists: false, columns: [] };
  const cutoff = ttlCutoff(def, nowMs);
  const max = def.options.maxVersions;
  const columns: Column[] = [];
  for (const c of row.columns) {
    let versions = c.versions;
    if (cutoff !== -Infinity) versions = versions.filter((v) => v.ts > cutoff);
    if (versions.length > max) versions = versions.slice(0, max);
    if (versions.length > 0) columns.push(versions === c.versions ? c : { name: c.name, versions });
  }
  return { exists: columns.length > 0 || row.rowTs > cutoff, columns };
}

/** Drops versions no read can see any more (beyond max versions, past TTL) so storage stays bounded. */
export function prune(def: WideTableDefinition, row: StoredRow, nowMs: number): StoredRow {
  const live = liveRow(def, row, nowMs);
  return { rowTs: row.rowTs, columns: live.columns.map((c) => ({ name: c.name, versions: c.versions.slice() })) };
}

// ---------------------------------------------------------------------------------------------- reading

export interface ReadSpec {
  /** Requested attribute columns; undefined = all. */
  readonly columns?: ReadonlySet<string> | undefined;
  /** columns_to_get named a primary-key column, so the row comes back even without attributes. */
  readonly pkRequested: boolean;
  readonly start?: number | undefined;
  readonly end?: number | undefined;
  readonly specific?: number | undefined;
  readonly maxVersions?: number | undefined;
  readonly filter?: FilterNode | undefined;
  readonly pagination?: { readonly offset: number; readonly limit: number } | undefined;
  readonly startColumn?: string | undefined;
  readonly endColumn?: string | undefined;
}

function toMs(v: bigint | number | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/**
 * Checks and parses the read options of GetRow / GetRange (`api` 'row') or of one BatchGetRow table
 * (`api` 'batch'); the refusals carry the service's wording (docs/protocol.md §8.2).
 */
export function parseReadSpec(def: WideTableDefinition, req: ReadOptions, api: 'row' | 'batch' = 'row'): ReadSpec {
  const names = req.columns_to_get ?? [];
  if (names.length > MAX_COLUMNS_TO_GET)
    throw errors.parameterInvalid(`The number of columns_to_get exceeds the limit of ${MAX_COLUMNS_TO_GET}.`);
  const pkNames = new Set(def.primaryKey.map((c) => c.name));
  let pkRequested = false;
  const columns = new Set<string>();
  for (const n of names) {
    validateColumnName(n);
    if (pkNames.has(n)) pkRequested = true;
    else columns.add(n);
  }
  const tr = req.time_range;
  if (req.max_versions === undefined && !tr) {
    throw errors.parameterInvalid(
      api === 'batch' ? 'No version condition is specified while querying row.' : 'No version condition is specified.',
    );
  }
  // The service's message, misspelling included.
  if (req.max_versions !== undefined && tr?.specific_time !== undefined)
    throw errors.parameterInvalid('Specific tiemstamp and max versions cannot be given at the same time.');
  if (req.max_versions !== undefined && req.max_versions <= 0)
    throw errors.parameterInvalid(`Invalid max_versions: ${req.max_versions}. It must be greater than 0.`);
  let start: number | undefined;
  let end: number | undefined;
  let specific: number | undefined;
  if (tr) {
    specific = toMs(tr.specific_time);
    start = toMs(tr.start_time);
    end = toMs(tr.end_time);
    if (specific === undefined) {
      if (start === undefined || end === undefined)
        throw errors.parameterInvalid('time_range needs both start_time and end_time, or specific_time.');
      if (start < 0 || start >= end)
        throw errors.parameterInvalid(`Invalid time_range: start_time ${start} must be less than end_time ${end}.`);
    } else if (specific < 0) {
      throw errors.parameterInvalid(`Invalid time_range: specific_time ${specific} must not be negative.`);
    }
  }
  let filter: FilterNode | undefined;
  let pagination: { offset: number; limit: number } | undefined;
  if (req.filter && req.filter.length > 0) {
    const node = parseFilter(req.filter, true);
    if (node.kind === 'pagination') pagination = { offset: node.offset, limit: node.limit };
    else filter = node;
  }
  return {
    columns: names.length > 0 ? columns : undefined,
    pkRequested,
    start,
    end,
    specific,
    maxVersions: req.max_versions,
    filter,
    pagination,
    startColumn: req.start_column || undefined,
    endColumn: req.end_column || undefined,
  };
}

function selectVersions(versions: readonly Version[], spec: ReadSpec): Version[] {
  let out: Version[] = versions as Version[];
  if (spec.specific !== undefined) out = out.filter((v) => v.ts === spec.specific);
  else if (spec.start !== undefined && spec.end !== undefined)
    out = out.filter((v) => v.ts >= spec.start! && v.ts < spec.end!);
  if (spec.maxVersions !== undefined && out.length > spec.maxVersions) out = out.slice(0, spec.maxVersions);
  return out;
}

/**
 * Applies a read to a row. Returns the row to send, or undefined when it is omitted: missing, filtered out,
 * or none of the columns named in `columns_to_get` remain (unless a PK column was named). Without
 * `columns_to_get`, an existing row whose cells the time range or versions all leave out still comes back
 * as its bare primary key (docs/protocol.md §8.2).
 */
export function readRow(
  primaryKey: readonly PrimaryKeyCell[],
  live: LiveRow,
  spec: ReadSpec,
): PlainBufferRow | undefined {
  if (!live.exists) return undefined;
  const selected: Column[] = [];
  for (const c of live.columns) {
    const versions = selectVersions(c.versions, spec);
    if (versions.length > 0) selected.push({ name: c.name, versions });
  }
  if (spec.filter) {
    const byName = new Map(selected.map((c) => [c.name, c]));
    if (!evaluateFilter(spec.filter, (n) => byName.get(n))) return undefined;
  }
  let cols = selected;
  if (spec.columns) cols = cols.filter((c) => spec.columns!.has(c.name));
  if (spec.startColumn !== undefined) cols = cols.filter((c) => c.name >= spec.startColumn!);
  if (spec.endColumn !== undefined) cols = cols.filter((c) => c.name < spec.endColumn!);
  if (spec.pagination) cols = cols.slice(spec.pagination.offset, spec.pagination.offset + spec.pagination.limit);
  if (cols.length === 0 && spec.columns && !spec.pkRequested) return undefined;
  const attributes: AttributeCell[] = [];
  for (const c of cols) for (const v of c.versions) attributes.push({ name: c.name, value: v.value, timestamp: v.ts });
  return { primaryKey, attributes };
}
