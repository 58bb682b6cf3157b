/** `@rnnkit/bench` entry point: `node dist/main.js [options]` (see `--help`). */
import { runCli } from './cli_main.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
