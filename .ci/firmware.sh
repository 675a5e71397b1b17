#!/usr/bin/env bash
# Aurora on a Cortex-M4: builds the firmware images in examples/firmware (release profile:
# opt-level "s", fat LTO, one codegen unit, panic = abort), prints their sizes and the size of
# Aurora's HTTP layer (hello, greeting and device, each minus baseline), then runs the on-target test under QEMU's
# mps2-an386 board and fails when it fails. Installs what it needs, only when missing.
set -euo pipefail
cd "$(dirname "$0")/../examples/firmware"

TARGET=thumbv7em-none-eabihf
OUT="target/$TARGET/release"

echo "--- tools: the $TARGET target, llvm-tools, qemu-system-arm"
rustup target add "$TARGET"
rustup component add llvm-tools
SYSROOT="$(rustc --print sysroot)"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
LLVM_SIZE="$SYSROOT/lib/rustlib/$HOST/bin/llvm-size"
if [ ! -x "$LLVM_SIZE" ]; then
    echo "llvm-size is not in the toolchain's llvm-tools at $LLVM_SIZE" >&2
    exit 1
fi
if ! command -v qemu-system-arm >/dev/null; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends qemu-system-arm
fi
qemu-system-arm --version | head -n 1

echo "--- format and clippy (the firmware crate is outside the workspace)"
cargo fmt -- --check
cargo clippy --release --locked -- -D warnings

echo "--- build: hello, greeting, device, baseline, qemu-test"
cargo build --release --locked

echo "--- sizes (bytes; llvm-size, Berkeley format)"
"$LLVM_SIZE" "$OUT/hello" "$OUT/greeting" "$OUT/device" "$OUT/baseline" "$OUT/qemu-test"
"$LLVM_SIZE" "$OUT/baseline" "$OUT/hello" "$OUT/greeting" "$OUT/device" | awk '
    NR == 2 { t = $1; d = $2; b = $3 }
    NR > 2 {
        n = $6; sub(".*/", "", n)
        printf "Aurora HTTP layer (%s - baseline): text %d, data %d, bss %d\n", n, $1 - t, $2 - d, $3 - b
    }'

echo "--- on-target test: qemu-system-arm -machine mps2-an386 -cpu cortex-m4"
status=0
timeout 120 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$OUT/qemu-test" || status=$?
if [ "$status" -ne 0 ]; then
    echo "firmware test failed: QEMU exit status $status (124 is the 120 s timeout)" >&2
    exit "$status"
fi
echo "firmware test passed"
