//! kv's `iterate.sh` for a project made by `new`: the replay of the founding note's four
//! iterations through the cargo-exemplar that wrote it.

use std::path::Path;

/// kv's replay of the founding note's four iterations, for a project of its own: it works in
/// a scratch copy, with the cargo-exemplar that wrote it (or `$EXEMPLAR`).
pub(super) fn script(exe: &Path) -> String {
    format!(
        r#"#!/usr/bin/env bash
# Replay the founding note's four iterations of the kv store through `cargo exemplar run`, in a
# scratch copy of this project, so that its mission history shows the loss across them:
#
#   0  the log lives in memory                 crash_recovery fails
#   1  fsync per write; S1 says disk.append    all pass
#   2  the stress test arrives                 throughput fails: fsync per write is slow
#   3  batch commit; S3 added                  all pass
#
# Usage: ./iterate.sh [WORKDIR]   (default: target/kv-iterations)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${{1:-$here/target/kv-iterations}}
exemplar=${{EXEMPLAR:-{exe}}}

rm -rf "$work"
mkdir -p "$work"
cp -r "$here/src" "$here/tests" "$here/benches" "$here/Cargo.toml" "$here/Cargo.lock" "$work/"
export CARGO_TARGET_DIR="$here/target/kv-iterations-target"

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
  {{
    cat "$here/iterations/design-$i.yaml"
    if [ -n "$kept" ]; then printf '%s
' "$kept"; fi
  }} >"$work/mission.yaml"
  features=()
  if [ "$i" -lt 3 ]; then features=(--features "iteration-$i"); fi
  echo "==> iteration $i: ${{notes[$i]}}"
  "$exemplar" exemplar run --manifest-path "$work/Cargo.toml" "${{features[@]}}"     --journal "$work/.exemplar" --note "iteration $i: ${{notes[$i]}}" || true
done

echo "==> the history of $work/mission.yaml"
sed -n '/^history:/,$p' "$work/mission.yaml"
"#,
        exe = exe.display()
    )
}
