#!/usr/bin/env bash
# Baseline: the original worker's approach (aws-samples/lambda-ecs-worker-pattern, ecs-worker/ecs-worker.sh),
# step for step: a shell loop that starts a new process for every AWS step (receive, download, upload,
# delete), parses the message with `echo | sed`, and renders with povray in a scratch directory.
# `node aws-step.cjs` stands in for each `aws` CLI call (see aws-step.cjs). Differences from the original,
# all in its favour or neutral: no 20 s wait on the last empty poll (the loop ends at the first empty
# receive), no echo of progress lines, and the POV-Ray command line of the worker. Prints one line per job:
#   done <render ms> <epoch ms when the job was finished>
# Needs QUEUE_URL, WORK (a scratch directory) and the AWS_* environment of the emulators.
set -uo pipefail
STEP="$(dirname "$0")/aws-step.cjs"
queue=${QUEUE_URL}
cd "$WORK"

while [ /bin/true ]; do
    result=$(node "$STEP" receive "${queue}")
    if [ -z "${result}" ]; then
        exit 0
    fi
    receipt_handle=$(echo ${result} | sed -e 's/^.*"\([^"]*\)"\s*\]$/\1/')
    bucket=$(echo ${result} | sed -e 's/^.*\\"bucket\\":\s*\\"\([^\\]*\)\\".*$/\1/')
    key=$(echo ${result} | sed -e 's/^.*\\"key\\":\s*\\"\([^\\]*\)\\".*$/\1/')
    name=${key##*/}
    base=${name%.*}
    ext=${name##*.}
    if [ -n "${receipt_handle}" -a -n "${key}" -a "${ext}" = "zip" ]; then
        mkdir -p work
        pushd work >/dev/null
        node "$STEP" get "${bucket}" "${key}" "${name}"
        unzip -q "${name}"
        start=$(date +%s%N)
        if [ -f "${base}.ini" ] && HOME="$PWD" povray "./${base}.ini" -D -P +FN +O"${base}.png" >render.log 2>&1; then
            end=$(date +%s%N)
            node "$STEP" put "${bucket}" "renders/${base}.png" "${base}.png" image/png
        else
            end=$(date +%s%N)
            echo "render of ${key} failed" >&2
        fi
        popd >/dev/null
        /bin/rm -rf work
        node "$STEP" delete "${queue}" "${receipt_handle}"
        echo "done $(( (end - start) / 1000000 )) $(date +%s%3N)"
    else
        echo "could not parse the message: ${result}" >&2
    fi
done
