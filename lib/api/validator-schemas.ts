/**
 * Every schema a function validates, by id: what scripts/build.ts compiles into standalone validators.
 * An id used with `eventValidator` must be listed here (a test checks it).
 */
import { AUDIT_EVENT_SCHEMA } from './audit-app';
import { requestSchema, routeValidatorId } from './router';
import { routes } from './routes';

export function validatorSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const route of routes) out[routeValidatorId(route)] = requestSchema(route);
  out.auditEvent = AUDIT_EVENT_SCHEMA;
  return out;
}
