import type { CredentialProvider, Credentials } from './types';
import { CredentialsError, isCredentialsNotFound } from './errors';

/**
 * Try providers in order; the first that resolves wins. Only `CredentialsNotFound` moves on: a source that
 * exists but fails (STS refused the role, expired keys) is reported, not silently skipped.
 */
export function chain(...providers: CredentialProvider[]): CredentialProvider {
  if (providers.length === 0) throw new TypeError('chain() needs at least one provider');
  return async (options) => {
    const misses: string[] = [];
    for (const provider of providers) {
      try {
        return await provider(options);
      } catch (error) {
        if (!isCredentialsNotFound(error)) throw error;
        misses.push((error as Error).message);
      }
    }
    throw new CredentialsError('CredentialsNotFound', `no provider had credentials: ${misses.join('; ')}`);
  };
}

export interface MemoizeOptions {
  /**
   * How long before expiry to start refreshing, given the lifetime the credentials had when fetched.
   * Default: a quarter of the lifetime, at least 5 s and at most 15 min (36 h FC keys refresh 15 min early,
   * 900 s STS tokens 225 s early).
   */
  readonly refreshWindowMs?: (lifetimeMs: number) => number;
  /**
   * Credentials this close to expiry are treated as expired and never handed out (covers clock skew and
   * the request's time in flight). Default: 5 % of the lifetime, at most 10 s.
   */
  readonly expiryMarginMs?: (lifetimeMs: number) => number;
  /** Injectable clock, for tests. */
  readonly now?: () => number;
}

export type MemoizedProvider = CredentialProvider & {
  /** Drop the cached credentials; the next call fetches. */
  readonly invalidate: () => void;
};

const defaultRefreshWindow = (lifetimeMs: number): number => Math.min(15 * 60_000, Math.max(5_000, lifetimeMs / 4));
const defaultExpiryMargin = (lifetimeMs: number): number => Math.min(10_000, lifetimeMs * 0.05);

interface Cached {
  readonly credentials: Credentials;
  /** From here on a background refresh starts while the cached value is still served. */
  readonly refreshAt: number;
  /** From here on the cached value is never served. */
  readonly unusableAt: number;
}

/**
 * Cache a provider. One fetch at a time however many callers wait (single flight); refresh ahead of expiry in
 * the background while the old credentials are still good; block only when they are about to expire; never
 * hand out credentials past `expiration − margin`; `forceRefresh` (e.g. after an auth failure) always fetches,
 * joining a fetch already under way. Credentials without an expiration are kept until forced out.
 */
export function memoize(provider: CredentialProvider, options: MemoizeOptions = {}): MemoizedProvider {
  const now = options.now ?? Date.now;
  const refreshWindow = options.refreshWindowMs ?? defaultRefreshWindow;
  const expiryMargin = options.expiryMarginMs ?? defaultExpiryMargin;
  let cached: Cached | undefined;
  let inflight: Promise<Credentials> | undefined;
  let backgroundFailures = 0;
  let nextBackgroundAttempt = 0;

  const fetch = (forceRefresh: boolean): Promise<Credentials> => {
    inflight ??= (async () => {
      try {
        const credentials = await provider(forceRefresh ? { forceRefresh: true } : undefined);
        const fetchedAt = now();
        if (!credentials.expiration) {
          cached = { credentials, refreshAt: Infinity, unusableAt: Infinity };
          return credentials;
        }
        const expiresAt = credentials.expiration.getTime();
        const lifetime = expiresAt - fetchedAt;
        const unusableAt = expiresAt - expiryMargin(Math.max(0, lifetime));
        if (Number.isNaN(expiresAt) || fetchedAt >= unusableAt) {
          throw new CredentialsError(
            'CredentialsExpired',
            `credentials from ${credentials.source} are expired or about to expire ` +
              `(expiration ${Number.isNaN(expiresAt) ? 'invalid' : credentials.expiration.toISOString()})`,
          );
        }
        cached = { credentials, refreshAt: Math.max(fetchedAt, expiresAt - refreshWindow(lifetime)), unusableAt };
        backgroundFailures = 0;
        return credentials;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const memoized = async (callOptions?: { forceRefresh?: boolean }): Promise<Credentials> => {
    const t = now();
    if (callOptions?.forceRefresh || !cached || t >= cached.unusableAt) {
      return fetch(callOptions?.forceRefresh === true);
    }
    if (t >= cached.refreshAt && t >= nextBackgroundAttempt && !inflight) {
      // Still valid: serve it now and refresh behind the caller. A failing STS is retried with backoff, and
      // once the credentials become unusable the next caller waits for (and sees) the real error.
      fetch(false).catch(() => {
        backgroundFailures += 1;
        nextBackgroundAttempt = now() + Math.min(30_000, 500 * 2 ** backgroundFailures);
      });
    }
    return cached.credentials;
  };
  return Object.assign(memoized, {
    invalidate: () => {
      cached = undefined;
    },
  });
}
