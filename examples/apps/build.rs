//! Compresses the embedded pages with gzip at build time (`OUT_DIR/<name>.gz`), so the
//! applications serve a precompressed variant from static memory.

use std::path::Path;
use std::{env, fs};

/// The assets that get a gzip variant.
const ASSETS: &[&str] = &["device.html"];

fn main() {
    let out = env::var_os("OUT_DIR").map(std::path::PathBuf::from);
    let Some(out) = out else {
        panic!("cargo sets OUT_DIR for build scripts");
    };
    for name in ASSETS {
        let src = Path::new("assets").join(name);
        println!("cargo::rerun-if-changed={}", src.display());
        let bytes = fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        let gz = gzip(&bytes);
        fs::write(out.join(format!("{name}.gz")), gz).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// `data` as a gzip member (RFC 1952): header, raw deflate, CRC-32 and length.
fn gzip(data: &[u8]) -> Vec<u8> {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=2 (best compression) OS=255 (unknown).
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 10));
    out.extend(crc32(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

/// The CRC-32 (IEEE, reflected) of `data`, bit by bit: the assets are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
