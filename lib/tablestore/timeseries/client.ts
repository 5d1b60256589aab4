/**
 * TimeseriesClient: the ten time series APIs over our transport, with readable types in and out.
 * The official Node SDK has no time series support; this is written from the time series facts of docs/protocol.md §9.
 */
import { TablestoreError, invalidInput } from '../protocol/errors';
import { crc32cSigned } from '../protocol/crc32c';
import { encodeFlatBufferRows, FlatBufferDataType } from '../protocol/flatbuffer-rows';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  MetaUpdateMode,
  RowsSerializeType,
  type FailedRowInfoMsg,
  type PrimaryKeySchemaMsg,
  type TimeseriesKeyMsg,
  type TimeseriesMessageName,
  type TimeseriesMessages,
  type TimeseriesMetaMsg,
  type TimeseriesTableMetaMsg,
} from '../protocol/proto/timeseries';
import {
  callApi,
  createTransport,
  ClientErrorCode,
  malformedResponse,
  type CallOptions,
  type Transport,
  type ClientConnection,
} from '../transport/index';
import { PK_TYPE_CODE, PK_TYPE_NAME } from '../values';
import { encodeMetaCondition } from './conditions';
import { decodePointRows, MAX_ROWS_PER_WRITE } from './rows';
import { formatTagPairs, pairsToRecord, parseTags, tagKeyProblem, tagPairs, tagValueProblem } from './tags';
import type {
  CreateTimeseriesTableRequest,
  DeleteTimeseriesMetaRequest,
  FailedRow,
  FailedRowsResult,
  FieldTypeName,
  GetTimeseriesDataRequest,
  GetTimeseriesDataResult,
  PutTimeseriesDataRequest,
  PutTimeseriesDataResult,
  QueryTimeseriesMetaRequest,
  QueryTimeseriesMetaResult,
  ScanTimeseriesDataRequest,
  SplitTimeseriesScanTaskRequest,
  TimeInput,
  TimeseriesKey,
  TimeseriesMeta,
  TimeseriesRow,
  TimeseriesTableMeta,
  UpdateTimeseriesMetaRequest,
  UpdateTimeseriesTableRequest,
} from './types';

/** The table version whose tag form (`tag_list`) this client speaks. */
export const SUPPORTED_TABLE_VERSION = 1n;
const INT64_MAX = (1n << 63n) - 1n;

/** Per-call options: a deadline for this call (retries included) and cancellation. */
export type TimeseriesCallOptions = Pick<CallOptions, 'deadlineMs' | 'signal'>;

/** Where and how to connect; the client builds its own transport from these (as the wide-table client's). */
export type TimeseriesClientConnection = ClientConnection;

export type TimeseriesClientOptions = (TimeseriesClientConnection | { readonly transport: Transport }) & {
  /**
   * Series whose meta update time this client remembers (default 10 000; 0 disables). Writes then tell the
   * service the time they already know (`meta_cache_update_time`), so it skips redundant meta updates.
   */
  readonly metaCacheSize?: number;
  /**
   * putTimeseriesData splits its rows into several requests when their FlatBuffer would exceed this many
   * bytes (default 4 MiB; the service rejects bodies above 5 MB).
   */
  readonly maxRequestBytes?: number;
};

const FIELD_TYPE_CODE: Record<FieldTypeName, number> = {
  long: FlatBufferDataType.LONG,
  boolean: FlatBufferDataType.BOOLEAN,
  double: FlatBufferDataType.DOUBLE,
  string: FlatBufferDataType.STRING,
  binary: FlatBufferDataType.BINARY,
};

export function toMicros(t: TimeInput): bigint {
  if (t instanceof Date) return BigInt(t.getTime()) * 1000n;
  if (typeof t === 'number') {
    if (!Number.isInteger(t)) throw new TypeError(`time must be an integer number of microseconds, got ${t}`);
    return BigInt(t);
  }
  return t;
}

/** int32 wire fields: protobufjs would silently wrap anything larger. */
function int32(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647)
    throw invalidInput(`${name} must be a 32-bit integer, got ${value}`);
  return value;
}

function keyToMsg(key: TimeseriesKey): TimeseriesKeyMsg {
  let pairs;
  try {
    pairs = tagPairs(key.tags);
  } catch (err) {
    throw invalidInput((err as Error).message);
  }
  return { measurement: key.measurement, source: key.dataSource, tag_list: pairs };
}

function keyFromMsg(msg: TimeseriesKeyMsg): TimeseriesKey {
  const tags = msg.tag_list && msg.tag_list.length ? pairsToRecord(msg.tag_list) : parseTags(msg.tags ?? '');
  return { measurement: msg.measurement ?? '', dataSource: msg.source ?? '', tags };
}

function attributesText(attributes: Readonly<Record<string, string>>): string {
  const names = Object.keys(attributes);
  for (const n of names) {
    const problem = tagKeyProblem(n) ?? tagValueProblem(attributes[n]);
    if (problem) throw invalidInput(problem);
  }
  return formatTagPairs(tagPairs(attributes));
}

function metaFromMsg(msg: TimeseriesMetaMsg): TimeseriesMeta {
  return {
    key: keyFromMsg(msg.time_series_key),
    attributes: parseTags(msg.attributes ?? ''),
    updateTime: msg.update_time !== undefined ? BigInt(msg.update_time) : 0n,
  };
}

function tableMetaFromMsg(m: TimeseriesTableMetaMsg): TimeseriesTableMeta {
  return {
    tableName: m.table_name,
    timeToLive: m.table_options?.time_to_live ?? -1,
    metaOptions: {
      allowUpdateAttributes: m.meta_options?.allow_update_attributes ?? true,
      metaTimeToLive: m.meta_options?.meta_time_to_live ?? -1,
    },
    ...(m.status === undefined ? {} : { status: m.status }),
    timeseriesKeySchema: m.timeseries_key_schema ?? [],
    fieldPrimaryKeySchema: (m.field_primary_key_schema ?? []).map((s: PrimaryKeySchemaMsg) => ({
      name: s.name,
      type: PK_TYPE_NAME[s.type] ?? 'STRING',
    })),
    disableHashPartitionKey: m.disable_hash_partition_key ?? false,
    disableTimeseriesMetaIndex: m.disable_timeseries_meta_index ?? false,
  };
}

function decodeRowsOrThrow(api: string, bytes: Uint8Array): TimeseriesRow[] {
  try {
    return decodePointRows(bytes);
  } catch (err) {
    throw new TablestoreError({
      code: ClientErrorCode.BadResponse,
      message: `${api}: malformed rows: ${(err as Error).message}`,
      httpStatus: 200,
    });
  }
}

/** A page of points, with `nextToken` only when the service sent a non-empty one. */
function rowsPage(api: string, rowsData: Uint8Array, nextToken: Uint8Array | undefined): GetTimeseriesDataResult {
  const rows = decodeRowsOrThrow(api, rowsData);
  return nextToken && nextToken.length ? { rows, nextToken } : { rows };
}

/** `[begin, end)` in microseconds; an open end is the whole int64 range. */
function timeRangeMicros(request: { beginTime?: TimeInput; endTime?: TimeInput }): [bigint, bigint] {
  return [
    request.beginTime !== undefined ? toMicros(request.beginTime) : 0n,
    request.endTime !== undefined ? toMicros(request.endTime) : INT64_MAX,
  ];
}

function fieldsToGetMsg(fields: GetTimeseriesDataRequest['fieldsToGet']) {
  return fields?.map((f) => ({ name: f.name, type: FIELD_TYPE_CODE[f.type] }));
}

/** Calls `fetchPage` with each `nextToken` in turn, starting from `token`, until a page has none. */
async function* followPages<P extends { readonly nextToken?: Uint8Array }>(
  token: Uint8Array | undefined,
  fetchPage: (token: Uint8Array | undefined) => Promise<P>,
): AsyncGenerator<P> {
  for (;;) {
    const page = await fetchPage(token);
    yield page;
    if (!page.nextToken) return;
    token = page.nextToken;
  }
}

function failedRows(list: readonly FailedRowInfoMsg[] | undefined): FailedRow[] {
  return (list ?? []).map((f) => ({ index: f.row_index, code: f.error_code ?? '', message: f.error_message ?? '' }));
}

export class TimeseriesClient {
  readonly transport: Transport;
  private readonly ownsTransport: boolean;
  /** table + series → meta update time (s) last reported by the service; insertion order = age. */
  private readonly metaCache = new Map<string, number>();
  private readonly metaCacheSize: number;
  private readonly maxRequestBytes: number;

  constructor(options: TimeseriesClientOptions) {
    this.metaCacheSize = options.metaCacheSize ?? 10_000;
    this.maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
    if ('transport' in options) {
      this.ownsTransport = false;
      this.transport = options.transport;
    } else {
      this.ownsTransport = true;
      const { metaCacheSize: _metaCacheSize, maxRequestBytes: _maxRequestBytes, ...connection } = options;
      this.transport = createTransport(connection);
    }
  }

  /** Closes the transport's connections when this client created it (a shared transport stays open). */
  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  private async invoke<Req extends TimeseriesMessageName, Res extends TimeseriesMessageName>(
    api: string,
    requestType: Req,
    request: TimeseriesMessages[Req],
    responseType: Res,
    options?: TimeseriesCallOptions,
  ): Promise<TimeseriesMessages[Res]> {
    // Encoded before callApi: an encoding failure surfaces as it is, as it always has for this client.
    const body = encodeTimeseriesMessage(requestType, request);
    return callApi(
      this.transport,
      api,
      () => body,
      (reply) => {
        try {
          return decodeTimeseriesMessage(responseType, reply);
        } catch (err) {
          throw malformedResponse(api, `cannot decode ${responseType}: ${(err as Error).message}`);
        }
      },
      options,
    );
  }

  async createTimeseriesTable(request: CreateTimeseriesTableRequest, options?: TimeseriesCallOptions): Promise<void> {
    const meta: TimeseriesTableMetaMsg = {
      table_name: request.tableName,
      table_options: { time_to_live: int32('timeToLive', request.timeToLive ?? -1) },
    };
    if (request.metaOptions) {
      meta.meta_options = {
        allow_update_attributes: request.metaOptions.allowUpdateAttributes,
        meta_time_to_live: int32('metaTimeToLive', request.metaOptions.metaTimeToLive),
      };
    }
    if (request.timeseriesKeySchema?.length) meta.timeseries_key_schema = [...request.timeseriesKeySchema];
    if (request.fieldPrimaryKeySchema?.length) {
      meta.field_primary_key_schema = request.fieldPrimaryKeySchema.map((s) => ({
        name: s.name,
        type: PK_TYPE_CODE[s.type],
      }));
    }
    if (request.disableHashPartitionKey !== undefined)
      meta.disable_hash_partition_key = request.disableHashPartitionKey;
    if (request.disableTimeseriesMetaIndex !== undefined)
      meta.disable_timeseries_meta_index = request.disableTimeseriesMetaIndex;
    await this.invoke(
      'CreateTimeseriesTable',
      'CreateTimeseriesTableRequest',
      { table_meta: meta },
      'CreateTimeseriesTableResponse',
      options,
    );
  }

  async listTimeseriesTables(options?: TimeseriesCallOptions): Promise<TimeseriesTableMeta[]> {
    const res = await this.invoke(
      'ListTimeseriesTable',
      'ListTimeseriesTableRequest',
      {},
      'ListTimeseriesTableResponse',
      options,
    );
    return (res.table_metas ?? []).map(tableMetaFromMsg);
  }

  async describeTimeseriesTable(tableName: string, options?: TimeseriesCallOptions): Promise<TimeseriesTableMeta> {
    const res = await this.invoke(
      'DescribeTimeseriesTable',
      'DescribeTimeseriesTableRequest',
      { table_name: tableName },
      'DescribeTimeseriesTableResponse',
      options,
    );
    return tableMetaFromMsg(res.table_meta);
  }

  async updateTimeseriesTable(request: UpdateTimeseriesTableRequest, options?: TimeseriesCallOptions): Promise<void> {
    await this.invoke(
      'UpdateTimeseriesTable',
      'UpdateTimeseriesTableRequest',
      {
        table_name: request.tableName,
        table_options:
          request.timeToLive !== undefined ? { time_to_live: int32('timeToLive', request.timeToLive) } : undefined,
        meta_options: request.metaOptions
          ? {
              allow_update_attributes: request.metaOptions.allowUpdateAttributes,
              meta_time_to_live: int32('metaTimeToLive', request.metaOptions.metaTimeToLive),
            }
          : undefined,
      },
      'UpdateTimeseriesTableResponse',
      options,
    );
  }

  async deleteTimeseriesTable(tableName: string, options?: TimeseriesCallOptions): Promise<void> {
    await this.invoke(
      'DeleteTimeseriesTable',
      'DeleteTimeseriesTableRequest',
      { table_name: tableName },
      'DeleteTimeseriesTableResponse',
      options,
    );
    const prefix = `${tableName}\u0000`;
    for (const k of [...this.metaCache.keys()]) if (k.startsWith(prefix)) this.metaCache.delete(k);
  }

  /**
   * Writes points (FlatBuffer rows with CRC-32C). Rows the service rejects individually come back in
   * `failedRows`; the others are stored.
   */
  async putTimeseriesData(
    request: PutTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): Promise<PutTimeseriesDataResult> {
    if (request.rows.length === 0) return { failedRows: [], metaUpdates: [] };
    const cacheKeys: string[] = [];
    let rows;
    try {
      rows = request.rows.map((row) => {
        const tagList = tagPairs(row.key.tags);
        const cacheKey = `${request.tableName}\u0000${row.key.measurement}\u0000${row.key.dataSource}\u0000${formatTagPairs(tagList)}`;
        cacheKeys.push(cacheKey);
        return {
          measurement: row.key.measurement,
          dataSource: row.key.dataSource,
          tagList,
          time: toMicros(row.time),
          fields: row.fields,
          metaCacheUpdateTime: row.metaCacheUpdateTime ?? this.metaCache.get(cacheKey),
        };
      });
    } catch (err) {
      if (err instanceof TablestoreError) throw err;
      throw invalidInput((err as Error).message);
    }
    const failed: FailedRow[] = [];
    const metaUpdates: { index: number; updateTimeSeconds: number }[] = [];
    // At most MAX_ROWS_PER_WRITE rows a request; a request above the size limit is split in halves until each
    // part fits (row indexes stay global).
    const send = async (offset: number, part: typeof rows): Promise<void> => {
      let rowsData: Uint8Array;
      try {
        rowsData = encodeFlatBufferRows(part);
      } catch (err) {
        throw invalidInput((err as Error).message);
      }
      if (rowsData.length > this.maxRequestBytes && part.length > 1) {
        const half = Math.ceil(part.length / 2);
        await send(offset, part.slice(0, half));
        await send(offset + half, part.slice(half));
        return;
      }
      const res = await this.invoke(
        'PutTimeseriesData',
        'PutTimeseriesDataRequest',
        {
          table_name: request.tableName,
          rows_data: {
            type: RowsSerializeType.FLAT_BUFFER,
            rows_data: rowsData,
            flatbuffer_crc32c: crc32cSigned(rowsData),
          },
          meta_update_mode: request.metaUpdateMode === 'ignore' ? MetaUpdateMode.IGNORE : MetaUpdateMode.NORMAL,
          supported_table_version: SUPPORTED_TABLE_VERSION,
        },
        'PutTimeseriesDataResponse',
        options,
      );
      for (const f of failedRows(res.failed_rows)) failed.push({ ...f, index: f.index + offset });
      const ids = res.meta_update_status?.row_ids ?? [];
      const times = res.meta_update_status?.meta_update_times ?? [];
      ids.forEach((id, i) => metaUpdates.push({ index: id + offset, updateTimeSeconds: times[i] ?? 0 }));
    };
    for (let at = 0; at < rows.length; at += MAX_ROWS_PER_WRITE)
      await send(at, rows.slice(at, at + MAX_ROWS_PER_WRITE));
    if (this.metaCacheSize > 0) {
      for (const u of metaUpdates) {
        const k = cacheKeys[u.index];
        if (k === undefined) continue;
        this.metaCache.delete(k);
        this.metaCache.set(k, u.updateTimeSeconds);
        if (this.metaCache.size > this.metaCacheSize)
          this.metaCache.delete(this.metaCache.keys().next().value as string);
      }
    }
    return { failedRows: failed, metaUpdates };
  }

  /** One page of points of one series in [beginTime, endTime). */
  async getTimeseriesData(
    request: GetTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): Promise<GetTimeseriesDataResult> {
    const timeSeriesKey = keyToMsg(request.key);
    const [beginTime, endTime] = timeRangeMicros(request);
    const res = await this.invoke(
      'GetTimeseriesData',
      'GetTimeseriesDataRequest',
      {
        table_name: request.tableName,
        time_series_key: timeSeriesKey,
        begin_time: beginTime,
        end_time: endTime,
        token: request.nextToken,
        limit: int32('limit', request.limit),
        backward: request.backward,
        fields_to_get: fieldsToGetMsg(request.fieldsToGet),
        supported_table_version: SUPPORTED_TABLE_VERSION,
      },
      'GetTimeseriesDataResponse',
      options,
    );
    return rowsPage('GetTimeseriesData', res.rows_data, res.next_token);
  }

  /** Every page of a GetTimeseriesData read, following `nextToken` until the range is exhausted. */
  getTimeseriesDataPages(
    request: GetTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): AsyncGenerator<GetTimeseriesDataResult> {
    return followPages(request.nextToken, (nextToken) => this.getTimeseriesData({ ...request, nextToken }, options));
  }

  /** Every point of the range, page by page. */
  async *iterateTimeseriesData(
    request: GetTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): AsyncGenerator<TimeseriesRow> {
    for await (const page of this.getTimeseriesDataPages(request, options)) yield* page.rows;
  }

  async queryTimeseriesMeta(
    request: QueryTimeseriesMetaRequest,
    options?: TimeseriesCallOptions,
  ): Promise<QueryTimeseriesMetaResult> {
    const res = await this.invoke(
      'QueryTimeseriesMeta',
      'QueryTimeseriesMetaRequest',
      {
        table_name: request.tableName,
        condition: request.condition ? encodeMetaCondition(request.condition) : undefined,
        get_total_hit: request.getTotalHit,
        token: request.nextToken,
        limit: int32('limit', request.limit),
        supported_table_version: SUPPORTED_TABLE_VERSION,
      },
      'QueryTimeseriesMetaResponse',
      options,
    );
    const result: { metas: TimeseriesMeta[]; totalHit?: number; nextToken?: Uint8Array } = {
      metas: (res.timeseries_metas ?? []).map(metaFromMsg),
    };
    if (request.getTotalHit && res.total_hit !== undefined) result.totalHit = Number(res.total_hit);
    if (res.next_token && res.next_token.length) result.nextToken = res.next_token;
    return result;
  }

  /** Every matching series meta, page by page. */
  async *iterateTimeseriesMeta(
    request: QueryTimeseriesMetaRequest,
    options?: TimeseriesCallOptions,
  ): AsyncGenerator<TimeseriesMeta> {
    const pages = followPages(request.nextToken, (nextToken) =>
      this.queryTimeseriesMeta({ ...request, nextToken, getTotalHit: false }, options),
    );
    for await (const page of pages) yield* page.metas;
  }

  /**
   * Splits a table (or one measurement) into up to `splitCountHint` opaque scan ranges for parallel
   * `scanTimeseriesData` calls.
   */
  async splitTimeseriesScanTask(
    request: SplitTimeseriesScanTaskRequest,
    options?: TimeseriesCallOptions,
  ): Promise<Uint8Array[]> {
    const res = await this.invoke(
      'SplitTimeseriesScanTask',
      'SplitTimeseriesScanTaskRequest',
      {
        table_name: request.tableName,
        measurement_name: request.measurement,
        split_count_hint: int32('splitCountHint', request.splitCountHint) ?? 1,
      },
      'SplitTimeseriesScanTaskResponse',
      options,
    );
    return res.split_infos ?? [];
  }

  /** One page of points of every series in a split (or the whole table), in series then time order. */
  async scanTimeseriesData(
    request: ScanTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): Promise<GetTimeseriesDataResult> {
    const [beginTime, endTime] = timeRangeMicros(request);
    const res = await this.invoke(
      'ScanTimeseriesData',
      'ScanTimeseriesDataRequest',
      {
        table_name: request.tableName,
        split_info: request.splitInfo,
        start_time_us: beginTime,
        end_time_us: endTime,
        fields_to_get: fieldsToGetMsg(request.fieldsToGet),
        limit: int32('limit', request.limit),
        data_serialize_type: RowsSerializeType.PLAIN_BUFFER,
        token: request.nextToken,
        supported_table_version: SUPPORTED_TABLE_VERSION,
      },
      'ScanTimeseriesDataResponse',
      options,
    );
    return rowsPage('ScanTimeseriesData', res.data, res.next_token);
  }

  /** Every point of a scan, page by page. */
  async *iterateScanTimeseriesData(
    request: ScanTimeseriesDataRequest,
    options?: TimeseriesCallOptions,
  ): AsyncGenerator<TimeseriesRow> {
    const pages = followPages(request.nextToken, (nextToken) =>
      this.scanTimeseriesData({ ...request, nextToken }, options),
    );
    for await (const page of pages) yield* page.rows;
  }

  /** Sets the attributes of series (creating their meta when absent). */
  async updateTimeseriesMeta(
    request: UpdateTimeseriesMetaRequest,
    options?: TimeseriesCallOptions,
  ): Promise<FailedRowsResult> {
    const res = await this.invoke(
      'UpdateTimeseriesMeta',
      'UpdateTimeseriesMetaRequest',
      {
        table_name: request.tableName,
        timeseries_meta: request.metas.map((m) => ({
          time_series_key: keyToMsg(m.key),
          attributes: attributesText(m.attributes),
        })),
        supported_table_version: SUPPORTED_TABLE_VERSION,
      },
      'UpdateTimeseriesMetaResponse',
      options,
    );
    return { failedRows: failedRows(res.failed_rows) };
  }

  /** Removes series meta (the points stay). */
  async deleteTimeseriesMeta(
    request: DeleteTimeseriesMetaRequest,
    options?: TimeseriesCallOptions,
  ): Promise<FailedRowsResult> {
    // Forget cached meta times first: a write that claims to know a deleted meta must not skip recreating it.
    for (const k of request.keys) {
      try {
        this.metaCache.delete(
          `${request.tableName}\u0000${k.measurement}\u0000${k.dataSource}\u0000${formatTagPairs(tagPairs(k.tags))}`,
        );
      } catch {
        // invalid key: the service reports it as a failed row
      }
    }
    const res = await this.invoke(
      'DeleteTimeseriesMeta',
      'DeleteTimeseriesMetaRequest',
      {
        table_name: request.tableName,
        timeseries_key: request.keys.map(keyToMsg),
        supported_table_version: SUPPORTED_TABLE_VERSION,
      },
      'DeleteTimeseriesMetaResponse',
      options,
    );
    return { failedRows: failedRows(res.failed_rows) };
  }
}
