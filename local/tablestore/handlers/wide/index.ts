/** Wide-table API handlers, keyed by API name. */
import type { ApiHandler } from '../../dispatch';

export const wideHandlers: Record<string, ApiHandler> = {};
