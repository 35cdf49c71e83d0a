//! Why a checker run failed, as data.

use crate::execution::ExecutionLog;
use crate::oracle::Property;
use std::fmt;

/// What stopped a failing execution, known from the execution itself, not from panic text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The oracle found this property broken.
    Violation(Property),
    /// The checker stopped the execution while every live thread was blocked.
    Deadlock,
    /// Any other panic: a failed assertion of the scenario, an unexpected store error.
    Panic,
}

impl Cause {
    /// The cause of the execution `log` describes, which ended in a panic.
    pub fn of(log: &ExecutionLog) -> Self {
        match log.violation() {
            Some(property) => Self::Violation(property),
            None if log.all_blocked() => Self::Deadlock,
            None => Self::Panic,
        }
    }

    /// The violated property, if the oracle found one.
    pub fn property(self) -> Option<Property> {
        match self {
            Self::Violation(p) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Violation(p) => write!(f, "{p} violated"),
            Self::Deadlock => f.write_str("deadlock"),
            Self::Panic => f.write_str("panic"),
        }
    }
}

impl std::str::FromStr for Cause {
    type Err = String;
    /// Reads what `Display` writes.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deadlock" => Ok(Self::Deadlock),
            "panic" => Ok(Self::Panic),
            _ => s
                .strip_suffix(" violated")
                .ok_or_else(|| format!("unknown cause {s:?}"))?
                .parse()
                .map(Self::Violation),
        }
    }
}

store::serde_by_name!(Cause);

/// Why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What stopped the execution.
    pub cause: Cause,
    /// The panic message (violation with its trail, assertion, or the checker's report).
    pub message: String,
    /// The failing schedule (shuttle), encoded.
    pub schedule: Option<String>,
    /// Scheduling steps of the failing schedule (shuttle): a measure of its length.
    pub steps: Option<usize>,
}

impl Failure {
    /// The oracle property broken, if any.
    pub fn property(&self) -> Option<Property> {
        self.cause.property()
    }

    /// Whether the checker found a deadlock.
    pub fn is_deadlock(&self) -> bool {
        self.cause == Cause::Deadlock
    }

    /// A one-line verdict: `<property> violated`, `deadlock`, or `panic`.
    pub fn verdict(&self) -> String {
        self.cause.to_string()
    }

    /// The first line of the message.
    pub fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}
