/**
 * Keras's `verbose=1` progress bar for `fit`: on a terminal one line per epoch redrawn after each
 * batch; elsewhere (a pipe, a log file) the finished line only, so logs stay readable. Writes to
 * Node's stderr; in a browser (no `process.stderr`) it writes nothing.
 */

/** Where progress goes: a text sink and whether it redraws in place. */
export interface ProgressSink {
  write(text: string): void;
  /** True on a terminal: lines are redrawn with a carriage return. */
  interactive: boolean;
}

/** Node's stderr, or null outside Node. */
export function stderrSink(): ProgressSink | null {
  const stderr = (globalThis as { process?: { stderr?: { write?: unknown; isTTY?: boolean } } })
    .process?.stderr;
  if (stderr == null || typeof stderr.write !== 'function') return null;
  const write = stderr.write as (text: string) => void;
  return { write: (text) => write.call(stderr, text), interactive: stderr.isTTY === true };
}

const WIDTH = 30;

/** One epoch's bar: `12/40 [=======>......] - 1s - loss: 0.1234`. */
export class EpochProgress {
  private readonly started = Date.now();

  constructor(
    private readonly sink: ProgressSink,
    private readonly steps: number,
    epoch: number,
    epochs: number,
  ) {
    sink.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  private line(step: number, logs: string): string {
    const done = Math.floor((WIDTH * step) / this.steps);
    const bar =
      step >= this.steps
        ? '='.repeat(WIDTH)
        : `${'='.repeat(Math.max(0, done - 1))}>${'.'.repeat(WIDTH - Math.max(1, done))}`;
    const digits = String(this.steps).length;
    const seconds = Math.round((Date.now() - this.started) / 1000);
    return `${String(step).padStart(digits)}/${this.steps} [${bar}] - ${seconds}s - ${logs}`;
  }

  /** After batch `step` (1-based) with the running mean loss. */
  update(step: number, loss: number): void {
    if (this.sink.interactive) this.sink.write(`\r${this.line(step, formatLogs({ loss }))}`);
  }

  /** The epoch's final line. */
  end(logs: { loss: number; valLoss?: number }): void {
    const text = this.line(this.steps, formatLogs(logs));
    this.sink.write(this.sink.interactive ? `\r${text}\n` : `${text}\n`);
  }
}

function formatLogs(logs: { loss: number; valLoss?: number }): string {
  const parts = [`loss: ${logs.loss.toFixed(4)}`];
  if (logs.valLoss != null) parts.push(`val_loss: ${logs.valLoss.toFixed(4)}`);
  return parts.join(' - ');
}
