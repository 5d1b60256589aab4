/**
 * Applying wide-table writes to a row: cell validation (PutRow, UpdateRow cell ops), the row a PutRow or an
 * UpdateRow leaves, and row conditions (row existence and column conditions).
 */
import { CellOp, type AttributeCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import { RowExistence, type Condition } from '../../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../../errors';
import { evaluateFilter, parseFilter, type FilterNode } from './filter';
import type { StoredRow, Version } from './row-codec';
import { valueSize } from './row-codec';
import { prune, type LiveRow } from './rows';
import { MAX_ATTR_VALUE_BYTES, MAX_COLUMNS_PER_WRITE, validateColumnName, type WideTableDefinition } from './table';

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
