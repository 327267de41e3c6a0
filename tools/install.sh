#!/usr/bin/env bash
# Idempotent installer for the verified mmlt stack (see README "Install").
#   bash tools/install.sh [full|lite]
# full (default; `make install`, `make test`): torch 2.14.1 + torchvision 0.29.1,
#   mmengine 0.10.7, mmcv 2.1.0 (with ops), mmpretrain 1.2.0, mmdet 3.3.0, lvis 0.5.3,
#   setuptools<82, the test requirements, then `pip install -e .`.
# lite (`make demo`): the classification path only: the same torch, mmengine and
#   mmpretrain with mmcv-lite 2.1.0 (mmcv without the compiled ops, which only detection
#   uses), no mmdet. A later full install replaces mmcv-lite by mmcv with ops; a lite
#   install on a full environment changes nothing.
# mmcv 2.1.0 is source-only on PyPI and its setup.py hard-codes -std=c++14/17, which
# torch 2.14 headers reject; we build it once with -std=c++20 and cache the wheel in
# $MMLT_CACHE (default ~/.cache/mmlt) so later installs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-full}
case "$MODE" in
  full|lite) ;;
  *) echo "usage: bash tools/install.sh [full|lite] (got '$MODE')" >&2; exit 2 ;;
esac
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
CACHE=${MMLT_CACHE:-$HOME/.cache/mmlt}
TORCH_SPEC="torch==2.14.1 torchvision==0.29.1"
mkdir -p "$CACHE"

log() { printf '[install] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
fi
VPY="$PWD/$VENV/bin/python"
PIP="$VPY -m pip --disable-pip-version-check -q"

have() { "$VPY" - "$@" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, want = spec.split('==')
    if version(name) != want:
        sys.exit(1)
PY
}

if ! have torch==2.14.1 torchvision==0.29.1; then
  log "installing $TORCH_SPEC (about 5.5 GB, from the local disk when available)"
  $PIP install -r requirements/build.txt
  $PIP install $TORCH_SPEC
fi
$PIP install -r requirements/build.txt
# mmcv imports mmengine, so mmengine (and mmcv's pure-python deps) go first.
$PIP install mmengine==0.10.7 addict packaging pyyaml yapf opencv-python Pillow

mmcv_ok() { "$VPY" -c "import mmcv, mmcv.ops; from mmcv.ops import nms; assert mmcv.__version__ == '2.1.0'" >/dev/null 2>&1; }
if [ "$MODE" = lite ]; then
  if mmcv_ok; then
    log "mmcv 2.1.0 with ops already works: keeping it"
  elif ! have mmcv-lite==2.1.0; then
    log "installing mmcv-lite 2.1.0 (no compiled ops: classification only)"
    $PIP install mmcv-lite==2.1.0
  fi
  $PIP install mmpretrain==1.2.0
  $PIP install --no-build-isolation --no-deps -e .
  "$VPY" -c "import mmlt, mmcv, mmpretrain; print('[install] ok (lite: classification only): mmlt', mmlt.__version__, '| torch', __import__('torch').__version__, '| mmcv', mmcv.__version__)"
  exit 0
fi
if mmcv_ok; then
  log "mmcv 2.1.0 with ops already works: reusing it"
else
  TV=$("$VPY" -c "import torch; print(torch.__version__.replace('+', '_'))")
  WDIR="$CACHE/mmcv-2.1.0-torch$TV"
  WHL=$(ls "$WDIR"/mmcv-2.1.0-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$WHL" ]; then
    log "building mmcv 2.1.0 with ops against torch $TV (8-12 min on 2 cores; cached afterwards in $WDIR)"
    TMP=$(mktemp -d)
    $PIP download --no-deps --no-binary :all: mmcv==2.1.0 -d "$TMP"
    tar -xzf "$TMP"/mmcv-2.1.0.tar.gz -C "$TMP"
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$TMP/mmcv-2.1.0/setup.py"
    mkdir -p "$WDIR"
    (cd "$TMP/mmcv-2.1.0" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$VPY" -m pip wheel --no-build-isolation --no-deps --no-cache-dir -q . -w "$WDIR")
    rm -rf "$TMP"
    WHL=$(ls "$WDIR"/mmcv-2.1.0-*.whl | head -n1)
  fi
  if "$VPY" -m pip show -q mmcv-lite >/dev/null 2>&1; then
    # both distributions own the mmcv/ package: remove the lite one first
    log "replacing mmcv-lite by mmcv with ops"
    $PIP uninstall -y mmcv-lite
  fi
  log "installing $WHL"
  $PIP install --force-reinstall --no-deps "$WHL"
  mmcv_ok || { echo "mmcv ops still do not import" >&2; exit 1; }
fi

$PIP install mmpretrain==1.2.0 -r requirements/det.txt -r requirements/tests.txt
$PIP install --no-build-isolation --no-deps -e .
"$VPY" -c "import mmlt, mmcv.ops, mmdet, mmpretrain; print('[install] ok: mmlt', mmlt.__version__, '| torch', __import__('torch').__version__, '| mmcv', __import__('mmcv').__version__)"
