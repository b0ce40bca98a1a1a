#!/usr/bin/env bash
# Baseline: the original worker's approach, a shell loop that starts a new process for every AWS step
# (receive, download, upload, delete) around unzip and povray. Prints one line per job:
#   done <render ms> <epoch ms when the job was finished>
# Needs QUEUE_URL, WORK (a scratch directory) and the AWS_* environment of the emulators.
set -euo pipefail
STEP="$(dirname "$0")/aws-step.cjs"
while true; do
  msg=$(node "$STEP" receive "$QUEUE_URL")
  [ -z "$msg" ] && break
  IFS=$'\t' read -r receipt bucket key <<<"$msg"
  base=$(basename "$key" .zip)
  dir=$(mktemp -d "$WORK/job-XXXXXX")
  node "$STEP" get "$bucket" "$key" "$dir/scene.zip"
  (cd "$dir" && unzip -q scene.zip)
  start=$(date +%s%N)
  (cd "$dir" && HOME="$dir" povray "./$base.ini" -D -P +FN +O"$dir/out.png" >"$dir/render.log" 2>&1)
  end=$(date +%s%N)
  node "$STEP" put "$bucket" "renders/$base.png" "$dir/out.png" image/png
  node "$STEP" delete "$QUEUE_URL" "$receipt"
  rm -rf "$dir"
  echo "done $(( (end - start) / 1000000 )) $(date +%s%3N)"
done
