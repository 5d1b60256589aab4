/** Wide-table API handlers, keyed by API name. */
import type { ApiHandler } from '../../dispatch';
import { rowHandlers } from './row-api';
import { tableHandlers } from './tables';

export const wideHandlers: Record<string, ApiHandler> = { ...tableHandlers, ...rowHandlers };
