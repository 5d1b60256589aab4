/**
 * The ten time series APIs of Tablestore Local, plus SplitTimeseriesScanTask / ScanTimeseriesData.
 *
 * Storage per table: `ts:<table>:data` holds one record per point, keyed series key + time (+ field primary
 * key columns), valued with the point's fields; `ts:<table>:meta` holds one record per series. Reads are
 * ordered scans of those spaces. Meta is maintained synchronously (the service indexes it asynchronously).
 */
import type { HandlerContext } from '../../dispatch';
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import {
  compareUtf8,
  decodeFlatBufferRows,
  FlatBufferFormatError,
  type FlatBufferRow,
  type TimeseriesFieldValue,
  type TimeseriesTagPair,
} from '../../../../lib/tablestore/protocol/flatbuffer-rows';
import type { PrimaryKeyCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  MetaUpdateMode,
  RowsSerializeType,
  type FailedRowInfoMsg,
  type TimeseriesKeyMsg,
  type TimeseriesMessageName,
  type TimeseriesMessages,
  type TimeseriesMetaMsg,
} from '../../../../lib/tablestore/protocol/proto/timeseries';
import { decodeMetaCondition, type MetaCondition } from '../../../../lib/tablestore/timeseries/conditions';
import { encodePointRows, RESERVED_FIELD_NAMES, type PointRowInput } from '../../../../lib/tablestore/timeseries/rows';
import { formatTagPairs, parseTagPairs, tagKeyProblem, tagValueProblem } from '../../../../lib/tablestore/timeseries/tags';
import type { KvWrite } from '../../persistence/store';
import { concat, KeyReader, KeyWriter, keySuccessor, prefixEnd, seriesKey } from './keys';
import { decodeMeta, encodeMeta, matches, MetaView, type MetaRecord } from './meta';
import { decodeFields, encodeFields, FieldNameCache, type StoredField } from './point-codec';
import {
  applyOptions,
  dataSpace,
  definitionFromCreate,
  listTables,
  metaSpace,
  requireTable,
  tableMetaMsg,
  validateTableName,
  type TimeseriesTable,
} from './table';

/** GetTimeseriesData returns at most this many points per call. */
export const MAX_POINTS_PER_READ = 5000;
/** Response size after which GetTimeseriesData stops early with a token. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;
export const DEFAULT_META_LIMIT = 100;
export const MAX_META_LIMIT = 1000;
/** A series' meta update time is refreshed by writes at most this often. */
export const META_REFRESH_MICROS = 3600n * 1_000_000n;
const MAX_FIELDS_PER_ROW = 1024;
const INT64_MAX = (1n << 63n) - 1n;

const EMPTY = new Uint8Array(0);

function decode<N extends TimeseriesMessageName>(ctx: HandlerContext, name: N, body: Uint8Array): TimeseriesMessages[N] {
  try {
    return decodeTimeseriesMessage(name, body);
  } catch (err) {
    throw ctx.errors.parameterInvalid(`Invalid ${name}: ${(err as Error).message}`);
  }
}

const nowMicros = (ctx: HandlerContext) => BigInt(ctx.now().getTime()) * 1000n;

// ------------------------------------------------------------------------------------------------ keys

interface SeriesIdentity {
  readonly measurement: string;
  readonly dataSource: string;
  readonly pairs: readonly TimeseriesTagPair[];
  readonly tags: string;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Validates a series key; returns the problem as text (request- or row-level, the caller decides). */
function seriesIdentity(measurement: string, dataSource: string, pairsIn: readonly TimeseriesTagPair[] | undefined, tagsText: string | undefined): SeriesIdentity | string {
  if (!measurement) return 'measurement must not be empty.';
  if (byteLength(measurement) > 128) return 'measurement must be at most 128 bytes.';
  if (measurement.includes('#')) return "measurement must not contain '#'.";
  if (byteLength(dataSource) > 256) return 'data source must be at most 256 bytes.';
  let pairs: TimeseriesTagPair[];
  if (pairsIn && pairsIn.length) {
    pairs = [...pairsIn].sort((a, b) => compareUtf8(a.name, b.name));
    for (let i = 0; i < pairs.length; i++) {
      const problem = tagKeyProblem(pairs[i].name) ?? tagValueProblem(pairs[i].value);
      if (problem) return problem;
      if (i && pairs[i].name === pairs[i - 1].name) return `duplicate tag name '${pairs[i].name}'.`;
    }
  } else {
    try {
      pairs = parseTagPairs(tagsText ?? '');
    } catch (err) {
      return (err as Error).message;
    }
  }
  const tags = formatTagPairs(pairs);
  if (byteLength(tags) > 512) return 'tags must be at most 512 bytes in string form.';
  return { measurement, dataSource, pairs, tags };
}

function identityFromKeyMsg(key: TimeseriesKeyMsg): SeriesIdentity | string {
  return seriesIdentity(key.measurement ?? '', key.source ?? '', key.tag_list, key.tags);
}

function seriesKeyOf(id: SeriesIdentity): Uint8Array {
  return seriesKey(id.measurement, id.dataSource, id.tags);
}

/** TimeseriesKey in the tag form the caller speaks (tag_list from table version 1 on, else the string). */
function keyMsg(m: { measurement: string; dataSource: string; tags: string }, version: bigint | undefined): TimeseriesKeyMsg {
  if (version !== undefined && version >= 1n) {
    return { measurement: m.measurement, source: m.dataSource, tag_list: parseTagPairs(m.tags) };
  }
  return { measurement: m.measurement, source: m.dataSource, tags: m.tags };
}

function failed(index: number, message: string, code = 'OTSParameterInvalid'): FailedRowInfoMsg {
  return { row_index: index, error_code: code, error_message: message };
}

// ------------------------------------------------------------------------------------------------ tables

async function createTimeseriesTable(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'CreateTimeseriesTableRequest', body);
  const name = validateTableName(ctx.errors, req.table_meta.table_name);
  ctx.authorize('ots:CreateTimeseriesTable', [name]);
  const definition = definitionFromCreate(
    ctx.errors,
    req.table_meta,
    req.analytical_stores ?? [],
    (req.lastpoint_index_metas ?? []).map((m) => m.index_table_name),
  );
  if (ctx.catalog.get(name)) throw ctx.errors.tableAlreadyExist();
  if (ctx.catalog.usedSlots() + 2 > 64) {
    throw ctx.errors.quotaExhausted('Number of tables exceeded the quota (64 per instance; a time series table counts as 2).');
  }
  // No await between the checks above and this put: the catalog updates its map synchronously, so two
  // concurrent creates of one name cannot both pass. (Deletes drop the data spaces before the record.)
  await ctx.catalog.put({ name, kind: 'timeseries', createdAtMs: ctx.now().getTime(), definition });
  return EMPTY;
}

async function listTimeseriesTable(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  decode(ctx, 'ListTimeseriesTableRequest', body);
  ctx.authorize('ots:ListTimeseriesTable', ['*']);
  return encodeTimeseriesMessage('ListTimeseriesTableResponse', {
    table_metas: listTables(ctx.catalog).map((t) => tableMetaMsg(t.name, t.definition)),
  });
}

async function describeTimeseriesTable(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'DescribeTimeseriesTableRequest', body);
  ctx.authorize('ots:DescribeTimeseriesTable', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  return encodeTimeseriesMessage('DescribeTimeseriesTableResponse', {
    table_meta: tableMetaMsg(table.name, table.definition),
    analytical_stores: table.definition.analyticalStores.map((s) => ({
      store_name: s.storeName,
      time_to_live: s.timeToLive,
      sync_option: s.syncOption,
    })),
    lastpoint_indexes: table.definition.lastpointIndexes.map((index_table_name) => ({ index_table_name })),
  });
}

async function updateTimeseriesTable(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'UpdateTimeseriesTableRequest', body);
  ctx.authorize('ots:UpdateTimeseriesTable', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  if (!req.table_options && !req.meta_options) throw ctx.errors.parameterInvalid('Nothing to update: give table_options or meta_options.');
  const options = applyOptions(ctx.errors, table.definition, req.table_options, req.meta_options);
  const record = ctx.catalog.get(table.name)!;
  await ctx.catalog.put({ ...record, definition: { ...table.definition, ...options } });
  return EMPTY;
}

async function deleteTimeseriesTable(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'DeleteTimeseriesTableRequest', body);
  ctx.authorize('ots:DeleteTimeseriesTable', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  await ctx.catalog.delete(table.name, [dataSpace(table.name), metaSpace(table.name)]);
  return EMPTY;
}

// ------------------------------------------------------------------------------------------------ data

function pkValueMatches(type: number, v: TimeseriesFieldValue): boolean {
  return type === 1 ? typeof v === 'bigint' : type === 2 ? typeof v === 'string' : v instanceof Uint8Array;
}

interface PreparedRow {
  readonly id: SeriesIdentity;
  readonly seriesKey: Uint8Array;
  readonly pointKey: Uint8Array;
  readonly value: Uint8Array;
  readonly metaCacheUpdateTime: number;
}

function prepareRow(table: TimeseriesTable, row: FlatBufferRow): PreparedRow | string {
  const id = seriesIdentity(row.measurement, row.dataSource, row.tagList, row.tags);
  if (typeof id === 'string') return id;
  if (row.time < 0n) return `time must not be negative, got ${row.time}.`;
  const names = Object.keys(row.fields);
  if (names.length === 0) return 'a row needs at least one field.';
  if (names.length > MAX_FIELDS_PER_ROW) return `a row may hold at most ${MAX_FIELDS_PER_ROW} fields.`;
  for (const n of names) {
    if (!n) return 'field names must not be empty.';
    if (RESERVED_FIELD_NAMES.has(n)) return `field name '${n}' is reserved.`;
  }
  const sKey = seriesKeyOf(id);
  const w = new KeyWriter(sKey.length + 16).raw(sKey).int64(row.time);
  const pkNames = new Set<string>();
  for (const pk of table.definition.fieldPrimaryKeySchema) {
    const v = row.fields[pk.name];
    if (v === undefined || !Object.prototype.hasOwnProperty.call(row.fields, pk.name)) return `field primary key column '${pk.name}' is missing.`;
    if (!pkValueMatches(pk.type, v)) return `field primary key column '${pk.name}' has the wrong type.`;
    if (typeof v === 'bigint') w.int64(v);
    else if (typeof v === 'string') w.string(v);
    else w.bytes(v as Uint8Array);
    pkNames.add(pk.name);
  }
  const stored: StoredField[] = names
    .filter((n) => !pkNames.has(n))
    .sort(compareUtf8)
    .map((n) => [n, row.fields[n]] as const);
  return { id, seriesKey: sKey, pointKey: w.finish(), value: encodeFields(stored), metaCacheUpdateTime: row.metaCacheUpdateTime };
}

async function putTimeseriesData(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'PutTimeseriesDataRequest', body);
  ctx.authorize('ots:PutTimeseriesData', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  const rowsMsg = req.rows_data;
  if (rowsMsg.type !== RowsSerializeType.FLAT_BUFFER) {
    throw ctx.errors.parameterInvalid(`Unsupported rows serialize type ${rowsMsg.type}; use RST_FLAT_BUFFER.`);
  }
  if (rowsMsg.flatbuffer_crc32c !== undefined) {
    const actual = crc32c(rowsMsg.rows_data) | 0;
    if (actual !== rowsMsg.flatbuffer_crc32c) {
      throw ctx.errors.parameterInvalid(`flatbuffer_crc32c mismatch: rows_data has CRC-32C ${actual}, request says ${rowsMsg.flatbuffer_crc32c}.`);
    }
  }
  let rows: FlatBufferRow[];
  try {
    rows = decodeFlatBufferRows(rowsMsg.rows_data);
  } catch (err) {
    if (err instanceof FlatBufferFormatError) throw ctx.errors.parameterInvalid(`Malformed FlatBuffer rows: ${err.message}`);
    throw err;
  }
  if (rows.length === 0) throw ctx.errors.parameterInvalid('rows_data holds no rows.');

  const now = nowMicros(ctx);
  const updateMeta = (req.meta_update_mode ?? MetaUpdateMode.NORMAL) === MetaUpdateMode.NORMAL;
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  const dSpace = dataSpace(table.name);
  const mSpace = metaSpace(table.name);
  const touched = new Map<string, MetaRecord>();
  const statusIds: number[] = [];
  const statusTimes: number[] = [];

  for (let i = 0; i < rows.length; i++) {
    const p = prepareRow(table, rows[i]);
    if (typeof p === 'string') {
      failures.push(failed(i, p));
      continue;
    }
    writes.push({ space: dSpace, key: p.pointKey, value: p.value });
    if (!updateMeta) continue;
    const mapKey = Buffer.from(p.seriesKey).toString('latin1');
    let meta = touched.get(mapKey);
    if (!meta) {
      const stored = ctx.store.get(mSpace, p.seriesKey);
      const existing = stored ? decodeMeta(stored) : undefined;
      if (!existing || now - existing.updateTime >= META_REFRESH_MICROS) {
        meta = {
          measurement: p.id.measurement,
          dataSource: p.id.dataSource,
          tags: p.id.tags,
          attributes: existing?.attributes ?? '[]',
          updateTime: now,
        };
        writes.push({ space: mSpace, key: p.seriesKey, value: encodeMeta(meta) });
      } else {
        meta = existing;
      }
      touched.set(mapKey, meta);
    }
    const metaSeconds = Number(meta.updateTime / 1_000_000n);
    // Tell the writer when its cached meta time is stale so it can refresh its cache.
    if (p.metaCacheUpdateTime !== metaSeconds) {
      statusIds.push(i);
      statusTimes.push(metaSeconds);
    }
  }
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('PutTimeseriesDataResponse', {
    failed_rows: failures,
    meta_update_status: statusIds.length ? { row_ids: statusIds, meta_update_times: statusTimes } : undefined,
  });
}

function tokenHeader(kind: number, check: number, flags: number): Uint8Array {
  const h = Buffer.alloc(7);
  h[0] = 0x54; // 'T'
  h[1] = kind;
  h.writeUInt32LE(check >>> 0, 2);
  h[6] = flags;
  return h;
}

/** Opaque page token = header (kind, CRC of what it belongs to, flags) + the storage key to resume at. */
function makeToken(kind: number, check: number, flags: number, key: Uint8Array): Uint8Array {
  return concat(tokenHeader(kind, check, flags), key);
}

function readToken(ctx: HandlerContext, token: Uint8Array, kind: number, check: number, flags: number): Uint8Array {
  const h = tokenHeader(kind, check, flags);
  if (token.length < h.length || !Buffer.from(token.subarray(0, h.length)).equals(h)) {
    throw ctx.errors.parameterInvalid('Invalid token: it does not belong to this request.');
  }
  return token.subarray(h.length);
}

const TOKEN_DATA = 1;
const TOKEN_META = 2;
const TOKEN_SCAN = 3;

async function getTimeseriesData(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'GetTimeseriesDataRequest', body);
  ctx.authorize('ots:GetTimeseriesData', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  const id = identityFromKeyMsg(req.time_series_key);
  if (typeof id === 'string') throw ctx.errors.parameterInvalid(`Invalid time_series_key: ${id}`);

  let begin = req.begin_time !== undefined ? BigInt(req.begin_time) : 0n;
  let end = req.end_time !== undefined ? BigInt(req.end_time) : INT64_MAX;
  if (req.specific_time !== undefined && BigInt(req.specific_time) > 0n) {
    begin = BigInt(req.specific_time);
    end = begin + 1n;
  }
  if (begin < 0n) throw ctx.errors.parameterInvalid('begin_time must not be negative.');
  if (begin >= end) throw ctx.errors.parameterInvalid('begin_time must be less than end_time.');
  if (req.limit !== undefined && req.limit <= 0) throw ctx.errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? MAX_POINTS_PER_READ, MAX_POINTS_PER_READ);
  const backward = req.backward ?? false;

  const want = fieldsWanted(ctx, req.fields_to_get);

  const def = table.definition;
  if (def.timeToLive !== -1) {
    const oldest = nowMicros(ctx) - BigInt(def.timeToLive) * 1_000_000n;
    if (oldest > begin) begin = oldest;
  }
  const sKey = seriesKeyOf(id);
  const seriesCheck = crc32c(sKey);
  let gte = new KeyWriter(sKey.length + 8).raw(sKey).int64(begin).finish();
  let lt = new KeyWriter(sKey.length + 8).raw(sKey).int64(end).finish();
  if (req.token && req.token.length) {
    const resume = readToken(ctx, req.token, TOKEN_DATA, seriesCheck, backward ? 1 : 0);
    const at = concat(sKey, resume);
    if (backward) {
      const after = keySuccessor(at);
      if (Buffer.compare(after, lt) < 0) lt = after;
    } else if (Buffer.compare(at, gte) > 0) {
      gte = at;
    }
  }

  const points: PointRowInput[] = [];
  let nextToken: Uint8Array | undefined;
  if (begin < end && Buffer.compare(gte, lt) < 0) {
    const series = seriesColumns(def, sKey, id);
    const names = new FieldNameCache();
    let bytes = 0;
    for (const rec of ctx.store.scan(dataSpace(table.name), { gte, lt, reverse: backward })) {
      if (points.length >= limit || bytes >= MAX_READ_BYTES) {
        nextToken = makeToken(TOKEN_DATA, seriesCheck, backward ? 1 : 0, rec.key.subarray(sKey.length));
        break;
      }
      const point = pointOf(def, series, rec.key, sKey.length, rec.value, want, names);
      if (!point) continue;
      bytes += rec.value.length + rec.key.length;
      points.push(point);
    }
  }
  return encodeTimeseriesMessage('GetTimeseriesDataResponse', { rows_data: encodePointRows(points), next_token: nextToken });
}

/** The key columns every point of one series shares. */
type SeriesColumns = Pick<PointRowInput, 'hash' | 'measurement' | 'dataSource' | 'tags' | 'extraKey'>;

function seriesColumns(def: TimeseriesTable['definition'], sKey: Uint8Array, id: SeriesIdentity): SeriesColumns {
  return {
    hash: crc32c(sKey).toString(16).padStart(8, '0'),
    measurement: id.measurement,
    dataSource: id.dataSource,
    tags: id.tags,
    extraKey: def.timeseriesKeySchema.length
      ? def.timeseriesKeySchema.map((name) => ({ name, value: id.pairs.find((p) => p.name === name)?.value ?? '' }))
      : undefined,
  };
}

/** A stored point as a response row; undefined when `want` leaves none of its fields. */
function pointOf(
  def: TimeseriesTable['definition'],
  series: SeriesColumns,
  key: Uint8Array,
  seriesKeyLength: number,
  value: Uint8Array,
  want: ReadonlyMap<string, number> | undefined,
  names: FieldNameCache,
): PointRowInput | undefined {
  const fields = decodeFields(value, want, names);
  const reader = new KeyReader(key, seriesKeyLength);
  const time = reader.int64();
  let fieldKey: PrimaryKeyCell[] | undefined;
  if (def.fieldPrimaryKeySchema.length) {
    fieldKey = def.fieldPrimaryKeySchema.map((pk) => ({
      name: pk.name,
      value: pk.type === 1 ? reader.int64() : pk.type === 2 ? reader.string() : reader.bytes(),
    }));
    if (want) fieldKey = fieldKey.filter((c) => want.get(c.name) === (typeof c.value === 'bigint' ? 1 : typeof c.value === 'string' ? 4 : 5));
  }
  if (want && fields.length === 0 && !fieldKey?.length) return undefined;
  return {
    hash: series.hash,
    measurement: series.measurement,
    dataSource: series.dataSource,
    tags: series.tags,
    extraKey: series.extraKey,
    time,
    fieldKey,
    fields,
  };
}

function fieldsWanted(ctx: HandlerContext, list: readonly { name?: string; type?: number }[] | undefined): Map<string, number> | undefined {
  if (!list || list.length === 0) return undefined;
  const want = new Map<string, number>();
  for (const f of list) {
    if (!f.name || f.type === undefined || f.type < 1 || f.type > 5) {
      throw ctx.errors.parameterInvalid('Every fields_to_get entry needs a name and a type (1-5).');
    }
    want.set(f.name, f.type);
  }
  return want;
}

// ------------------------------------------------------------------------------------------------ scan

/** Length of the series part of a point key (measurement, data source, tags components). */
function seriesKeyLength(key: Uint8Array): number {
  const r = new KeyReader(key);
  r.bytes();
  r.bytes();
  r.bytes();
  return r.pos;
}

/** Key range of one scan split: [gte, lt) over point keys, bound to its table. */
interface SplitRange {
  readonly table: string;
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
}

function encodeSplit(split: SplitRange): Uint8Array {
  const table = Buffer.from(split.table, 'utf8');
  const part = (b: Uint8Array | undefined) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b ? b.length : 0xffffffff);
    return b ? Buffer.concat([len, b]) : len;
  };
  const head = Buffer.from([0x53, 1, table.length & 0xff, table.length >> 8]);
  return new Uint8Array(Buffer.concat([head, table, part(split.gte), part(split.lt)]));
}

function decodeSplit(ctx: HandlerContext, bytes: Uint8Array, tableName: string): SplitRange {
  const bad = () => ctx.errors.parameterInvalid('Invalid split_info: use one returned by SplitTimeseriesScanTask for this table.');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0x53 || b[1] !== 1) throw bad();
  const tableLen = b.readUInt16LE(2);
  if (b.length < 4 + tableLen) throw bad();
  const table = b.toString('utf8', 4, 4 + tableLen);
  if (table !== tableName) throw bad();
  let p = 4 + tableLen;
  const part = (): Uint8Array | undefined => {
    if (p + 4 > b.length) throw bad();
    const len = b.readUInt32LE(p);
    p += 4;
    if (len === 0xffffffff) return undefined;
    if (p + len > b.length) throw bad();
    const out = new Uint8Array(b.subarray(p, p + len));
    p += len;
    return out;
  };
  const gte = part();
  const lt = part();
  if (p !== b.length) throw bad();
  return { table, gte, lt };
}

async function splitTimeseriesScanTask(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'SplitTimeseriesScanTaskRequest', body);
  ctx.authorize('ots:SplitTimeseriesScanTask', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  if (!(req.split_count_hint >= 1)) throw ctx.errors.parameterInvalid('split_count_hint must be at least 1.');
  const range = req.measurement_name ? measurementRange({ kind: 'measurement', op: '=', value: req.measurement_name }) : {};
  // Distinct series in the range, found by seeking past each one.
  const space = dataSpace(table.name);
  const starts: Uint8Array[] = [];
  let cursor = range.gte;
  for (;;) {
    const it = ctx.store.scan(space, { gte: cursor, lt: range.lt });
    const first = it.next();
    it.return?.();
    if (first.done) break;
    const prefix = first.value.key.subarray(0, seriesKeyLength(first.value.key));
    starts.push(new Uint8Array(prefix));
    cursor = prefixEnd(prefix);
  }
  const n = Math.max(1, Math.min(req.split_count_hint, starts.length));
  const splits: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const from = Math.floor((k * starts.length) / n);
    const to = Math.floor(((k + 1) * starts.length) / n);
    splits.push(
      encodeSplit({
        table: table.name,
        gte: k === 0 ? range.gte : starts[from],
        lt: k === n - 1 ? range.lt : starts[to],
      }),
    );
  }
  return encodeTimeseriesMessage('SplitTimeseriesScanTaskResponse', { split_infos: splits });
}

async function scanTimeseriesData(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'ScanTimeseriesDataRequest', body);
  ctx.authorize('ots:ScanTimeseriesData', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  const def = table.definition;
  const split: SplitRange = req.split_info && req.split_info.length ? decodeSplit(ctx, req.split_info, table.name) : { table: table.name };
  let begin = req.start_time_us !== undefined ? BigInt(req.start_time_us) : 0n;
  const end = req.end_time_us !== undefined ? BigInt(req.end_time_us) : INT64_MAX;
  if (begin < 0n) throw ctx.errors.parameterInvalid('start_time_us must not be negative.');
  if (begin >= end) throw ctx.errors.parameterInvalid('start_time_us must be less than end_time_us.');
  if (req.limit !== undefined && req.limit <= 0) throw ctx.errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? MAX_POINTS_PER_READ, MAX_POINTS_PER_READ);
  const want = fieldsWanted(ctx, req.fields_to_get);
  if (def.timeToLive !== -1) {
    const oldest = nowMicros(ctx) - BigInt(def.timeToLive) * 1_000_000n;
    if (oldest > begin) begin = oldest;
  }
  const check = crc32c(encodeSplit(split));
  let cursor = split.gte;
  if (req.token && req.token.length) {
    const resume = new Uint8Array(readToken(ctx, req.token, TOKEN_SCAN, check, 0));
    if (!cursor || Buffer.compare(resume, cursor) > 0) cursor = resume;
  }

  const space = dataSpace(table.name);
  const points: PointRowInput[] = [];
  let nextToken: Uint8Array | undefined;
  let bytes = 0;
  let series: { prefix: Uint8Array; columns: SeriesColumns } | undefined;
  const names = new FieldNameCache();
  // Walk the split in key order, seeking past the parts of each series outside [begin, end).
  scan: while (begin < end) {
    for (const rec of ctx.store.scan(space, { gte: cursor, lt: split.lt })) {
      const prefixLen = seriesKeyLength(rec.key);
      const time = new KeyReader(rec.key, prefixLen).int64();
      const prefix = rec.key.subarray(0, prefixLen);
      if (time < begin) {
        cursor = concat(prefix, new KeyWriter(8).int64(begin).finish());
        continue scan;
      }
      if (time >= end) {
        cursor = prefixEnd(prefix);
        continue scan;
      }
      if (points.length >= limit || bytes >= MAX_READ_BYTES) {
        nextToken = makeToken(TOKEN_SCAN, check, 0, rec.key);
        break scan;
      }
      if (!series || Buffer.compare(series.prefix, prefix) !== 0) {
        const r = new KeyReader(rec.key);
        const id = seriesIdentity(r.string(), r.string(), undefined, r.string());
        if (typeof id === 'string') continue; // cannot happen for keys we wrote
        series = { prefix: new Uint8Array(prefix), columns: seriesColumns(def, prefix, id) };
      }
      const point = pointOf(def, series.columns, rec.key, prefixLen, rec.value, want, names);
      if (!point) continue;
      bytes += rec.key.length + rec.value.length;
      points.push(point);
    }
    break;
  }
  return encodeTimeseriesMessage('ScanTimeseriesDataResponse', {
    data_serialize_type: RowsSerializeType.PLAIN_BUFFER,
    data: encodePointRows(points),
    next_token: nextToken,
  });
}

// ------------------------------------------------------------------------------------------------ meta

function liveMeta(table: TimeseriesTable, now: bigint, m: MetaRecord): boolean {
  const ttl = table.definition.metaTimeToLive;
  return ttl === -1 || now - m.updateTime < BigInt(ttl) * 1_000_000n;
}

function metaMsg(m: MetaRecord, version: bigint | undefined): TimeseriesMetaMsg {
  return { time_series_key: keyMsg(m, version), attributes: m.attributes, update_time: m.updateTime };
}

/** Key range implied by a measurement '=' or 'prefix' condition at the top level (or under a top-level AND). */
function measurementRange(c: MetaCondition): { gte?: Uint8Array; lt?: Uint8Array } {
  const candidates = c.kind === 'and' ? c.conditions : [c];
  for (const x of candidates) {
    if (x.kind !== 'measurement') continue;
    if (x.op === '=') {
      const prefix = new KeyWriter().string(x.value).finish();
      return { gte: prefix, lt: prefixEnd(prefix) };
    }
    if (x.op === 'prefix' && x.value.length > 0) {
      // The escaped bytes of the prefix without the component terminator.
      const full = new KeyWriter().string(x.value).finish();
      const prefix = full.subarray(0, full.length - 2);
      return { gte: prefix, lt: prefixEnd(prefix) };
    }
  }
  return {};
}

async function queryTimeseriesMeta(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'QueryTimeseriesMetaRequest', body);
  ctx.authorize('ots:QueryTimeseriesMeta', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  if (table.definition.disableTimeseriesMetaIndex) {
    throw ctx.errors.parameterInvalid('QueryTimeseriesMeta is not available: the table was created with disable_timeseries_meta_index.');
  }
  let condition: MetaCondition | undefined;
  if (req.condition) {
    try {
      condition = decodeMetaCondition(req.condition);
    } catch (err) {
      throw ctx.errors.parameterInvalid(`Invalid condition: ${(err as Error).message}`);
    }
  }
  if (req.limit !== undefined && req.limit <= 0) throw ctx.errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? DEFAULT_META_LIMIT, MAX_META_LIMIT);
  const check = req.condition ? crc32c(encodeTimeseriesMessage('MetaQueryCondition', req.condition)) : 0;
  const now = nowMicros(ctx);
  const space = metaSpace(table.name);
  const isMatch = (m: MetaRecord) => liveMeta(table, now, m) && (!condition || matches(condition, new MetaView(m)));

  // Series keys start with the measurement, so a measurement condition that every match must satisfy
  // narrows the scan to a key range.
  const range = condition ? measurementRange(condition) : {};
  let gte = range.gte;
  if (req.token && req.token.length) {
    const resume = Uint8Array.from(readToken(ctx, req.token, TOKEN_META, check, 0));
    if (!gte || Buffer.compare(resume, gte) > 0) gte = resume;
  }
  const metas: TimeseriesMetaMsg[] = [];
  let nextToken: Uint8Array | undefined;
  for (const rec of ctx.store.scan(space, { gte, lt: range.lt })) {
    const m = decodeMeta(rec.value);
    if (!isMatch(m)) continue;
    if (metas.length >= limit) {
      nextToken = makeToken(TOKEN_META, check, 0, rec.key);
      break;
    }
    metas.push(metaMsg(m, req.supported_table_version));
  }
  let totalHit: bigint | undefined;
  if (req.get_total_hit) {
    let n = 0n;
    for (const rec of ctx.store.scan(space, { gte: range.gte, lt: range.lt })) if (isMatch(decodeMeta(rec.value))) n++;
    totalHit = n;
  }
  return encodeTimeseriesMessage('QueryTimeseriesMetaResponse', { timeseries_metas: metas, total_hit: totalHit, next_token: nextToken });
}

async function updateTimeseriesMeta(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'UpdateTimeseriesMetaRequest', body);
  ctx.authorize('ots:UpdateTimeseriesMeta', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  if (!table.definition.allowUpdateAttributes) {
    throw ctx.errors.parameterInvalid('This table does not allow updating attributes (allow_update_attributes is false).');
  }
  const items = req.timeseries_meta ?? [];
  if (items.length === 0) throw ctx.errors.parameterInvalid('timeseries_meta must not be empty.');
  const now = nowMicros(ctx);
  const space = metaSpace(table.name);
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  items.forEach((item, i) => {
    const id = identityFromKeyMsg(item.time_series_key);
    if (typeof id === 'string') return void failures.push(failed(i, id));
    const key = seriesKeyOf(id);
    let attributes: string;
    if (item.attributes !== undefined) {
      try {
        attributes = formatTagPairs(parseTagPairs(item.attributes));
      } catch (err) {
        return void failures.push(failed(i, `Invalid attributes: ${(err as Error).message}`));
      }
    } else {
      const stored = ctx.store.get(space, key);
      attributes = stored ? decodeMeta(stored).attributes : '[]';
    }
    writes.push({
      space,
      key,
      value: encodeMeta({ measurement: id.measurement, dataSource: id.dataSource, tags: id.tags, attributes, updateTime: now }),
    });
  });
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('UpdateTimeseriesMetaResponse', { failed_rows: failures });
}

async function deleteTimeseriesMeta(ctx: HandlerContext, body: Uint8Array): Promise<Uint8Array> {
  const req = decode(ctx, 'DeleteTimeseriesMetaRequest', body);
  ctx.authorize('ots:DeleteTimeseriesMeta', [req.table_name]);
  const table = requireTable(ctx.catalog, ctx.errors, req.table_name);
  const keys = req.timeseries_key ?? [];
  if (keys.length === 0) throw ctx.errors.parameterInvalid('timeseries_key must not be empty.');
  const space = metaSpace(table.name);
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  keys.forEach((k, i) => {
    const id = identityFromKeyMsg(k);
    if (typeof id === 'string') return void failures.push(failed(i, id));
    writes.push({ space, key: seriesKeyOf(id) });
  });
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('DeleteTimeseriesMetaResponse', { failed_rows: failures });
}

export const api = {
  CreateTimeseriesTable: createTimeseriesTable,
  ListTimeseriesTable: listTimeseriesTable,
  DescribeTimeseriesTable: describeTimeseriesTable,
  UpdateTimeseriesTable: updateTimeseriesTable,
  DeleteTimeseriesTable: deleteTimeseriesTable,
  PutTimeseriesData: putTimeseriesData,
  GetTimeseriesData: getTimeseriesData,
  QueryTimeseriesMeta: queryTimeseriesMeta,
  UpdateTimeseriesMeta: updateTimeseriesMeta,
  DeleteTimeseriesMeta: deleteTimeseriesMeta,
  SplitTimeseriesScanTask: splitTimeseriesScanTask,
  ScanTimeseriesData: scanTimeseriesData,
} as const;
