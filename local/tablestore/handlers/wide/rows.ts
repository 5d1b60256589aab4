/**
 * Row semantics shared by the wide-table handlers: what a stored row looks like at a given time (TTL,
 * table max versions), read options (columns_to_get, time range, max versions, filters), write validation
 * and application (PutRow, UpdateRow cell ops) and row conditions.
 */
import {
  CellOp,
  type AttributeCell,
  type PlainBufferRow,
  type PrimaryKeyCell,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import { RowExistence, type Condition, type ReadOptions } from '../../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../../errors';
import { evaluateFilter, parseFilter, type FilterNode } from './filter';
import type { Column, StoredRow, Version } from './row-codec';
import { valueSize } from './row-codec';
import {
  MAX_ATTR_VALUE_BYTES,
  MAX_COLUMNS_PER_WRITE,
  MAX_COLUMNS_TO_GET,
  validateColumnName,
  type WideTableDefinition,
} from './table';

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

// ---------------------------------------------------------------------------------------------- writing

function checkTimestamp(def: WideTableDefinition, name: string, ts: number, nowMs: number): void {
  if (!Number.isSafeInteger(ts) || ts < 0) throw errors.parameterInvalid(`Invalid timestamp ${ts} of column ${name}.`);
  const dev = def.options.deviationCellVersionInSec * 1000;
  if (Math.abs(ts - nowMs) > dev) {
    throw errors.parameterInvalid(
      `The timestamp ${ts} of column ${name} is out of the permitted range: it must be within ${def.options.deviationCellVersionInSec} seconds of the server time.`,
    );
  }
}

/** Validates the attribute cells of a PutRow (no ops) or an UpdateRow (ops allowed). */
export function validateCells(
  def: WideTableDefinition,
  cells: readonly AttributeCell[],
  kind: 'put' | 'update',
  nowMs: number,
): void {
  if (cells.length > MAX_COLUMNS_PER_WRITE) {
    throw errors.parameterInvalid(
      `The number of attribute columns (${cells.length}) exceeds the limit of ${MAX_COLUMNS_PER_WRITE}.`,
    );
  }
  const pkNames = new Set(def.primaryKey.map((c) => c.name));
  for (const cell of cells) {
    validateColumnName(cell.name);
    if (pkNames.has(cell.name))
      throw errors.parameterInvalid(`Attribute column ${cell.name} has the same name as a primary key column.`);
    if (cell.value !== undefined && valueSize(cell.value) > MAX_ATTR_VALUE_BYTES) {
      throw errors.parameterInvalid(
        `The value of column ${cell.name} exceeds the limit of ${MAX_ATTR_VALUE_BYTES} bytes.`,
      );
    }
    if (kind === 'put') {
      if (cell.op !== undefined)
        throw errors.parameterInvalid(`PutRow does not accept cell operations (column ${cell.name}).`);
      if (cell.value === undefined) throw errors.parameterInvalid(`Column ${cell.name} has no value.`);
      if (cell.timestamp !== undefined) checkTimestamp(def, cell.name, cell.timestamp, nowMs);
      continue;
    }
    switch (cell.op) {
      case undefined:
        if (cell.value === undefined) throw errors.parameterInvalid(`Column ${cell.name} has no value.`);
        if (cell.timestamp !== undefined) checkTimestamp(def, cell.name, cell.timestamp, nowMs);
        break;
      case CellOp.DELETE_ALL_VERSIONS:
        break;
      case CellOp.DELETE_ONE_VERSION:
        if (cell.timestamp === undefined)
          throw errors.parameterInvalid(`Deleting one version of column ${cell.name} needs its timestamp.`);
        break;
      case CellOp.INCREMENT:
        if (typeof cell.value !== 'bigint')
          throw errors.parameterInvalid(`Increment of column ${cell.name} needs an INTEGER value.`);
        if (cell.timestamp !== undefined)
          throw errors.parameterInvalid(`Increment of column ${cell.name} does not accept a timestamp.`);
        break;
    }
  }
}

function putVersion(columns: Map<string, Version[]>, name: string, version: Version): void {
  const versions = columns.get(name) ?? [];
  const i = versions.findIndex((v) => v.ts <= version.ts);
  if (i === -1) versions.push(version);
  else if (versions[i].ts === version.ts) versions[i] = version;
  else versions.splice(i, 0, version);
  columns.set(name, versions);
}

function toStored(rowTs: number, columns: Map<string, Version[]>): StoredRow {
  const names = [...columns.keys()].filter((n) => columns.get(n)!.length > 0).sort();
  return { rowTs, columns: names.map((name) => ({ name, versions: columns.get(name)! })) };
}

/** PutRow: the row is replaced by the given cells. */
export function applyPut(def: WideTableDefinition, cells: readonly AttributeCell[], nowMs: number): StoredRow {
  const columns = new Map<string, Version[]>();
  for (const cell of cells) putVersion(columns, cell.name, { ts: cell.timestamp ?? nowMs, value: cell.value! });
  return prune(def, toStored(nowMs, columns), nowMs);
}

/**
 * UpdateRow: applies cell ops to the live row. Returns undefined when the row did not exist and the update
 * leaves it empty (nothing to create). Increments use the newest visible version (absent = 0).
 */
export function applyUpdate(
  def: WideTableDefinition,
  live: LiveRow,
  cells: readonly AttributeCell[],
  nowMs: number,
): StoredRow | undefined {
  const columns = new Map<string, Version[]>(live.columns.map((c) => [c.name, c.versions.slice()]));
  for (const cell of cells) {
    switch (cell.op) {
      case undefined:
        putVersion(columns, cell.name, { ts: cell.timestamp ?? nowMs, value: cell.value! });
        break;
      case CellOp.DELETE_ALL_VERSIONS:
        columns.delete(cell.name);
        break;
      case CellOp.DELETE_ONE_VERSION: {
        const versions = columns.get(cell.name);
        if (versions)
          columns.set(
            cell.name,
            versions.filter((v) => v.ts !== cell.timestamp),
          );
        break;
      }
      case CellOp.INCREMENT: {
        const current = columns.get(cell.name)?.[0]?.value;
        if (current !== undefined && typeof current !== 'bigint') {
          throw errors.parameterInvalid(`Column ${cell.name} is not an INTEGER and cannot be incremented.`);
        }
        const next = BigInt.asIntN(64, (current ?? 0n) + (cell.value as bigint));
        const versions = columns.get(cell.name) ?? [];
        const ts = Math.max(nowMs, (versions[0]?.ts ?? 0) + 1);
        putVersion(columns, cell.name, { ts, value: next });
        break;
      }
    }
  }
  const stored = prune(def, toStored(nowMs, columns), nowMs);
  if (!live.exists && stored.columns.length === 0) return undefined;
  return stored;
}

// ------------------------------------------------------------------------------------------- conditions

/** Throws 403 OTSConditionCheckFail when the row condition does not hold for the live row. */
export function checkCondition(condition: Condition, live: LiveRow, operation: 'put' | 'update' | 'delete'): void {
  const expectation = condition.row_existence;
  if (
    expectation !== RowExistence.IGNORE &&
    expectation !== RowExistence.EXPECT_EXIST &&
    expectation !== RowExistence.EXPECT_NOT_EXIST
  ) {
    throw errors.parameterInvalid(`Invalid row_existence: ${expectation}.`);
  }
  if (operation === 'delete' && expectation === RowExistence.EXPECT_NOT_EXIST) {
    throw errors.parameterInvalid('DeleteRow supports only IGNORE and EXPECT_EXIST row existence expectations.');
  }
  let columnCondition: FilterNode | undefined;
  if (condition.column_condition && condition.column_condition.length > 0)
    columnCondition = parseFilter(condition.column_condition, false);
  if (expectation === RowExistence.EXPECT_EXIST && !live.exists) throw errors.conditionCheckFail();
  if (expectation === RowExistence.EXPECT_NOT_EXIST && live.exists) throw errors.conditionCheckFail();
  if (columnCondition) {
    const byName = new Map(live.columns.map((c) => [c.name, c]));
    if (!evaluateFilter(columnCondition, (n) => byName.get(n))) throw errors.conditionCheckFail();
  }
}
