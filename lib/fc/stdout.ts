/**
 * Log lines go to stdout synchronously: FC may freeze an instance as soon as it has answered, so a line
 * still queued in memory could be lost. pino takes any `{ write }` object as its destination; this one
 * retries a pipe that is momentarily full (EAGAIN) after a 1 ms pause instead of dropping the line.
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export const stdoutSync = {
  write(line: string): void {
    let rest = Buffer.from(line, 'utf8');
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(1, rest));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  },
};
