#!/usr/bin/env bash
# Usage: [PYTHON=/path/to/python] bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args]
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# The interpreter: $PYTHON if set, else the repo's .venv (made by
# `make install`) when it exists, else `python` on the PATH.
REPO_DIR="$(cd "$(dirname "$0")/.." && pwd)"
if [ -x "$REPO_DIR/.venv/bin/python" ]; then
    DEFAULT_PYTHON="$REPO_DIR/.venv/bin/python"
else
    DEFAULT_PYTHON=python
fi
PYTHON=${PYTHON:-$DEFAULT_PYTHON}

PYTHONPATH="$REPO_DIR":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/test.py \
    $CONFIG \
    $CHECKPOINT \
    --launcher pytorch ${@:4}
