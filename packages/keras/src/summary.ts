/** The Keras-style summary table. */
import { formatShape } from './errors.js';
import type { Shape } from './layers/types.js';

/** One row of the model description. */
export interface LayerInfo {
  name: string;
  className: string;
  /** Output shapes of the layer's first call (batch first, null for unknown). */
  outputShapes: Shape[];
  params: number;
  trainable: boolean;
  /** Names of the layers feeding the first call. */
  inbound: string[];
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

function fit(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 2)}… ` : text.padEnd(width);
}

/** Formats the table Keras's `model.summary()` prints (Keras 2 layout, thousands separated). */
export function formatSummary(name: string, className: string, layers: LayerInfo[]): string {
  const functional = className !== 'Sequential';
  const rows = functional ? layers : layers.filter((l) => l.className !== 'InputLayer');
  const widths = functional ? [32, 26, 12, 28] : [33, 25, 12];
  const total = widths.reduce((a, b) => a + b, 0);
  const head = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'].slice(0, widths.length);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => fit(c, widths[i]))
      .join('')
      .trimEnd();
  const out = [`Model: "${name}"`, '_'.repeat(total), line(head), '='.repeat(total)];
  rows.forEach((l, i) => {
    const shapes = l.outputShapes.map((s) => formatShape(s));
    const shape = shapes.length === 1 ? shapes[0] : `[${shapes.join(', ')}]`;
    const cells = [`${l.name} (${l.className})`, shape, thousands(l.params)];
    if (functional) cells.push(l.inbound.join(', '));
    out.push(line(cells));
    out.push(i === rows.length - 1 ? '='.repeat(total) : '_'.repeat(total));
  });
  if (rows.length === 0) out.push('='.repeat(total));
  const all = layers.reduce((n, l) => n + l.params, 0);
  const trainable = layers.reduce((n, l) => n + (l.trainable ? l.params : 0), 0);
  out.push(`Total params: ${thousands(all)}`);
  out.push(`Trainable params: ${thousands(trainable)}`);
  out.push(`Non-trainable params: ${thousands(all - trainable)}`);
  out.push('_'.repeat(total));
  return out.join('\n');
}
