#!/usr/bin/env bash
# The packages as a user gets them: `pnpm pack` of every package, installed with npm from the
# tarballs into empty projects outside the workspace (third-party dependencies come from the npm
# registry). Checks, each in a project of its own:
#
#   core + <backend>   for cpu, wasm and webgpu: nothing else of rnnkit is installed, and the
#                      seed (../shared/seed/README.md) prints Keras's numbers on fused kernels
#   keras + cpu        loads a shared .h5 model, predicts its expected outputs, exits by itself
#   cli                `npx rnnkit summary MODEL` and `npx rnnkit predict`, without tfjs's banner
#   conformance        a third-party backend (a tfjs backend of its own, registering one fused
#                      kernel) runs the conformance kit with one call under `node --test`
#   vite               a page of core + one backend, built per backend, with the bundle sizes;
#                      a page loading a Keras model keeps the .h5 reader (h5wasm) in a chunk of
#                      its own that only opening an .h5 file loads
#
# Needs `pnpm build` first. Usage: bash scripts/consumer-test.sh [--keep]   (--keep: leave the
# temporary directory). SHARED_DIR overrides ../shared. The webgpu checks need a WebGPU adapter
# (SwiftShader: scripts/install-webgpu-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED_DIR:-$root/../shared}"
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

work="$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-consumer-XXXXXX")"
cleanup() { if [[ $keep -eq 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

started=$SECONDS
step() { printf '\n--- %s (%ds)\n' "$*" $((SECONDS - started)); }
fail() {
  echo "consumer-test: FAIL: $*" >&2
  exit 1
}

model_dir="$shared/keras-models/tfkeras240_embedding_bilstm"
[[ -f "$model_dir/expected.json" ]] || fail "$model_dir/expected.json not found (SHARED_DIR)"
model="$model_dir/$(node -p "require('$model_dir/expected.json').model_file")"

step "pack every package"
mkdir -p "$work/tarballs"
for dir in "$root"/packages/*/; do
  [[ -f "$dir/dist/index.js" || -f "$dir/dist/node.js" || -f "$dir/dist/cli.js" ]] ||
    fail "$dir is not built; run pnpm build first"
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
ls "$work/tarballs"
tgz() { ls "$work/tarballs"/rnnkit-"$1"-[0-9]*.tgz; }

# An empty npm project; installs the given packages (tarballs by short name, others as given).
project() {
  local name="$1"
  shift
  local specs=()
  for p in "$@"; do
    if [[ "$p" == *@*.* || "$p" == @* ]]; then specs+=("$p"); else specs+=("$(tgz "$p")"); fi
  done
  mkdir -p "$work/$name"
  cd "$work/$name"
  echo '{ "name": "consumer", "private": true, "type": "module" }' >package.json
  npm install --no-audit --no-fund --loglevel=error --prefer-offline "${specs[@]}" >/dev/null
}

# Fails unless node_modules/@rnnkit holds exactly the given packages.
only_rnnkit() {
  local got want
  got="$(ls node_modules/@rnnkit | sort | xargs)"
  want="$(printf '%s\n' "$@" | sort | xargs)"
  [[ "$got" == "$want" ]] || fail "node_modules/@rnnkit holds '$got', expected '$want'"
  echo "node_modules/@rnnkit: $got"
}

TFJS=@tensorflow/tfjs-core@4.22.0

cat >"$work/seed.mjs" <<'EOF'
// The seed: Bidirectional(LSTM(3, return_state=True)) with constant initializers on `train_X`.
import * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, Constant, getDispatchStats, LSTM } from '@rnnkit/core';

const name = process.argv[2];
const entry = name === 'webgpu' ? '@rnnkit/backend-webgpu/node' : `@rnnkit/backend-${name}`;
await (await import(entry)).init();
const x = tf.tensor3d([[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
  [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]]);
const init = { kernelInitializer: new Constant(0.1), recurrentInitializer: new Constant(0.1),
  biasInitializer: new Constant(0) };
const [hidden, forwardH, , backwardH] = new Bidirectional(
  new LSTM({ units: 3, returnState: true, ...init })).apply(x);
const values = Array.from(await hidden.data());
console.log(`backend ${tf.getBackend()}: hidden states ${values.map((v) => v.toFixed(7)).join(' ')}`);
console.log(`forward state ${Array.from(await forwardH.data()).join(' ')}`);
console.log(`backward state ${Array.from(await backwardH.data()).join(' ')}`);
// Keras printed 0.6303139 (forward) and 0.70387346 (backward).
const keras = [0.6303139, 0.6303139, 0.6303139, 0.70387346, 0.70387346, 0.70387346];
const err = Math.max(...values.map((v, i) => Math.abs(v - keras[i])));
const stats = getDispatchStats().RnnkitLSTMSequence ?? { fused: 0, reference: 0 };
if (tf.getBackend() !== name) throw new Error(`expected backend ${name}, got ${tf.getBackend()}`);
if (!(err <= 1e-6)) throw new Error(`hidden states differ from Keras's by ${err}`);
if (stats.fused !== 2 || stats.reference !== 0)
  throw new Error(`expected 2 fused LSTM calls, got ${JSON.stringify(stats)}`);
console.log(`max |Δ| from Keras's printout ${err.toExponential(1)}; fused calls ${stats.fused}`);
EOF

for backend in cpu wasm webgpu; do
  step "@rnnkit/core + @rnnkit/backend-$backend alone"
  project "core-$backend" core "backend-$backend" "$TFJS"
  only_rnnkit core "backend-$backend"
  cp "$work/seed.mjs" . # inside the project, so that its imports resolve there
  timeout 120 node seed.mjs "$backend" || fail "the seed on $backend"
done

step "@rnnkit/keras + @rnnkit/backend-cpu: a shared .h5 model"
project keras-cpu keras backend-cpu core "$TFJS"
only_rnnkit core keras backend-cpu
cat >predict.mjs <<'EOF'
import '@rnnkit/backend-cpu';
import { readFileSync } from 'node:fs';
import { loadKerasModel } from '@rnnkit/keras';

const [modelPath, expectedPath] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const model = await loadKerasModel(modelPath);
const y = model.predict(expected.input);
const got = Array.from(await y.data());
const want = expected.outputs[expected.output_layer].flat(Infinity);
const err = Math.max(...want.map((w, i) => Math.abs(got[i] - w) / Math.max(1, Math.abs(w))));
if (got.length !== want.length || !(err <= 1e-4))
  throw new Error(`outputs differ from expected.json: max rel error ${err}`);
console.log(`${model.name} on ${model.backend}: ${got.length} outputs, max rel error ${err.toExponential(1)}`);
EOF
# No process.exit: the script must end by itself (the .h5 reader's thread may not hold it).
timeout 60 node predict.mjs "$model" "$model_dir/expected.json" ||
  fail "keras + backend-cpu (status $?; 124: the process did not exit by itself)"

step "@rnnkit/cli: npx rnnkit"
project cli cli keras backends backend-cpu backend-wasm backend-webgpu core
banner='looks like you are running TensorFlow.js in Node'
out="$(npx --no-install rnnkit summary "$model" 2>&1)" || fail "rnnkit summary: $out"
! grep -q "$banner" <<<"$out" || fail "rnnkit summary printed tfjs's Node banner"
echo "$out" | tail -n 6
grep -q 'Total params: 30,129' <<<"$out" || fail "rnnkit summary: no parameter count"
grep -q 'Backend: cpu' <<<"$out" || fail "rnnkit summary: no backend line"
node -e "const e=require('$model_dir/expected.json');require('fs').writeFileSync('in.json',JSON.stringify(e.input))"
out="$(npx --no-install rnnkit predict "$model" --input in.json --backend wasm 2>&1 >/dev/null)" ||
  fail "rnnkit predict: $out"
echo "$out"
grep -q 'on wasm' <<<"$out" || fail "rnnkit predict: not on wasm"
! grep -q "$banner" <<<"$out" || fail "rnnkit predict printed tfjs's Node banner"

step "@rnnkit/conformance from outside: a third-party backend under node --test"
project conformance conformance core backend-cpu "$TFJS" @tensorflow/tfjs-backend-cpu@4.22.0
only_rnnkit conformance core backend-cpu
cat >toy_backend.test.mjs <<'EOF'
// A backend of someone else's: a tfjs backend named 'toy' that registers one fused recurrent
// kernel (here backend-cpu's LSTM) and leaves every other family to @rnnkit/core's reference.
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SEQUENCE_GRAD_KERNEL_NAMES, SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';
import { defineConformanceSuite, defineRegistrationSuite } from '@rnnkit/conformance';
import { lstmSequenceConfig } from '@rnnkit/backend-cpu';

const backendName = 'toy';
const kernelConfigs = [{ ...lstmSequenceConfig, backendName }];
// rnnkit's kernels (forward and backward) stay with their backend; tfjs's ops are shared.
const rnnkitKernels = [...SEQUENCE_KERNEL_NAMES, ...SEQUENCE_GRAD_KERNEL_NAMES];
async function init() {
  if (tf.findBackendFactory(backendName) == null) {
    tf.registerBackend(backendName, () => new MathBackendCPU());
    for (const k of tf.getKernelsForBackend('cpu'))
      if (!rnnkitKernels.includes(k.kernelName)) tf.registerKernel({ ...k, backendName });
    kernelConfigs.forEach((k) => tf.registerKernel(k));
  }
  await tf.setBackend(backendName);
}
const api = { describe, it, beforeAll: (fn) => before(fn) };
defineRegistrationSuite(api, { backend: backendName, pkg: { backendName, kernelConfigs, init } });
defineConformanceSuite(api, { backend: backendName, init, expectFused: ['RnnkitLSTMSequence'] });
EOF
out="$(timeout 300 node --test --test-reporter=tap toy_backend.test.mjs 2>&1)" ||
  fail "conformance kit on a third-party backend: $(tail -n 40 <<<"$out")"
passed="$(grep -E '^# pass ' <<<"$out" | awk '{print $3}')"
failed="$(grep -E '^# fail ' <<<"$out" | awk '{print $3}')"
[[ "${passed:-0}" -ge 100 && "${failed:-1}" -eq 0 ]] ||
  fail "conformance kit on a third-party backend: expected at least 100 passing tests and no failure, got pass ${passed:-?} fail ${failed:-?}"
echo "conformance kit on backend 'toy': $passed passed, $failed failed"

step "vite: a page per backend, and a page that loads a Keras model"
project vite core backend-cpu backend-wasm backend-webgpu keras "$TFJS" vite@7.3.8
mkdir -p pages/cpu pages/wasm pages/webgpu pages/keras
seed_page() {
  cat >"pages/$1/index.html" <<'EOF'
<!doctype html>
<html><body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>
EOF
  cat >"pages/$1/main.js" <<EOF
import { Bidirectional, Constant, LSTM } from '@rnnkit/core';
import * as tf from '@tensorflow/tfjs-core';
$2
const x = tf.ones([1, 4, 5]);
const c = new Constant(0.1);
const layer = new Bidirectional(new LSTM({ units: 3, kernelInitializer: c, recurrentInitializer: c }));
document.getElementById('out').textContent = String(await layer.apply(x).data());
EOF
}
seed_page cpu "import { init } from '@rnnkit/backend-cpu';
await init();"
seed_page wasm "import { init } from '@rnnkit/backend-wasm';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
await init({ wasmPaths: { 'tfjs-backend-wasm-simd.wasm': simd } });"
seed_page webgpu "import { init } from '@rnnkit/backend-webgpu';
await init();"
seed_page keras "import '@rnnkit/backend-cpu';
import { loadKerasModel } from '@rnnkit/keras';
document.querySelector('input')?.addEventListener('change', async (e) => {
  const model = await loadKerasModel(new Uint8Array(await e.target.files[0].arrayBuffer()));
  model.summary();
});"
cat >build.mjs <<'EOF'
// Builds each page and reports what it costs to download: JavaScript and WebAssembly, raw and
// gzipped. For the keras page, checks that h5wasm sits in a chunk the entry does not import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const rows = [];
for (const page of ['cpu', 'wasm', 'webgpu', 'keras']) {
  const outDir = join(process.cwd(), 'dist', page);
  await build({
    root: join('pages', page),
    base: './',
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000 },
  });
  const assets = join(outDir, 'assets');
  const files = readdirSync(assets).map((f) => ({ f, bytes: readFileSync(join(assets, f)) }));
  const sum = (re, gz) =>
    files.filter(({ f }) => re.test(f)).reduce((n, { bytes }) => n + (gz ? gzipSync(bytes).length : bytes.length), 0);
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  const entry = /src="\.\/assets\/([^"]+\.js)"/.exec(html)[1];
  const entryJs = readFileSync(join(assets, entry), 'utf8');
  rows.push({ page, js: sum(/\.js$/), jsGz: sum(/\.js$/, true), wasm: sum(/\.wasm$/), wasmGz: sum(/\.wasm$/, true), entry: statSync(join(assets, entry)).size });
  if (page === 'keras') {
    // h5wasm's own marker; the chunk holding it must be reached only through import().
    const h5 = files.filter(({ f, bytes }) => f.endsWith('.js') && bytes.includes('H5Fopen'));
    if (h5.length === 0) throw new Error('keras page: no chunk holds h5wasm');
    for (const { f } of h5) {
      if (f === entry) throw new Error(`keras page: h5wasm is in the entry chunk ${f}`);
      const staticImport = new RegExp(`import[^()]*?["']\\./${f.replace(/[.$]/g, '\\$&')}["']`);
      if (staticImport.test(entryJs)) throw new Error(`keras page: the entry imports ${f} statically`);
      console.log(`keras page: h5wasm is in ${f} (${kib(statSync(join(assets, f)).size)}), loaded on demand only (import() or a Worker)`);
    }
  }
}
console.log('\nbundle per page (JavaScript; WebAssembly files the page fetches):');
console.log('page     JS raw     JS gzip    wasm raw   wasm gzip');
for (const r of rows) {
  console.log([r.page.padEnd(8), kib(r.js).padStart(9), kib(r.jsGz).padStart(10), kib(r.wasm).padStart(10), kib(r.wasmGz).padStart(11)].join(' '));
}
EOF
sed -i 's#<pre id="out"></pre>#<input type="file" /><pre id="out"></pre>#' pages/keras/index.html
timeout 300 node build.mjs || fail "vite build"

step "done in $((SECONDS - started)) s"
