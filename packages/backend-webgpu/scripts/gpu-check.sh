#!/usr/bin/env bash
# On a machine with a real NVIDIA GPU: runs @rnnkit/backend-webgpu's tests on the GPU (Dawn over
# the NVIDIA Vulkan driver), then times the fused kernels against tfjs-layers on the same tfjs
# webgpu backend (apps/bench, built first). Needs node_modules installed (no network is used).
# About 1–5 minutes.
#
#   bash packages/backend-webgpu/scripts/gpu-check.sh
#
# Environment (all optional):
#   VK_DRIVER_FILES   Vulkan driver manifest; default: the first nvidia_icd.json found below
#   LIBVULKAN_DEB     a libvulkan1 .deb to unpack when libvulkan.so.1 is not installed
#   ALLOW_SOFTWARE=1  carry on when the adapter is a software one (SwiftShader)
#   BENCH_REPS        timed forwards per workload (default 5)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
root="$(cd "$pkg/../.." && pwd)"
cd "$root" || exit 2
status=0
step() { printf '\n=== %s ===\n' "$*"; }
fail() {
  echo "FAIL: $*"
  status=1
}

step "machine"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
node --version || { echo "FAIL: node not found"; exit 2; }
if [[ ! -d node_modules/.pnpm || ! -e "$pkg/node_modules/webgpu" ]]; then
  echo "FAIL: node_modules missing; run 'pnpm install --frozen-lockfile' first"
  exit 2
fi

step "Vulkan loader"
if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  echo "libvulkan.so.1: system"
else
  deb="${LIBVULKAN_DEB:-$(ls "$root"/libvulkan1_*.deb /tmp/libvulkan1_*.deb 2>/dev/null | head -n1)}"
  if [[ -n "$deb" && -f "$deb" ]]; then
    dest=/tmp/rnnkit-libvulkan
    rm -rf "$dest" && mkdir -p "$dest" && dpkg-deb -x "$deb" "$dest"
    libdir="$(dirname "$(find "$dest" -name 'libvulkan.so.1*' | head -n1)")"
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "libvulkan.so.1: unpacked from $deb into $libdir"
  else
    echo "FAIL: libvulkan.so.1 not installed and no libvulkan1_*.deb found (set LIBVULKAN_DEB)"
    exit 2
  fi
fi

step "Vulkan driver"
if [[ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [[ -f "$f" ]]; then
      export VK_DRIVER_FILES="$f" VK_ICD_FILENAMES="$f"
      break
    fi
  done
fi
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<unset>}"
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-<unset>}"

step "build"
if [[ ! -f packages/core/dist/index.js ]]; then
  timeout 120 pnpm --filter @rnnkit/core build || fail "core build"
fi
timeout 120 pnpm --filter @rnnkit/backend-webgpu build || fail "backend-webgpu build"

step "adapter"
cd "$pkg" || exit 2
timeout 60 node --input-type=module -e "
  import { installNavigatorGpu } from './dist/node.js';
  const a = await installNavigatorGpu();
  if (a == null) { console.log('no adapter'); process.exit(3); }
  const gpu = await navigator.gpu.requestAdapter();
  const l = gpu.limits;
  console.log(JSON.stringify({ ...a, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize }));
  process.exit(a.software && process.env.ALLOW_SOFTWARE !== '1' ? 4 : 0);
"
case $? in
  0) ;;
  4) echo "FAIL: software adapter (set ALLOW_SOFTWARE=1 to go on anyway)"; exit 1 ;;
  *) echo "FAIL: no WebGPU adapter"; exit 1 ;;
esac

step "tests (vitest, on the GPU)"
RNNKIT_REQUIRE_WEBGPU=1 timeout 150 pnpm exec vitest run --reporter=verbose || fail "tests"

step "timing: rnnkit fused kernels vs tfjs-layers, both on tfjs webgpu (apps/bench)"
if [[ ! -f "$root/apps/bench/dist/main.js" ]]; then
  fail "apps/bench is not built; run 'pnpm turbo run build --filter=@rnnkit/bench...' first"
else
  (cd "$root" && timeout 300 node apps/bench/dist/main.js --filter webgpu \
    --reps "${BENCH_REPS:-5}") || fail "bench"
fi

step "timing: a ConvLSTM2D training step, fused vs reference backward (scripts/bench-conv-backward.mjs)"
(cd "$pkg" && timeout 180 node scripts/bench-conv-backward.mjs "${BENCH_REPS:-5}") ||
  fail "ConvLSTM backward bench"

step "result"
if [[ $status -eq 0 ]]; then echo "PASS"; else echo "FAILED (see FAIL lines above)"; fi
exit $status
