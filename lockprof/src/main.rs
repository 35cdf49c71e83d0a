//! `lockprof`: lock contention profiles of the store under a workload (see the crate docs
//! and `--help`).

use clap::Parser;
use lockprof::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version.
            print!("{}", e.render());
            return ExitCode::SUCCESS;
        }
    };
    let settings = match cli.settings() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match settings.run() {
        Ok(report) => {
            print!("{}", report.text());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
