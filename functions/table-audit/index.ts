/**
 * FC 3.0 entry point of the table audit (handler `index.handler`, timer trigger). The timer's payload is
 * `{"staleAfterMinutes": n, "wideTables"?: [...], "timeseriesTables"?: [...]}`; the result is the summary.
 */
import { createAuditHandler } from '../../lib/api/audit-app';
import { readersFor } from '../../lib/api/readers';

export const handler = createAuditHandler({ readers: readersFor });
