#!/usr/bin/env python3
"""Where the firmware's HTTP layer spends its code: every instruction of an image (`hello`
unless named) and of `baseline` is charged to the innermost inlined frame that lies in this repository's sources
(llvm-objdump for the instructions, llvm-symbolizer and the images' debug info for the
frames), summed by part, and baseline's sums are taken from hello's. Approximate (code only,
no read-only data), and meant to be read by hand: docs/BENCHMARKS.md has its output.

Usage, after `cargo build --release` in examples/firmware:  python3 size_by_source.py [IMAGE]
Needs llvm-symbolizer (Debian: llvm) and the toolchain's llvm-tools (rustup component add
llvm-tools)."""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, 'target/thumbv7em-none-eabihf/release')
SYSROOT = subprocess.check_output(['rustc', '--print', 'sysroot'], text=True).strip()
HOST = re.search(r'host: (\S+)', subprocess.check_output(['rustc', '-vV'], text=True)).group(1)
OBJDUMP = os.path.join(SYSROOT, 'lib/rustlib', HOST, 'bin/llvm-objdump')

# The parts, by source path below the repository (first match wins).
PARTS = [
    ('core/src/conn', 'connection engine'),
    ('core/src/http/chunked', 'chunked decoding'),
    ('core/src/http/response', 'response encoding'),
    ('core/src/http/status', 'response encoding'),
    ('core/src/http/date', 'response encoding'),
    ('core/src/http', 'request parsing'),
    ('core/src/metrics', 'metrics'),
    ('core/src/hello', 'the hello application'),
    ('examples/apps/src/hello', 'the hello application'),
    ('examples/apps/src/device', 'the device application'),
    ('app/src/router', 'aurora-app: router'),
    ('app/src/response', 'aurora-app: JSON bodies'),
    ('app/src/extract', 'aurora-app: extractors'),
    ('app/src/assets', 'aurora-app: assets'),
    ('app/src/sse', 'aurora-app: events'),
    ('app/src', 'aurora-app: other'),
    ('core/src/server', 'server driver'),
    ('core/src/time', 'timer wheel'),
    ('core/src/mem', 'pools and arena'),
    ('core/src/config', 'configuration check'),
    ('backend-embassy', 'aurora-embassy'),
    ('examples/firmware', 'firmware glue'),
]


def charged(image):
    """Bytes of code per part, each instruction charged to its innermost frame in ROOT."""
    listing = subprocess.check_output(
        [OBJDUMP, '-d', '--no-show-raw-insn', os.path.join(OUT, image)], text=True)
    addresses = [int(m.group(1), 16) for m in re.finditer(r'^\s+([0-9a-f]+):\s', listing, re.M)]
    frames = subprocess.run(
        ['llvm-symbolizer', '--inlining', '--obj=' + os.path.join(OUT, image)],
        input='\n'.join(hex(a) for a in addresses), capture_output=True, text=True,
        check=True).stdout.strip('\n').split('\n\n')
    parts = collections.Counter()
    for i, (address, block) in enumerate(zip(addresses, frames)):
        size = min(max(addresses[i + 1] - address, 0), 4) if i + 1 < len(addresses) else 2
        locations = block.split('\n')[1::2]
        ours = [loc for loc in locations if loc.startswith(ROOT + '/')]
        part = 'library code (memory copies, formatting, embassy and smoltcp shared)'
        if any('/serde' in loc for loc in locations):
            part = 'serde and serde-json-core'
        if ours:
            path = ours[0][len(ROOT) + 1:]
            part = next((name for prefix, name in PARTS if path.startswith(prefix)), part)
        parts[part] += size
    return parts


def rodata(image):
    """Bytes of the image's `.rodata` section."""
    sections = subprocess.check_output(
        [OBJDUMP.replace('objdump', 'size'), '-A', os.path.join(OUT, image)], text=True)
    return int(re.search(r'^\.rodata\s+(\d+)', sections, re.M).group(1))


image = sys.argv[1] if len(sys.argv) > 1 else 'hello'
measured, baseline = charged(image), charged('baseline')
for part in sorted(set(measured) | set(baseline), key=lambda p: baseline[p] - measured[p]):
    print(f'{measured[part] - baseline[part]:7d}  {part}')
print(f'{rodata(image) - rodata("baseline"):7d}  read-only data (.rodata)')
