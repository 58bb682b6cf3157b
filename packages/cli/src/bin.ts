#!/usr/bin/env node
/** Entry point of the `rnnkit` command. */
import { main } from './cli.js';

const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
process.exitCode = code;
