/**
 * FC 3.0 entry point of the table audit (handler `index.handler`, timer trigger). The timer's payload is
 * `{"staleAfterMinutes": n, "wideTables"?: [...], "timeseriesTables"?: [...]}`; the result is the summary.
 */
import { createAuditHandler } from '../../lib/api/audit-app';
import { silenceWarnings } from '../../lib/fc/warnings';
import { readersFor } from '../../lib/api/readers';

silenceWarnings();

export const handler = createAuditHandler({ readers: readersFor });
