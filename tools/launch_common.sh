# The launch lines of tools/dist_{train,test}.sh (torchrun) and
# tools/slurm_{train,test}.sh (srun), sourced by them: each wrapper names
# its tool and passes that tool's arguments in order.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# dist_launch GPUS TOOL ARGS...: GPUS processes of tools/TOOL on this node.
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR and PORT as for torchrun;
# PYTHON picks the interpreter.
dist_launch() {
    local gpus=$1 tool=$2
    shift 2
    PYTHONPATH="$ROOT":$PYTHONPATH \
    "${PYTHON:-python}" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$gpus" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/$tool" "$@"
}

# slurm_launch PARTITION JOB_NAME TOOL ARGS...: tools/TOOL in one task per
# GPU: GPUS (total, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), and
# SRUN_ARGS (more srun options, split on spaces).
slurm_launch() {
    local partition=$1 job_name=$2 tool=$3
    shift 3
    # shellcheck disable=SC2086
    PYTHONPATH="$ROOT":$PYTHONPATH \
    srun -p "$partition" --job-name="$job_name" \
        --gres=gpu:"${GPUS_PER_NODE:-8}" --ntasks="${GPUS:-8}" \
        --ntasks-per-node="${GPUS_PER_NODE:-8}" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} python -u "$ROOT/tools/$tool" "$@"
}
