/**
 * Dispatch: the registry of every API Tablestore Local serves (API name → handler). The handler contract
 * lives in handlers/context.ts; handler modules never import this file, so there is no import cycle.
 */
import type { ApiHandler } from './handlers/context';
import { wideHandlers } from './handlers/wide';
import { timeseriesHandlers } from './handlers/timeseries';
import { sqlHandlers } from './handlers/sql';
import { searchHandlers } from './handlers/search';
import { indexHandlers } from './indexes/api';

const registry = new Map<string, ApiHandler>([
  ...Object.entries(wideHandlers),
  ...Object.entries(timeseriesHandlers),
  ...Object.entries(sqlHandlers),
  ...Object.entries(searchHandlers),
  ...Object.entries(indexHandlers),
]);

export function findHandler(apiName: string): ApiHandler | undefined {
  return registry.get(apiName);
}
