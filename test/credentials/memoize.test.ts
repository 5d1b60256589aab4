import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { memoize, type Credentials, type CredentialProvider } from '../../lib/credentials';

/** A provider that mints numbered credentials living `lifetimeMs` on a fake clock. */
function minting(clock: { t: number }, lifetimeMs: number | (() => number), delayMs = 0) {
  let n = 0;
  const calls: ({ forceRefresh?: boolean } | undefined)[] = [];
  const provider: CredentialProvider = async (o) => {
    calls.push(o);
    n += 1;
    const id = n;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const life = typeof lifetimeMs === 'function' ? lifetimeMs() : lifetimeMs;
    return {
      accessKeyId: `STS.${id}`,
      accessKeySecret: 's',
      securityToken: `t${id}`,
      expiration: new Date(clock.t + life),
      source: 'test',
    };
  };
  return { provider, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('memoize', () => {
  it('100 concurrent cold calls make one fetch and all get the same credentials', async () => {
    const clock = { t: 1_000_000 };
    const { provider, calls } = minting(clock, 3_600_000, 20);
    const m = memoize(provider, { now: () => clock.t });
    const all = await Promise.all(Array.from({ length: 100 }, () => m()));
    expect(calls).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['STS.1']));
  });

  it('serves from cache, refreshes ahead of expiry in the background, then switches', async () => {
    const clock = { t: 0 };
    const { provider, calls } = minting(clock, 900_000);
    const m = memoize(provider, { now: () => clock.t });
    expect((await m()).accessKeyId).toBe('STS.1');
    clock.t = 600_000; // 900 s token: window is 225 s, so refresh starts at 675 s
    expect((await m()).accessKeyId).toBe('STS.1');
    expect(calls).toHaveLength(1);
    clock.t = 680_000;
    expect((await m()).accessKeyId).toBe('STS.1'); // still valid: served while the refresh runs
    await tick();
    expect(calls).toHaveLength(2);
    expect((await m()).accessKeyId).toBe('STS.2');
  });

  it('scales the refresh window with the lifetime (36 h FC keys refresh 15 min early)', async () => {
    const clock = { t: 0 };
    const { provider, calls } = minting(clock, 36 * 3_600_000);
    const m = memoize(provider, { now: () => clock.t });
    await m();
    clock.t = 36 * 3_600_000 - 15 * 60_000 - 1;
    await m();
    await tick();
    expect(calls).toHaveLength(1);
    clock.t += 2;
    await m();
    await tick();
    expect(calls).toHaveLength(2);
  });

  it('blocks and fetches once credentials are (nearly) expired, never handing them out', async () => {
    const clock = { t: 0 };
    const { provider, calls } = minting(clock, 900_000);
    const m = memoize(provider, { now: () => clock.t });
    await m();
    clock.t = 900_000 - 1_000; // inside the expiry margin (5 % of 900 s, capped at 10 s)
    const c = await m();
    expect(c.accessKeyId).toBe('STS.2');
    expect(c.expiration!.getTime()).toBeGreaterThan(clock.t);
    expect(calls).toHaveLength(2);
  });

  it('refuses credentials that arrive already expired', async () => {
    const clock = { t: 10_000 };
    const m = memoize(
      async () => ({
        accessKeyId: 'old',
        accessKeySecret: 's',
        securityToken: 't',
        expiration: new Date(5_000),
        source: 'stale',
      }),
      {
        now: () => clock.t,
      },
    );
    await expect(m()).rejects.toMatchObject({ code: 'CredentialsExpired' });
  });

  it('forceRefresh always fetches, and concurrent forced refreshes share one fetch', async () => {
    const clock = { t: 0 };
    const { provider, calls } = minting(clock, 3_600_000, 10);
    const m = memoize(provider, { now: () => clock.t });
    await m();
    const forced = await Promise.all(Array.from({ length: 20 }, () => m({ forceRefresh: true })));
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ forceRefresh: true });
    expect(new Set(forced.map((c) => c.accessKeyId))).toEqual(new Set(['STS.2']));
    expect((await m()).accessKeyId).toBe('STS.2');
  });

  it('keeps serving valid credentials while background refreshes fail, then reports the failure', async () => {
    const clock = { t: 0 };
    let fail = false;
    let calls = 0;
    const m = memoize(
      async () => {
        calls += 1;
        if (fail) throw new Error('STS down');
        return {
          accessKeyId: 'a',
          accessKeySecret: 's',
          securityToken: 't',
          expiration: new Date(clock.t + 1_000_000),
          source: 'x',
        };
      },
      { now: () => clock.t },
    );
    await m();
    fail = true;
    clock.t = 800_000; // refresh window (250 s) open
    expect((await m()).accessKeyId).toBe('a');
    await tick();
    expect(calls).toBe(2);
    expect((await m()).accessKeyId).toBe('a'); // backoff: no new attempt right away
    await tick();
    expect(calls).toBe(2);
    clock.t = 999_000; // past expiry − margin
    await expect(m()).rejects.toThrow('STS down');
  });

  it('keeps long-term keys (no expiration) until forced', async () => {
    let calls = 0;
    const m = memoize(async () => {
      calls += 1;
      return { accessKeyId: `LTAI${calls}`, accessKeySecret: 's', source: 'x' };
    });
    await m();
    await m();
    expect(calls).toBe(1);
    expect((await m({ forceRefresh: true })).accessKeyId).toBe('LTAI2');
  });

  it('property: whatever the lifetimes and clock jumps, a returned credential is never expired', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -60_000, max: 7_200_000 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2_000_000 }), fc.boolean()), { minLength: 1, maxLength: 40 }),
        async (lifetimes, steps) => {
          const clock = { t: 0 };
          let i = 0;
          const { provider } = minting(clock, () => lifetimes[i++ % lifetimes.length]);
          const m = memoize(provider, { now: () => clock.t });
          for (const [advance, force] of steps) {
            clock.t += advance;
            let c: Credentials | undefined;
            try {
              c = await m(force ? { forceRefresh: true } : undefined);
            } catch (e) {
              expect((e as { code?: string }).code).toBe('CredentialsExpired');
              continue;
            }
            expect(c.expiration!.getTime()).toBeGreaterThan(clock.t);
            await tick();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
