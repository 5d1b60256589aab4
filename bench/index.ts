/**
 * `npm run bench [-- NAME...] [--cold]`: runs every registered benchmark module in turn (or only those named)
 * and prints their figures. Flags go to the modules: `--cold` makes `functions` measure only bundle sizes and
 * cold starts (`npm run bench -- functions --cold`). A module is an async function `(log) => Promise<BenchFigure[]>`; register one by
 * adding a single line to BENCHES. Every module bounds its own loops.
 */
import { runFunctionsBench } from './functions.bench';
import { runTablestoreLocalBench, type BenchFigure } from './tablestore-local.bench';
import { runTimeseriesBench } from './timeseries.bench';
import { runSearchBench } from './search.bench';
import { runSqlBench } from './sql.bench';
import { runSecondaryIndexBench } from './sindex.bench';
import { runRunnerBench } from './runner.bench';
import { runQueryBench } from './query.bench';
import { runTxnBench } from './txn.bench';
import { runRestartBench } from './restart.bench';

export type { BenchFigure };
export type BenchModule = (log: (line: string) => void) => Promise<readonly BenchFigure[]>;

const BENCHES: Record<string, BenchModule> = {
  'tablestore-local': runTablestoreLocalBench,
  timeseries: runTimeseriesBench,
  search: runSearchBench,
  sql: runSqlBench,
  sindex: runSecondaryIndexBench,
  functions: runFunctionsBench,
  runner: runRunnerBench,
  query: runQueryBench,
  txn: runTxnBench,
  restart: runRestartBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in BENCHES));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const started = performance.now();
  const summary: { bench: string; figure: BenchFigure }[] = [];
  for (const [name, run] of Object.entries(BENCHES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`\n== ${name} ==`);
    const t0 = performance.now();
    for (const figure of await run((line) => console.log(line))) summary.push({ bench: name, figure });
    console.log(`  (${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  console.log(
    `\nAll benchmarks done in ${((performance.now() - started) / 1000).toFixed(1)} s; ${summary.length} figures.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
