//! `chunkcheck`: runs every scenario under every checker, then every seeded race, and gates
//! CI on the result (see `chunkcheck --help` for the options and exit codes).
//!
//! The runner, report and command line live in `harness::campaign`; this binary only hands
//! them the catalogue of scenarios and seeded races, which lives in this crate.

fn main() -> std::process::ExitCode {
    harness::campaign::main(scenarios::CATALOGUE)
}
