import type { FcContext } from './types';

/**
 * FC's context has the function timeout but no remaining-time clock. We add `getRemainingTimeInMillis`
 * (the name middy's timeoutEarly looks for) measured from when the runtime handed us the invocation.
 * Without a timeout in the context (local tools), the default FC timeout of 3 s is not assumed: no deadline.
 */
export function withDeadline<T extends FcContext>(context: T, startedAt = Date.now()): T {
  const timeoutSeconds = Number(context.function?.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) return context;
  const deadline = startedAt + timeoutSeconds * 1000;
  return { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}
