//! The `ferrostack` binary: command line and wiring only.

mod cli;
mod clouds;
mod serve;

use clap::Parser;

fn main() -> std::process::ExitCode {
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
