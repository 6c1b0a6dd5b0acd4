#!/usr/bin/env bash
# Installs the Debian packages Hearth's tests and peers need, then the npm packages: the one install step, run by
# the README's install command and by .ci/run, so the two cannot drift. Idempotent: what is there is not fetched
# again. Run as root, or as a user with sudo (only apt-get is elevated; npm ci runs as the caller).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
export ONNXRUNTIME_NODE_INSTALL=skip
export ORT_DISABLE_TELEMETRY=1
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
# A C compiler and make: node-gyp builds SQLite's binding at npm ci and the native GBDT kernel at npm run build.
command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || need+=(gcc make)
# Chromium for the browser tests (Playwright's own browser download cannot work offline).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# docker-registry (Distribution 2.8): the real OCI registry the sync tests start on a loopback port.
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
# nginx: the balancer the fleet test puts in front of three replicas, configured by resources/nginx/ (the package's
# own service is not used; the test runs nginx in the foreground under a folder of its own).
[ -x /usr/sbin/nginx ] || need+=(nginx)
# mosquitto: the MQTT broker the stream tests start (the package's own service is not used).
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
# PostgreSQL: the SQL-source tests start a throwaway cluster of their own on a loopback port.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# python3-onnx and python3-sklearn write the "made elsewhere" ONNX models the import tests read; scikit-learn's
# load_iris(as_frame=True) there needs pandas, which --no-install-recommends does not bring.
/usr/bin/python3 -c 'import numpy, onnx, sklearn, pandas' >/dev/null 2>&1 || need+=(python3-numpy python3-onnx python3-sklearn python3-pandas)
# XGBoost and SciPy: the peers `npm run bench` measures Hearth against (and the drift peer's statistics).
/usr/bin/python3 -c 'import xgboost, scipy' >/dev/null 2>&1 || need+=(python3-xgboost python3-scipy)
# zsh, fish and groff check the completion scripts and the man page the CLI generates.
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v groff >/dev/null 2>&1 || need+=(groff-base)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A software WebGPU adapter for the GPU paths' correctness tests: Dawn finds none on bookworm's own lavapipe (it
# lacks a Vulkan feature Dawn needs), and does on Mesa 25's from bookworm-backports. The GLVND libraries are what
# the GPU benchmark bundle carries beside the Vulkan loader.
if ! dpkg-query -W -f '${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo12 ||
  [ ! -e /usr/lib/x86_64-linux-gnu/libGLESv2.so.2 ] || [ ! -e /usr/lib/x86_64-linux-gnu/libOpenGL.so.0 ]; then
  if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
      as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 \
    libglvnd0 libgl1 libegl1 libgles2 libopengl0 libx11-6 >/dev/null
fi

npm ci --no-audit --no-fund
