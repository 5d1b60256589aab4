/** Wide-table API handlers, keyed by API name. */
import type { ApiHandlers } from '../context';
import { readHandlers } from './read';
import { tableHandlers } from './tables';
import { writeHandlers } from './write';
import { transactionHandlers } from './transactions';

export const wideHandlers: ApiHandlers = {
  ...tableHandlers,
  ...readHandlers,
  ...writeHandlers,
  ...transactionHandlers,
};
