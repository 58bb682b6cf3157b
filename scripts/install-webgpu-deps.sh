#!/usr/bin/env bash
# Installs what @rnnkit/backend-webgpu needs to run WebGPU without a GPU on Debian/Ubuntu:
# the Vulkan loader (libvulkan1) and SwiftShader's Vulkan driver, which Debian ships in
# chromium-common (/usr/lib/chromium/vk_swiftshader_icd.json). Dawn (npm `webgpu`) rejects
# Mesa's lavapipe, so lavapipe is not an alternative.
#
# Usage (as root, idempotent): scripts/install-webgpu-deps.sh [--browser]
#   --browser  also install the `chromium` browser, for the headless-Chromium WebGPU check.
set -euo pipefail

want=(chromium-common libvulkan1)
if [[ "${1:-}" == "--browser" ]]; then
  want+=(chromium)
elif [[ -n "${1:-}" ]]; then
  echo "install-webgpu-deps: unknown argument '$1' (expected nothing or --browser)" >&2
  exit 2
fi

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-webgpu-deps: already installed: ${want[*]}"
else
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-webgpu-deps: missing ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt cannot see a candidate for what is missing.
  for pkg in "${missing[@]}"; do
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      apt-get update
      break
    fi
  done
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

icd=/usr/lib/chromium/vk_swiftshader_icd.json
if [[ ! -f "$icd" ]]; then
  echo "install-webgpu-deps: $icd not found after install" >&2
  exit 1
fi
echo "install-webgpu-deps: SwiftShader ICD at $icd (VK_ICD_FILENAMES=$icd)"
