/**
 * The training section: the sine forecaster (sine_model.ts) trained with `fit` of
 * `@rnnkit/core/training` on the active backend, the loss drawn after every epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lineChart } from './charts.js';
import { byId, h, messageOf } from './dom.js';
import { serial } from './serial.js';
import { SAMPLES, sineForecaster, sineWindows } from './sine_model.js';

const BATCH_SIZE = 16;

function renderLoss(losses: readonly number[], epochs: number): void {
  byId('train-chart').replaceChildren(
    lineChart({
      title: 'training loss per epoch (mean squared error)',
      xLabel: 'epoch',
      xTicks: losses.map((_, i) => (epochs <= 30 || i % 5 === 4 ? String(i + 1) : '')),
      series: [{ label: 'loss', values: losses, color: '#1f5fbf' }],
    }),
  );
}

async function train(): Promise<void> {
  const section = byId('train');
  const button = byId<HTMLButtonElement>('train-run');
  const progress = byId('train-progress');
  const raw = byId<HTMLInputElement>('train-epochs').value;
  const epochs = Number(raw);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 200) {
    progress.textContent = `epochs: expected an integer from 1 to 200, got '${raw}'`;
    section.dataset.state = 'error';
    return;
  }
  button.disabled = true;
  section.dataset.state = 'running';
  byId('train-chart').replaceChildren();
  try {
    await serial(async () => {
      // Registers the gradients training needs; loaded only when someone trains.
      const { fit } = await import('@rnnkit/core/training');
      const { x, y } = sineWindows();
      const model = sineForecaster();
      const steps = Math.ceil(SAMPLES / BATCH_SIZE);
      const backend = tf.getBackend();
      try {
        const losses: number[] = [];
        const t0 = performance.now();
        await fit(model.layers, x, y, {
          epochs,
          batchSize: BATCH_SIZE,
          learningRate: 0.01,
          seed: 1,
          onEpochEnd: async (epoch, logs) => {
            losses.push(logs.loss);
            const perSecond = (steps * (epoch + 1) * 1000) / (performance.now() - t0);
            renderLoss(losses, epochs);
            progress.textContent = `epoch ${epoch + 1}/${epochs} · loss ${logs.loss.toPrecision(3)} · ${perSecond.toFixed(1)} steps/s on ${backend}`;
            progress.dataset.stepsPerSecond = String(perSecond);
            // Lets the page paint the chart between epochs.
            await new Promise((r) => setTimeout(r, 0));
          },
        });
        section.dataset.backend = backend;
        section.dataset.losses = JSON.stringify(losses);
      } finally {
        model.dispose();
        tf.dispose([x, y]);
      }
    });
    section.dataset.state = 'done';
  } catch (e) {
    progress.textContent = messageOf(e);
    section.dataset.state = 'error';
    byId('train-chart').replaceChildren(h('p', { class: 'error' }, messageOf(e)));
  } finally {
    button.disabled = false;
  }
}

/** Wires the train button. */
export function setupTraining(): void {
  byId('train-run').addEventListener('click', () => void train());
}
