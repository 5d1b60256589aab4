/**
 * The functions' logger (lib/fc/logger.ts): the line shape FC log tooling indexes, levels, child bindings,
 * error serialisation, and that no secret reaches a line whatever the shape of the logged fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/fc/logger';
import { memoryStream } from './fc-event';

describe('lib/fc/logger', () => {
  it('writes one JSON line per call: level, ISO time, bindings, fields, msg, in that order', () => {
    const stream = memoryStream();
    const { logger } = createLogger({ level: 'info', destination: stream });
    const before = Date.now();
    logger.child({ requestId: 'r-1' }).child({ trigger: 'http' }).info({ status: 200, durationMs: 3 }, 'done');
    logger.warn('plain message');
    expect(stream.lines).toHaveLength(2);
    expect(stream.lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second] = stream.json();
    expect(Object.keys(first)).toEqual(['level', 'time', 'requestId', 'trigger', 'status', 'durationMs', 'msg']);
    expect(first).toMatchObject({ level: 'info', requestId: 'r-1', trigger: 'http', status: 200, msg: 'done' });
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(first.time as string)).toBeGreaterThanOrEqual(before - 1);
    expect(second).toEqual({ level: 'warn', time: second.time, msg: 'plain message' });
  });

  it('writes only levels at or above the configured one; silent writes nothing', () => {
    const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
    for (const [i, level] of order.entries()) {
      const stream = memoryStream();
      const { logger } = createLogger({ level, destination: stream });
      expect(logger.level).toBe(level);
      for (const l of order) logger[l]({}, l);
      expect(stream.json().map((line) => line.msg)).toEqual(order.slice(i));
      // A child keeps its parent's level.
      logger.child({ a: 1 }).debug('child');
      expect(stream.lines.some((line) => line.includes('"child"'))).toBe(i <= 1);
    }
    const stream = memoryStream();
    const { logger } = createLogger({ level: 'silent', destination: stream });
    logger.fatal('nothing');
    expect(stream.lines).toEqual([]);
  });

  it('reads LOG_LEVEL by default, and an unknown level falls back to info with one warning instead of failing', () => {
    const saved = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'error';
      const quiet = memoryStream();
      createLogger({ destination: quiet }).logger.warn('dropped');
      expect(quiet.lines).toEqual([]);
      process.env.LOG_LEVEL = 'verbose';
      const stream = memoryStream();
      const { logger } = createLogger({ destination: stream });
      expect(logger.level).toBe('info');
      logger.info('kept');
      logger.debug('dropped');
      expect(stream.json().map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'unknown log level, using info'],
        ['info', 'kept'],
      ]);
      expect(stream.json()[0].logLevel).toBe('verbose');
      // A name every object inherits is not a level either.
      process.env.LOG_LEVEL = 'constructor';
      expect(createLogger({ destination: memoryStream() }).logger.level).toBe('info');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });

  it('serialises errors with type, message and stack including their causes, and their own fields', () => {
    const stream = memoryStream();
    const { logger } = createLogger({ destination: stream });
    const root = new TypeError('socket hang up');
    const err = Object.assign(new Error('request failed', { cause: root }), { code: 'OTSTimeout', status: 503 });
    logger.error({ err }, 'invocation failed');
    logger.error(new RangeError('alone'));
    // An error's own toJSON (as TablestoreError has) does not hide its stack from the log.
    class Shaped extends Error {
      override readonly name = 'Shaped';
      readonly code = 'X';
      toJSON() {
        return { only: 'this' };
      }
    }
    logger.error({ err: new Shaped('shaped') }, 'with toJSON');
    const [withCause, alone, shaped] = stream.json();
    expect(shaped.err).toMatchObject({ type: 'Shaped', message: 'shaped', code: 'X' });
    expect((shaped.err as { stack: string }).stack).toMatch(/^Shaped: shaped\n\s+at /);
    expect(withCause.err).toMatchObject({
      type: 'Error',
      message: 'request failed: socket hang up',
      code: 'OTSTimeout',
      status: 503,
    });
    expect((withCause.err as { stack: string }).stack).toMatch(
      /request failed[\s\S]*caused by: TypeError: socket hang up/,
    );
    expect(withCause.msg).toBe('invocation failed');
    // An Error as the only argument goes under `err` and gives the line its message.
    expect(alone).toMatchObject({ level: 'error', msg: 'alone', err: { type: 'RangeError', message: 'alone' } });
  });

  it('never throws on awkward fields: cycles, bigints, a throwing toJSON', () => {
    const stream = memoryStream();
    const { logger } = createLogger({ destination: stream });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info({ cyclic, big: 2n ** 70n, small: 42n }, 'awkward');
    logger.info(
      {
        bad: {
          toJSON: () => {
            throw new Error('nope');
          },
        },
      },
      'still logged',
    );
    const [a, b] = stream.json();
    expect(a).toMatchObject({ cyclic: { name: 'loop', self: '[Circular]' }, big: '1180591620717411303424', small: 42 });
    expect(b).toMatchObject({ level: 'info', msg: 'still logged' });
  });

  it('redacts credential fields and secret headers at any depth and scrubs registered secret values', () => {
    const secretKeys = [
      'accessKeySecret',
      'securityToken',
      'secretAccessKey',
      'stsToken',
      'credentials',
      'authorization',
      'Authorization',
      'cookie',
      'x-ots-signature',
      'x-ots-ststoken',
      'x-fc-access-key-secret',
      'x-fc-security-token',
    ];
    const plain = fc.constantFrom('table', 'status', 'headers', 'nested', 'x-ots-date', 'accessKeyId');
    // Any shape of fields, with secret values planted under redacted keys anywhere in it.
    const fields = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.dictionary(fc.oneof(plain, fc.constantFrom(...secretKeys)), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(plain, fields, { maxKeys: 4 }),
        fc.constantFrom(...secretKeys),
        fc.nat(3),
        (base, key, depth) => {
          const secret = `SECRET-${key}-value`;
          let planted: Record<string, unknown> = { [key]: secret };
          for (let i = 0; i < depth; i++) planted = { headers: planted };
          const stream = memoryStream();
          const { logger } = createLogger({ destination: stream });
          logger.child({ requestId: 'r' }).info({ ...base, planted }, 'line');
          const text = stream.lines.join('');
          expect(text).not.toContain('SECRET-');
          expect(text).toContain('[REDACTED]');
          expect(() => stream.json()).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('scrubs a registered secret wherever it appears, in bindings, messages and stacks', () => {
    const stream = memoryStream();
    const { logger, secrets } = createLogger({ destination: stream });
    const secret = 'registered-secret-value-1';
    secrets.add(secret);
    secrets.add('short'); // too short to scrub safely: ignored
    const child = logger.child({ note: `bound ${secret}` });
    child.error({ err: new Error(`upstream echoed ${secret}`) }, `message ${secret}`);
    child.info('short stays');
    const text = stream.lines.join('');
    expect(text).not.toContain(secret);
    expect(text.split('[REDACTED]').length - 1).toBeGreaterThanOrEqual(4);
    expect(text).toContain('short stays');
  });
});
