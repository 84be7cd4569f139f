//! The upload speed limit: how fast this machine computes the md5 and
//! sha512 of a file in one pass, with the code uploads use.
//!
//! `cargo run --release -p image --example hash_speed -- FILE`
//! prints `<MiB/s> <md5> <sha512>`.

use image::data::Digests;
use std::io::Read;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: hash_speed FILE");
        std::process::exit(2);
    };
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut digests = Digests::default();
    let started = Instant::now();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        digests.update(&buf[..n]);
    }
    let seconds = started.elapsed().as_secs_f64();
    let (size, md5, sha512) = digests.finish();
    let mib_s = size as f64 / (1024.0 * 1024.0) / seconds;
    println!("{mib_s:.1} {md5} {sha512}");
    Ok(())
}
