/**
 * JSON Schemas (2020-12) of request parameters and responses. The same objects validate requests (through
 * @middy/validator) and are published in `GET /openapi.json`, so the document cannot drift from behaviour.
 */
import { TABLE_NAME_PATTERN } from '../tablestore/names';
import { VALUE_SCHEMA } from './lossless';

export type Schema = Record<string, unknown>;

/** A series' measurement: Tablestore refuses '#' in one (docs/protocol.md §9.7), so no series can have it. */
const SERIES_MEASUREMENT = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[^#]*$',
  description: "Measurement of the series (no '#').",
};

export const TABLE_NAME = { type: 'string', pattern: TABLE_NAME_PATTERN, description: 'Table name.' } as const;
export const LIMIT = (max: number, dflt: number) =>
  ({
    type: 'integer',
    minimum: 1,
    maximum: max,
    default: dflt,
    description: `Page size, 1–${max} (default ${dflt}).`,
  }) as const;
export const NEXT = {
  type: 'string',
  maxLength: 8192,
  description: 'Opaque token from the previous page; valid only with the same table and query parameters.',
} as const;
const TIME_PARAM = {
  type: 'string',
  pattern: '^(\\d+|\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2}))$',
  description: 'Integer microseconds since the epoch, or ISO-8601 with a zone.',
} as const;

export const Value = VALUE_SCHEMA;
export const NextToken = {
  type: ['string', 'null'],
  description: 'Token for the next page; null on the last page.',
} as const;
const Micros = { type: 'integer', minimum: 0, description: 'Microseconds since the epoch.' } as const;
const StringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const ErrorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

export const query = {
  rows: {
    start: {
      type: 'string',
      maxLength: 4096,
      description:
        'JSON object of primary-key values (missing columns and "INF_MIN"/"INF_MAX" are open bounds). Inclusive.',
    },
    end: { type: 'string', maxLength: 4096, description: 'JSON object of primary-key values, like start. Exclusive.' },
    direction: { type: 'string', enum: ['forward', 'backward'], default: 'forward' },
    limit: LIMIT(5000, 100),
    columns: {
      type: 'string',
      maxLength: 8192,
      description: 'Comma-separated attribute columns to return (default all).',
    },
    filter: {
      type: 'string',
      maxLength: 8192,
      description:
        'JSON row filter evaluated by Tablestore: {"column","op","value"} with op = != > >= < <=, combined with {"and":[…]}, {"or":[…]}, {"not":…}; ' +
        'optional passIfMissing (default false) and latestVersionOnly (default true). A page the filter empties still carries next.',
    },
    next: NEXT,
  },
  row: {
    pk: { type: 'string', maxLength: 4096, description: 'JSON object with every primary-key column.' },
    columns: {
      type: 'string',
      maxLength: 8192,
      description: 'Comma-separated attribute columns to return (default all).',
    },
  },
  series: {
    measurement: { type: 'string', minLength: 1, maxLength: 128 },
    source: { type: 'string', maxLength: 256, description: 'Data source (exact).' },
    tag: {
      type: 'string',
      maxLength: 4096,
      description: 'name=value; repeat the parameter for several tags (all must match).',
    },
    updatedAfter: { ...TIME_PARAM, description: 'Only series whose meta was updated after this time.' },
    limit: LIMIT(1000, 100),
    next: NEXT,
  },
  points: {
    measurement: SERIES_MEASUREMENT,
    source: {
      type: 'string',
      maxLength: 256,
      default: '',
      description: 'Data source of the series (default empty; with match=meta, empty = any source).',
    },
    tag: {
      type: 'string',
      maxLength: 4096,
      description: 'name=value; repeat for each tag of the series (the full tag set identifies it).',
    },
    start: { ...TIME_PARAM, description: 'Inclusive start (default 0).' },
    end: { ...TIME_PARAM, description: 'Exclusive end (default: unbounded).' },
    fields: { type: 'string', maxLength: 8192, description: 'Comma-separated field names to return (default all).' },
    backward: { type: 'boolean', default: false, description: 'Newest first.' },
    limit: LIMIT(5000, 500),
    next: NEXT,
    match: {
      type: 'string',
      enum: ['exact', 'meta'],
      default: 'exact',
      description:
        'exact: measurement, source and the full tag set name one series (response: series object + points). ' +
        'meta: every series the meta query on measurement/source/tag/updatedAfter selects (response: series array, each with its points).',
    },
    updatedAfter: { ...TIME_PARAM, description: 'match=meta: only series whose meta was updated after this time.' },
    maxSeries: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      description: 'match=meta: series visited per page, 1–1000 (default 100).',
    },
    interval: {
      type: 'string',
      pattern: '^[1-9][0-9]{0,9}(ms|s|m|h|d)$',
      description:
        'Bucket width (e.g. 30s, 5m, 1h, 1d); buckets start at multiples of it since the epoch. With agg; limit then counts buckets.',
    },
    agg: {
      type: 'string',
      maxLength: 8192,
      description:
        'avg|min|max|sum|count|first|last for every field, or field:function pairs (usage:avg,seq:max). Needs interval.',
    },
  },
  latest: {
    measurement: SERIES_MEASUREMENT,
    source: { type: 'string', maxLength: 256, description: 'Data source (exact).' },
    tag: {
      type: 'string',
      maxLength: 4096,
      description: 'name=value; repeat the parameter for several tags (all must match).',
    },
    updatedAfter: { ...TIME_PARAM, description: 'Only series whose meta was updated after this time.' },
    fields: { type: 'string', maxLength: 8192, description: 'Comma-separated field names to return (default all).' },
    limit: LIMIT(1000, 100),
    next: NEXT,
  },
} as const;

const PkColumnSchema = {
  type: 'object',
  required: ['name', 'type'],
  properties: {
    name: { type: 'string' },
    type: { enum: ['INTEGER', 'STRING', 'BINARY'] },
    autoIncrement: { type: 'boolean' },
  },
} as const;

const RowSchema = {
  type: 'object',
  required: ['primaryKey', 'columns'],
  properties: {
    primaryKey: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
    columns: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
  },
} as const;

const SeriesKeyProps = {
  measurement: { type: 'string' },
  source: { type: 'string' },
  tags: StringMap,
} as const;

export const responses = {
  health: {
    type: 'object',
    required: ['status'],
    properties: { status: { const: 'ok' }, instance: { type: 'string' }, region: { type: 'string' } },
  },
  openapi: { type: 'object', description: 'This document.' },
  tables: {
    type: 'object',
    required: ['tables'],
    properties: { tables: { type: 'array', items: { type: 'string' } } },
  },
  table: {
    type: 'object',
    required: ['table', 'primaryKey', 'definedColumns', 'options'],
    properties: {
      table: { type: 'string' },
      primaryKey: { type: 'array', items: PkColumnSchema },
      definedColumns: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
      },
      options: {
        type: 'object',
        properties: {
          timeToLive: { type: 'integer', description: 'Seconds; -1 = never.' },
          maxVersions: { type: 'integer' },
          deviationCellVersionInSec: { type: 'integer' },
          allowUpdate: { type: 'boolean' },
        },
      },
      reservedThroughput: { type: 'object', properties: { read: { type: 'integer' }, write: { type: 'integer' } } },
    },
  },
  rows: {
    type: 'object',
    required: ['table', 'rows', 'next'],
    properties: { table: { type: 'string' }, rows: { type: 'array', items: RowSchema }, next: NextToken },
  },
  row: { type: 'object', required: ['table', 'row'], properties: { table: { type: 'string' }, row: RowSchema } },
  timeseriesTables: {
    type: 'object',
    required: ['tables'],
    properties: { tables: { type: 'array', items: { $ref: '#/components/schemas/TimeseriesTable' } } },
  },
  timeseriesTable: { $ref: '#/components/schemas/TimeseriesTable' },
  series: {
    type: 'object',
    required: ['table', 'series', 'next'],
    properties: {
      table: { type: 'string' },
      series: {
        type: 'array',
        items: {
          type: 'object',
          required: ['measurement', 'source', 'tags', 'attributes'],
          properties: { ...SeriesKeyProps, attributes: StringMap, updateTime: Micros },
        },
      },
      next: NextToken,
    },
  },
  points: {
    type: 'object',
    required: ['table', 'series', 'points', 'next'],
    properties: {
      table: { type: 'string' },
      series: { type: 'object', properties: SeriesKeyProps },
      points: {
        type: 'array',
        items: {
          type: 'object',
          required: ['time', 'fields'],
          properties: {
            time: Micros,
            fields: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
          },
        },
      },
      next: NextToken,
    },
  },
} as const;

const PointSchema = {
  type: 'object',
  required: ['time', 'fields'],
  properties: {
    time: Micros,
    fields: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
  },
} as const;

/** Additions to `responses` for the query routes (match=meta, aggregation, latest). */
export const queryResponses = {
  /** /points: one series (match=exact) or every selected series (match=meta); buckets when aggregated. */
  points: {
    type: 'object',
    required: ['table', 'series', 'next'],
    description:
      'match=exact: series is the series key and points its points. match=meta: series is an array of series, each with its points (points absent at the top level).',
    properties: {
      table: { type: 'string' },
      series: {
        anyOf: [
          { type: 'object', properties: SeriesKeyProps },
          {
            type: 'array',
            items: {
              type: 'object',
              required: ['measurement', 'source', 'tags', 'points'],
              properties: { ...SeriesKeyProps, points: { type: 'array', items: PointSchema } },
            },
          },
        ],
      },
      points: { type: 'array', items: PointSchema },
      interval: {
        type: 'string',
        description: 'Bucket width when aggregated; each point is a bucket and time its start.',
      },
      agg: { type: 'string' },
      next: NextToken,
    },
  },
  latest: {
    type: 'object',
    required: ['table', 'series', 'next'],
    properties: {
      table: { type: 'string' },
      series: {
        type: 'array',
        items: {
          type: 'object',
          required: ['measurement', 'source', 'tags', 'point'],
          properties: { ...SeriesKeyProps, point: { anyOf: [PointSchema, { type: 'null' }] } },
        },
      },
      next: NextToken,
    },
  },
} as const;

export const TimeseriesTableSchema = {
  type: 'object',
  required: ['table'],
  properties: {
    table: { type: 'string' },
    timeToLive: { type: 'integer', description: 'Seconds; -1 = forever.' },
    metaTimeToLive: { type: 'integer' },
    allowUpdateAttributes: { type: 'boolean' },
    timeseriesKeys: { type: 'array', items: { type: 'string' } },
    fieldPrimaryKeys: { type: 'array', items: { type: 'string' } },
    status: { type: 'string' },
  },
} as const;

/** Named schemas referenced with `#/components/schemas/<name>`. */
export const components = {
  Value,
  Error: ErrorBodySchema,
  TimeseriesTable: TimeseriesTableSchema,
} as const;
