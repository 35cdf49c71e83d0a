//! How much exploring a checker may do, from defaults and the environment.

use std::fmt;
use std::str::FromStr;

/// How much exploring a checker may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// loom: preemption bound (`LOOM_MAX_PREEMPTIONS` overrides).
    pub preemption_bound: usize,
    /// loom: maximum branches per execution.
    pub max_branches: usize,
    /// shuttle: schedules to run.
    pub schedules: usize,
    /// shuttle PCT: bug depth.
    pub pct_depth: usize,
    /// shuttle: random seed.
    pub seed: u64,
}

/// Default shuttle schedules per run (`HARNESS_SCHEDULES` overrides).
pub const DEFAULT_SCHEDULES: usize = 1_000;
/// Default shuttle seed (`HARNESS_SEED` overrides): fixed, so runs are deterministic.
pub const DEFAULT_SEED: u64 = 0x5eed_c0de;
/// Default PCT depth (`HARNESS_PCT_DEPTH` overrides).
pub const DEFAULT_PCT_DEPTH: usize = 3;
/// Default loom branch cap per execution (`LOOM_MAX_BRANCHES` overrides).
pub const DEFAULT_MAX_BRANCHES: usize = 100_000;

/// A malformed environment variable: its name, its value and what it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What it must hold.
    pub expected: &'static str,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?} for `{}`: expected {}",
            self.value, self.name, self.expected
        )
    }
}

impl std::error::Error for EnvError {}

/// The value of environment variable `name` parsed as `T`, `default` when it is unset.
///
/// # Errors
/// When it is set but does not parse (or is not Unicode).
pub fn env_or<T: FromStr>(
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, EnvError> {
    match std::env::var_os(name) {
        None => Ok(default),
        Some(raw) => {
            let value = raw.to_string_lossy().into_owned();
            value.trim().parse().map_err(|_| EnvError {
                name,
                value,
                expected,
            })
        }
    }
}

impl Budget {
    /// A budget with the given loom preemption bound and shuttle defaults, each overridable
    /// by environment: `LOOM_MAX_PREEMPTIONS`, `LOOM_MAX_BRANCHES`, `HARNESS_SCHEDULES`,
    /// `HARNESS_SEED`, `HARNESS_PCT_DEPTH`.
    ///
    /// # Errors
    /// The first variable that is set but malformed, by name.
    pub fn try_from_env(preemption_bound: usize) -> Result<Self, EnvError> {
        const COUNT: &str = "a non-negative integer";
        Ok(Self {
            preemption_bound: env_or("LOOM_MAX_PREEMPTIONS", preemption_bound, COUNT)?,
            max_branches: env_or("LOOM_MAX_BRANCHES", DEFAULT_MAX_BRANCHES, COUNT)?,
            schedules: env_or("HARNESS_SCHEDULES", DEFAULT_SCHEDULES, COUNT)?,
            pct_depth: env_or("HARNESS_PCT_DEPTH", DEFAULT_PCT_DEPTH, COUNT)?,
            seed: env_or("HARNESS_SEED", DEFAULT_SEED, "an unsigned 64-bit integer")?,
        })
    }

    /// Like [`Budget::try_from_env`], for tests: a malformed variable is a panic naming it
    /// (as loom's own builder does), never a silent default.
    ///
    /// # Panics
    /// When a variable is set but malformed.
    #[track_caller]
    pub fn from_env(preemption_bound: usize) -> Self {
        Self::try_from_env(preemption_bound).unwrap_or_else(|err| panic!("{err}"))
    }
}
