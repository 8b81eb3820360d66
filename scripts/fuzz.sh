#!/usr/bin/env bash
# Runs the cargo-fuzz (libFuzzer) targets in fuzz/ one after another: the parsers that face
# untrusted input (webhook bodies, the S-360 payload mapping, bus messages, webhook signatures).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# Installs cargo-fuzz when `cargo fuzz` is missing. Uses the stable toolchain with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly-only flags), one build job and one fuzz process at
# a time. Each target starts from fuzz/corpus/<target>/ (new finds are added there) and crashing
# inputs land in fuzz/artifacts/<target>/. Exits non-zero when any target crashes or fails to
# build; the other targets still run. Environment: FUZZ_TARGETS="a b" to run only some targets,
# FUZZ_SANITIZER=none|address (default address).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=1
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked -j1
fi

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"

echo "==> building ${targets[*]}"
cargo fuzz build --sanitizer "$sanitizer"

failed=()
for target in "${targets[@]}"; do
    echo "==> fuzzing $target for ${seconds}s"
    mkdir -p "corpus/$target"
    if cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1; then
        echo "==> $target: no crash"
    else
        echo "==> $target: CRASHED (inputs in fuzz/artifacts/$target/)" >&2
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> crashed: ${failed[*]}" >&2
    exit 1
fi
echo "==> all ${#targets[@]} targets ran ${seconds}s without a crash"
