/// <reference lib="dom" />
/**
 * Calls the JSON API of the same origin. A failure becomes an ApiFailure carrying what the API said (code,
 * message, request id), so the page can show it instead of going blank.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export type Query = ReadonlyArray<readonly [string, string]>;

export async function getJson<T>(path: string, query: Query = [], signal?: AbortSignal): Promise<T> {
  const qs = new URLSearchParams(query as [string, string][]).toString();
  return call<T>(qs ? `${path}?${qs}` : path, { headers: { accept: 'application/json' } }, signal);
}

/** POSTs a JSON body (the SQL and search routes take one). */
export function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return call<T>(
    path,
    {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    signal,
  );
}

async function call<T>(url: string, init: RequestInit, signal: AbortSignal | undefined): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiFailure(0, 'NetworkError', `The API did not answer: ${(e as Error).message}`, undefined);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const headerId = res.headers.get('x-request-id') ?? res.headers.get('x-fc-request-id') ?? undefined;
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      throw new ApiFailure(
        res.status,
        err.code,
        err.message,
        typeof err.requestId === 'string' ? err.requestId : headerId,
      );
    }
    throw new ApiFailure(res.status, `HTTP${res.status}`, text.slice(0, 300) || res.statusText, headerId);
  }
  if (body === undefined)
    throw new ApiFailure(res.status, 'InvalidResponse', 'The API answered with something that is not JSON.', headerId);
  return body as T;
}
