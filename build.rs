//! Link options for the `ferrostack` binary.

use std::path::Path;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if !target.ends_with("-linux-gnu") {
        return;
    }
    // Relative relocations packed as DT_RELR (glibc 2.36+): at every start
    // the loader reads some kilobytes of them instead of a megabyte of
    // R_X86_64_RELATIVE entries, and that megabyte no longer sits in memory.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");

    // The functions a process runs, laid out together at the front of .text
    // (scripts/symbol-order.sh tells why and regenerates the list). The
    // names are those of a release build, hence release only; ones the
    // linker does not find, after an upgrade say, are skipped quietly.
    // CARGO_MANIFEST_DIR read as the script runs: the compiled script is
    // reused by checkouts elsewhere, which have their own list.
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let order = Path::new(&root).join("link/symbol-order.txt");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", order.display());
    if std::env::var("PROFILE").as_deref() == Ok("release") && order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
