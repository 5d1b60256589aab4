/**
 * FC 3.0 entry point of the HTTP data API (handler `index.handler`, HTTP trigger). The event is a Buffer
 * holding the HTTP-trigger JSON; the result is FC's `{statusCode, headers, body}` struct.
 */
import { createHttpHandler } from '../../lib/api/http-app';
import { silenceWarnings } from '../../lib/fc/warnings';
import { readersFor } from '../../lib/api/readers';

silenceWarnings();

export const handler = createHttpHandler({ readers: readersFor });
