#!/usr/bin/env bash
# Start one Prefect worker with its own environment file.
#
#   deployments/start-worker.sh POOL ENV_FILE [extra `prefect worker start` options]
#   deployments/start-worker.sh gpu deployments/workers/gpu-0.env --limit 1
#
# ENV_FILE holds KEY=VALUE lines (see deployments/workers/*.env.example): the server address and
# auth string, and for a GPU worker the GPU it owns and the Ollama server beside it. Flow runs
# started by this worker inherit that environment, so each GPU worker's agents use its own GPU
# and its own Ollama.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 POOL ENV_FILE [prefect worker start options]" >&2
  exit 2
fi
pool=$1
env_file=$2
shift 2

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a

# Offline hygiene for the worker and every flow run it starts.
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false

exec prefect worker start --pool "$pool" --name "${WORKER_NAME:-$(hostname)-$pool}" "$@"
