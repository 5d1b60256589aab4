/**
 * Time series API handlers (CreateTimeseriesTable, PutTimeseriesData, ...), keyed by API name.
 * Owned by the time series work (issue #3); Tablestore Local's dispatch registers whatever is listed here.
 */
import type { ApiHandler } from '../../dispatch';
import { api } from './api';

export const timeseriesHandlers: Record<string, ApiHandler> = { ...api };
