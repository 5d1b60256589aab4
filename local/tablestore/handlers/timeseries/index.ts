/** Time series API handlers (tables, data, scan, meta), keyed by API name. */
import type { ApiHandlers } from '../context';
import { metaHandlers } from './meta';
import { readHandlers } from './read';
import { scanHandlers } from './scan';
import { tableHandlers } from './tables';
import { writeHandlers } from './write';

export const timeseriesHandlers: ApiHandlers = {
  ...tableHandlers,
  ...writeHandlers,
  ...readHandlers,
  ...scanHandlers,
  ...metaHandlers,
};
