//! Link options for the `ferrostack` binary.

fn main() {
    // Relative relocations packed as DT_RELR (glibc 2.36+): at every start
    // the loader reads some kilobytes of them instead of a megabyte of
    // R_X86_64_RELATIVE entries, and that megabyte no longer sits in memory.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
