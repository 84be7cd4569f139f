//! The `ferrostack` binary: command line and wiring only.

mod cli;
mod clouds;
mod serve;

use clap::Parser;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    let args = cli::Cli::parse();
    let _log = compat_api::logging::init(args.debug);
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrostack: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc gives every thread that allocates concurrently an arena of its own
/// (up to 8 per core) and keeps what each arena freed: after a few large
/// responses (a list of 10,000 ports) the process held twice the memory it
/// did with two arenas, for no measurable gain in throughput.
/// `MALLOC_ARENA_MAX` in the environment still overrides this.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; it is called
        // before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
