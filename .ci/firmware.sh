#!/usr/bin/env bash
# Aurora on a Cortex-M4: builds the firmware images in examples/firmware (release profile:
# opt-level "s", fat LTO, one codegen unit, panic = abort), prints their sizes and the size of
# Aurora's HTTP layer (hello, greeting and device, each minus baseline), fails when one outgrows its
# line in examples/firmware/size-budget.txt by more than 256 bytes, then runs the on-target test under QEMU's
# mps2-an386 board and fails when it fails. Installs what it needs, only when missing.
set -euo pipefail
cd "$(dirname "$0")/../examples/firmware"

TARGET=thumbv7em-none-eabihf
OUT="target/$TARGET/release"
# The Cortex-M0+ target the images also build for (sizes only; QEMU runs the Cortex-M4 ones).
M0=thumbv6m-none-eabi

echo "--- tools: the $TARGET target, llvm-tools, qemu-system-arm"
rustup target add "$TARGET" "$M0"
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
# The HTTP layer of each server image in the folder $1: the image minus baseline.
layers() {
    "$LLVM_SIZE" "$1/baseline" "$1/hello" "$1/greeting" "$1/device" | awk '
        NR == 2 { t = $1; d = $2; b = $3 }
        NR > 2 {
            n = $6; sub(".*/", "", n)
            printf "Aurora HTTP layer (%s - baseline): text %d, data %d, bss %d\n", n, $1 - t, $2 - d, $3 - b
        }'
}
layers "$OUT" | tee "$OUT/http-layer.txt"

echo "--- size budget (size-budget.txt; an image may exceed its line by 256 bytes)"
awk '
    NR == FNR { if ($1 !~ /^#/ && NF == 3) { text[$1] = $2; bss[$1] = $3 } next }
    {
        n = $4; sub(/\)/, "", n); sub(/^\(/, "", n)
        t = $8 + 0; b = $12 + 0
        if (!(n in text)) { printf "%s has no line in size-budget.txt\n", n; bad = 1; next }
        printf "%-9s text %6d of %6d, bss %6d of %6d\n", n, t, text[n], b, bss[n]
        if (t > text[n] + 256) { printf "%s: text grew %d bytes past its budget\n", n, t - text[n]; bad = 1 }
        if (b > bss[n] + 256) { printf "%s: bss grew %d bytes past its budget\n", n, b - bss[n]; bad = 1 }
    }
    END { exit bad }' size-budget.txt "$OUT/http-layer.txt" || {
    echo "firmware size budget exceeded: shrink the image, or raise size-budget.txt in the commit that explains why" >&2
    exit 1
}

echo "--- the same images for a Cortex-M0+ ($M0), sizes only"
cargo build --release --locked --target "$M0"
"$LLVM_SIZE" "target/$M0/release/"{hello,greeting,device,baseline}
layers "target/$M0/release"

echo "--- on-target test: qemu-system-arm -machine mps2-an386 -cpu cortex-m4"
status=0
timeout 120 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$OUT/qemu-test" || status=$?
if [ "$status" -ne 0 ]; then
    echo "firmware test failed: QEMU exit status $status (124 is the 120 s timeout)" >&2
    exit "$status"
fi
echo "firmware test passed"
