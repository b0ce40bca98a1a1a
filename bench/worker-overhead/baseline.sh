#!/usr/bin/env bash
# Baseline: the original worker's approach (aws-samples/lambda-ecs-worker-pattern, ecs-worker/ecs-worker.sh),
# step for step: a shell loop that starts a new process for every AWS step (receive, download, upload,
# delete), parses the message with `echo | sed`, and renders with povray in a scratch directory.
#
# BASELINE_STEPS picks what each AWS step runs:
#   cli  (default) the real AWS CLI, as the original did ($AWS_CLI, pointed at the emulators with
#        --endpoint-url $SQS_ENDPOINT / $S3_ENDPOINT; credentials and region from the AWS_* environment)
#   node a fresh Node process with the SDK v3 making the one call (aws-step.cjs): starts faster than the
#        Python CLI, so a second, conservative baseline
# Differences from the original, all in its favour or neutral: a 1 s instead of a 20 s wait on the last
# empty poll, no echo of progress lines, and the POV-Ray command line of the worker. The CLI prints `null`
# for an empty receive (the original's `-z` test predates that), so `null` also ends the loop.
# Prints one line per job:
#   done <render ms> <epoch ms when the job was finished>
# Needs QUEUE_URL, WORK (a scratch directory) and the AWS_* environment of the emulators; for cli also
# AWS_CLI, SQS_ENDPOINT and S3_ENDPOINT.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
queue=${QUEUE_URL}
cd "$WORK"

case "${BASELINE_STEPS:-cli}" in
cli)
    receive() {
        "$AWS_CLI" sqs receive-message --endpoint-url "$SQS_ENDPOINT" --queue-url "$1" --wait-time-seconds 1 \
            --query 'Messages[0].[Body,ReceiptHandle]' | sed -e 's/^"\(.*\)"$/\1/'
    }
    download() { "$AWS_CLI" s3 cp --endpoint-url "$S3_ENDPOINT" --only-show-errors "s3://$1/$2" "$3"; }
    upload() { "$AWS_CLI" s3 cp --endpoint-url "$S3_ENDPOINT" --only-show-errors --content-type "$4" "$3" "s3://$1/$2"; }
    delete_message() { "$AWS_CLI" sqs delete-message --endpoint-url "$SQS_ENDPOINT" --queue-url "$1" --receipt-handle "$2"; }
    ;;
node)
    receive() { node "$HERE/aws-step.cjs" receive "$1"; }
    download() { node "$HERE/aws-step.cjs" get "$1" "$2" "$3"; }
    upload() { node "$HERE/aws-step.cjs" put "$1" "$2" "$3" "$4"; }
    delete_message() { node "$HERE/aws-step.cjs" delete "$1" "$2"; }
    ;;
*)
    echo "BASELINE_STEPS must be cli or node (got ${BASELINE_STEPS})" >&2
    exit 2
    ;;
esac

while [ /bin/true ]; do
    result=$(receive "${queue}")
    if [ -z "${result}" ] || [ "${result}" = "null" ]; then
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
        download "${bucket}" "${key}" "${name}"
        unzip -q "${name}"
        start=$(date +%s%N)
        if [ -f "${base}.ini" ] && HOME="$PWD" povray "./${base}.ini" -D -P +FN +O"${base}.png" >render.log 2>&1; then
            end=$(date +%s%N)
            upload "${bucket}" "renders/${base}.png" "${base}.png" image/png
        else
            end=$(date +%s%N)
            echo "render of ${key} failed" >&2
        fi
        popd >/dev/null
        /bin/rm -rf work
        delete_message "${queue}" "${receipt_handle}"
        echo "done $(( (end - start) / 1000000 )) $(date +%s%3N)"
    else
        echo "could not parse the message: ${result}" >&2
    fi
done
