#!/usr/bin/env bash
# Replay the founding note's four iterations of the kv store through `cargo exemplar run`, in a
# scratch copy of this template, so that its mission history shows the loss across them:
#
#   0  the log lives in memory                 crash_recovery (T1) fails
#   1  fsync per write; S1 says disk.append    all pass
#   2  the stress test arrives                 throughput (T2) fails: fsync per write is slow
#   3  batch commit; S3 added                  all pass
#
# Usage: templates/kv/iterate.sh [WORKDIR]   (default: target/kv-iterations in the repository)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-$root/target/kv-iterations}

rm -rf "$work"
mkdir -p "$work"
cp -r "$here/src" "$here/tests" "$here/benches" "$here/Cargo.toml" "$work/"
# A standalone package: its own workspace, exemplar by absolute path, this repository's lockfile.
sed -i "s#path = \"../../exemplar\"#path = \"$root/exemplar\"#" "$work/Cargo.toml"
printf '\n[workspace]\n' >>"$work/Cargo.toml"
cp "$root/Cargo.lock" "$work/"

(cd "$root" && cargo build --quiet -p cargo-exemplar)
exemplar="$root/target/debug/cargo-exemplar"
export CARGO_TARGET_DIR="$root/target/kv-iterations-target"

notes=(
  "naive: the log lives in memory"
  "fsync per write; S1 refined to disk.append"
  "stress test: 16 concurrent writers"
  "batch commit (S3): one fsync per batch"
)
for i in 0 1 2 3; do
  kept=""
  if [ -f "$work/mission.yaml" ]; then
    kept=$(sed -n '/^signal:/,$p' "$work/mission.yaml")
  fi
  {
    cat "$here/iterations/design-$i.yaml"
    if [ -n "$kept" ]; then printf '%s\n' "$kept"; fi
  } >"$work/mission.yaml"
  features=()
  if [ "$i" -lt 3 ]; then features=(--features "iteration-$i"); fi
  echo "==> iteration $i: ${notes[$i]}"
  "$exemplar" exemplar run --manifest-path "$work/Cargo.toml" "${features[@]}" \
    --journal "$work/.exemplar" --note "iteration $i: ${notes[$i]}" || true
done

echo "==> the history of $work/mission.yaml"
sed -n '/^history:/,$p' "$work/mission.yaml"
