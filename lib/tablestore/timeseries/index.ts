/** Time series client for Tablestore: `new TimeseriesClient({ endpoint, instance, credentials })`. */
export {
  TimeseriesClient,
  SUPPORTED_TABLE_VERSION,
  toMicros,
  type TimeseriesClientOptions,
  type TimeseriesClientConnection,
} from './client';
export * from './types';
export {
  and,
  or,
  not,
  measurement,
  source,
  tag,
  attribute,
  updateTime,
  type MetaCondition,
  type MetaOperator,
} from './conditions';
export { formatTags, parseTags } from './tags';
export { TablestoreError } from '../protocol/errors';
