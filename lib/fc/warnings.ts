/**
 * The bundled official `tablestore` SDK calls the deprecated `Buffer()` constructor, so every cold start
 * would log DEP0005 (FC shows it as an ERROR line). Drop exactly those warning codes; everything else is
 * still emitted.
 */
export function silenceWarnings(codes: readonly string[] = ['DEP0005']): void {
  const marker = Symbol.for('tablestore-fc.silenced-warnings');
  const proc = process as NodeJS.Process & { [marker]?: boolean };
  if (proc[marker]) return;
  proc[marker] = true;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1];
    if (typeof code === 'string' && codes.includes(code)) return;
    original(warning, ...rest);
  };
}
