#!/usr/bin/env node
/** The mailctl command line (bin). Logic in mailctl.ts, so tests can run it in process. */
import { CliError, EXIT, run } from './mailctl.js';

run(process.argv.slice(2), process.env, (s) => process.stdout.write(s)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`mailctl: ${e instanceof Error ? e.message : String(e)}\n`);
  if (e instanceof CliError && e.code === EXIT.usage) process.stderr.write('run mailctl --help for usage\n');
  process.exitCode = e instanceof CliError ? e.code : EXIT.failed;
});
