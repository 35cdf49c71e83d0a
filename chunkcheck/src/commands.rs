//! Running a command line: `check`, `replay`, `list`, and the exit code of each.
//!
//! Bad input (an unknown name, a malformed option, an unreadable or foreign failure file)
//! is reported in one line on stderr with exit code 2, before anything runs.

use crate::cli::{CheckArgs, Cli, Command, PlotArgs};
use crate::failures::shell_quote;
use crate::report::{CampaignReport, EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATION};
use crate::table::Table;
use crate::{render, replay, run, DEFAULT_CHECKERS, INVOCATION};
use anyhow::Context as _;
use clap::error::ErrorKind;
use clap::Parser;
use harness::catalogue::Catalogue;
use harness::check::{Budget, Checker};
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use store::SeededBug;

/// The binary's `main`: parses `std::env::args_os()` and runs the command.
pub fn main(catalogue: Catalogue) -> ExitCode {
    quiet_error_backtraces();
    crate::workers::set_exe();
    let code = run_command_line(&catalogue, std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// Sets `RUST_LIB_BACKTRACE=0` unless the user set it, before any thread starts.
///
/// The store reports what callers branch on (a refused backup, a refused GC, a missing
/// chunk) as `anyhow` errors, and a program run makes thousands of them. With
/// `RUST_BACKTRACE=1` in the environment, as many developers keep it, `anyhow` captures a
/// backtrace for each: 20 to 30 % of a generated run's time (BENCHMARKS.md). Panics still print
/// theirs, which `RUST_BACKTRACE` alone governs; set `RUST_LIB_BACKTRACE=1` to have them on
/// errors too. `.cargo/config.toml` does the same for `cargo test` and `cargo run`.
fn quiet_error_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
}

/// Runs a command line (program name first) and returns its exit code.
pub fn run_command_line<I, T>(catalogue: &Catalogue, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // The loom and harness variables every budget reads (and the options default to):
    // a malformed one is bad input that names the variable, before the options are read.
    if let Err(err) = Budget::try_from_env(0) {
        eprintln!("error: {err}");
        return EXIT_BAD_INPUT;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    if let Err(e) = catalogue.validate() {
        eprintln!("error: inconsistent catalogue: {e}");
        return EXIT_BAD_INPUT;
    }
    match &cli.command {
        None => check(catalogue, &cli.check, &args),
        Some(Command::Check(check_args)) => check(catalogue, check_args, &args),
        Some(Command::Replay(replay_args)) => replay(catalogue, &replay_args.file),
        Some(Command::Worker) => crate::workers::serve(catalogue),
        Some(Command::List) => {
            print!("{}", list(catalogue));
            EXIT_OK
        }
        Some(Command::Plot(plot_args)) => match plot(plot_args) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("error: {e:#}");
                EXIT_BAD_INPUT
            }
        },
    }
}

/// `plot`: reads the reports, writes the two SVG files.
fn plot(args: &PlotArgs) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let report = CampaignReport::load(path)?;
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into());
        reports.push((name, report));
    }
    let [outcomes, conflicts] = crate::curve::plot(&reports)?;
    for (file, svg) in [
        ("coverage-outcomes.svg", outcomes),
        ("coverage-conflicts.svg", conflicts),
    ] {
        let path = args.out.join(file);
        std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Help and version print in full; every other clap error in one line, exit 2.
fn clap_error(e: clap::Error) -> i32 {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            e.exit_code()
        }
        _ => {
            let text = e.render().to_string();
            let line = text.lines().find(|l| !l.trim().is_empty());
            eprintln!("{}", line.unwrap_or("error: bad command line"));
            EXIT_BAD_INPUT
        }
    }
}

/// The command line as a copy-pasteable `cargo run` line.
fn command_line(args: &[OsString]) -> String {
    let rest: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect();
    if rest.is_empty() {
        INVOCATION.trim_end_matches(" --").to_string()
    } else {
        format!("{INVOCATION} {}", rest.join(" "))
    }
}

fn check(catalogue: &Catalogue, args: &CheckArgs, argv: &[OsString]) -> i32 {
    let settings = match args.settings(catalogue, command_line(argv)) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let report = run(catalogue, &settings);
    print!("{}", render::text(&report, args.verbose));
    let outputs = [
        (&args.json, report.to_json()),
        (&args.markdown, render::markdown(&report)),
    ];
    for (path, text) in outputs {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("error: writing {}: {e}", path.display());
                return EXIT_BAD_INPUT;
            }
            eprintln!("wrote {}", path.display());
        }
    }
    report.exit_code
}

fn replay(catalogue: &Catalogue, file: &Path) -> i32 {
    match replay::replay_file(catalogue, file, true) {
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_BAD_INPUT
        }
        Ok(replayed) => {
            print!("{}", replayed.describe());
            if replayed.failure.is_some() {
                EXIT_VIOLATION
            } else {
                EXIT_OK
            }
        }
    }
}

/// The `list` output.
pub fn list(catalogue: &Catalogue) -> String {
    let mut scenarios = Table::new(&[
        ("scenario", false),
        ("threads", true),
        ("loom bound", true),
        ("who races whom", false),
    ]);
    for s in catalogue.scenarios {
        let (threads, bound) = (s.threads().to_string(), s.loom_bound.to_string());
        scenarios.row([s.name, &threads, &bound, s.summary]);
    }
    let mut checkers = Table::new(&[("checker", false), ("default", false)]);
    for c in Checker::ALL {
        let default = if DEFAULT_CHECKERS.contains(&c) {
            "yes"
        } else {
            ""
        };
        checkers.row([&c.to_string(), default]);
    }
    let mut races = Table::new(&[
        ("seeded bug", false),
        ("scenario exposing it", false),
        ("reports that count as caught", false),
        ("race", false),
    ]);
    for race in catalogue.seeded {
        let mut expect: Vec<String> = race.expect.iter().map(|p| p.to_string()).collect();
        if race.deadlock {
            expect.push("deadlock".to_string());
        }
        let bug = race.bug;
        races.row([bug.name(), race.scenario, &expect.join(", "), bug.summary()]);
    }
    let mut faults = Table::new(&[
        ("seeded bug", false),
        ("faults", false),
        ("wrong reaction", false),
    ]);
    for bug in SeededBug::FAULT_HANDLING {
        let needed = bug.faults_needed().to_string();
        faults.row([bug.name(), &needed, bug.summary()]);
    }
    format!(
        "Scenarios:\n{}\nCheckers:\n{}\nSeeded races (every checker on their scenario; generated \
         programs hunt them too):\n{}\nSeeded fault-handling bugs (shown only under faults: \
         generated programs with --faults N hunt those needing at most N faults per execution; any \
         violation or deadlock counts):\n{}",
        scenarios.text(),
        checkers.text(),
        races.text(),
        faults.text()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_copy_pasteable() {
        let argv: Vec<OsString> = ["chunkcheck", "--json", "a b.json"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(
            command_line(&argv),
            format!("{INVOCATION} --json 'a b.json'")
        );
        assert_eq!(
            command_line(&argv[..1]),
            "cargo run --release -p chunkcheck"
        );
    }
}
