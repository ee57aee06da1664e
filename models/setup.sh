#!/usr/bin/env bash
# Sets up the training environment: Debian's CPU PyTorch stack plus a venv (models/.venv) that
# adds the pinned PyPI packages of training/requirements.txt. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
debs=(python3-torch python3-torchvision python3-numpy python3-pil python3-matplotlib python3-venv)
missing=()
for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's torch is for Debian's interpreter, not whatever python3 is first on PATH.
[ -x "$here/.venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/training/requirements.txt"
"$here/.venv/bin/python" -c "import torch, torchvision, onnxruntime, pytorch_metric_learning; print('models/.venv ready: torch', torch.__version__, '· onnxruntime', onnxruntime.__version__)"
