import { runAssumeRole } from './assume-role';

runAssumeRole(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`assume-role failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
