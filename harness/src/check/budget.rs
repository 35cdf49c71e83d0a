//! How much exploring a checker may do, from defaults and the environment.

use std::fmt;

/// How much exploring a checker may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The value of environment variable `name` as `parse` reads it, `default` when it is unset.
///
/// # Errors
/// When it is set but `parse` rejects it (or it is not Unicode).
pub fn env_or<T>(
    name: &'static str,
    default: T,
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
) -> Result<T, EnvError> {
    match std::env::var_os(name) {
        None => Ok(default),
        Some(raw) => {
            let value = raw.to_string_lossy().into_owned();
            parse(value.trim()).ok_or(EnvError {
                name,
                value,
                expected,
            })
        }
    }
}

/// A count: a non-negative decimal integer.
pub fn parse_count(s: &str) -> Option<usize> {
    s.parse().ok()
}

/// A seed: a decimal or `0x`-hex unsigned 64-bit integer.
pub fn parse_seed(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
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
        let count = parse_count;
        Ok(Self {
            preemption_bound: env_or("LOOM_MAX_PREEMPTIONS", preemption_bound, count, COUNT)?,
            max_branches: env_or("LOOM_MAX_BRANCHES", DEFAULT_MAX_BRANCHES, count, COUNT)?,
            schedules: env_or("HARNESS_SCHEDULES", DEFAULT_SCHEDULES, count, COUNT)?,
            pct_depth: env_or("HARNESS_PCT_DEPTH", DEFAULT_PCT_DEPTH, count, COUNT)?,
            seed: env_or(
                "HARNESS_SEED",
                DEFAULT_SEED,
                parse_seed,
                "a decimal or 0x-hex unsigned 64-bit integer",
            )?,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Variables only these tests use, so parallel tests never see them.
    const SET: &str = "HARNESS_TEST_BUDGET_SET";
    const UNSET: &str = "HARNESS_TEST_BUDGET_UNSET";

    #[test]
    fn env_or_parses_defaults_and_names_malformed_values() {
        let count = parse_count;
        assert_eq!(
            env_or(UNSET, 7, count, "a count"),
            Ok(7),
            "unset: the default"
        );
        std::env::set_var(SET, " 12 ");
        assert_eq!(env_or(SET, 7, count, "a count"), Ok(12), "set: its value");
        std::env::set_var(SET, "twelve");
        let err = env_or(SET, 7, count, "a count").expect_err("malformed");
        assert_eq!(err.name, SET);
        assert_eq!(
            err.to_string(),
            format!("invalid value \"twelve\" for `{SET}`: expected a count")
        );
        std::env::remove_var(SET);
    }

    #[test]
    fn seeds_are_decimal_or_hex() {
        assert_eq!(parse_seed("0x5eedc0de"), Some(DEFAULT_SEED));
        assert_eq!(parse_seed("0X10"), Some(16));
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed("0xzz"), None);
        assert_eq!(parse_seed("-1"), None);
    }
}
