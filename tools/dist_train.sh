#!/usr/bin/env bash
# Usage: [PYTHON=/path/to/python] bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py args]
# One process per GPU; on a machine without GPUs the processes run on CPU
# with the gloo backend.
CONFIG=$1
GPUS=$2
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
    $(dirname "$0")/train.py \
    $CONFIG \
    --launcher pytorch ${@:3}
