/** The JSON a run writes with `--json` and `--from` reads back. */
import type { BenchResult } from './bench.js';
import type { MachineInfo } from './machine.js';

/** One run: its results, the machine, and the command that produced it. */
export type SavedRun = BenchResult & {
  /** The command as typed from the repository root. */
  command: string;
  machine: MachineInfo;
};
