/**
 * Log lines go to stdout synchronously: FC may freeze an instance as soon as it has answered, so a line
 * still queued in memory could be lost. The logger (lib/fc/logger.ts) takes any `{ write }` object as its
 * destination; this one retries a pipe that is momentarily full (EAGAIN) after a 1 ms pause instead of
 * dropping the line.
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A synchronous writer to file descriptor `fd` (1 = stdout, 2 = stderr). */
export function syncWriter(fd: number): { write(line: string): void } {
  return {
    write(line) {
      let rest = Buffer.from(line, 'utf8');
      while (rest.length > 0) {
        try {
          rest = rest.subarray(writeSync(fd, rest));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          Atomics.wait(pause, 0, 0, 1);
        }
      }
    },
  };
}

export const stdoutSync = syncWriter(1);
