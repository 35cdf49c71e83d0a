//! `chunkcheck`: runs every scenario under every checker, every seeded race, then generated
//! actor programs, and gates CI on the result (see `chunkcheck --help` for the options and exit codes).
//!
//! The runner, report and command line are this crate's library; the binary only hands them
//! the catalogue of scenarios and seeded races from the `scenarios` crate.

fn main() -> std::process::ExitCode {
    chunkcheck::main(scenarios::catalogue())
}
