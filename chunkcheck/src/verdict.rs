//! What a work item came to, and who hunted a seeded bug: typed in the report, written by
//! name in its JSON (`pass`, `caught: P3 violated`, `shuttle-pct`, `generated`).

use harness::check::{Cause, Checker};
use std::fmt;
use std::str::FromStr;

/// What one work item (or one scenario × checker of the matrix) came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its budget ran out without a failure.
    Pass,
    /// It stopped at `--max-time` without a failure.
    Timeout,
    /// The store failed: on the clean store a real race, with `--bugs` the expected.
    Failed(Cause),
    /// A seeded bug was caught with a report it is expected to cause.
    Caught(Cause),
    /// A seeded bug showed itself with a report it is not expected to cause.
    WrongReport(Cause),
    /// A seeded bug was not caught within the budget.
    Missed,
}

impl Verdict {
    /// What a clean run came to: its failure's cause, else pass or timeout.
    pub fn clean(failure: Option<Cause>, timed_out: bool) -> Self {
        match (failure, timed_out) {
            (Some(cause), _) => Self::Failed(cause),
            (None, true) => Self::Timeout,
            (None, false) => Self::Pass,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pass => f.write_str("pass"),
            Self::Timeout => f.write_str("timeout"),
            Self::Failed(cause) => write!(f, "{cause}"),
            Self::Caught(cause) => write!(f, "caught: {cause}"),
            Self::WrongReport(cause) => write!(f, "wrong report: {cause}"),
            Self::Missed => f.write_str("missed"),
        }
    }
}

impl FromStr for Verdict {
    type Err = String;
    /// Reads what `Display` writes.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "pass" => Self::Pass,
            "timeout" => Self::Timeout,
            "missed" => Self::Missed,
            _ => match (s.strip_prefix("caught: "), s.strip_prefix("wrong report: ")) {
                (Some(cause), _) => Self::Caught(cause.parse()?),
                (_, Some(cause)) => Self::WrongReport(cause.parse()?),
                _ => Self::Failed(s.parse()?),
            },
        })
    }
}

store::serde_by_name!(Verdict);

/// Who hunted a seeded bug: a checker on the bug's scenario, or generated programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hunter {
    /// A checker on the scenario exposing the bug.
    Checker(Checker),
    /// Generated programs, not told the scenario.
    Generated,
}

impl fmt::Display for Hunter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Checker(checker) => write!(f, "{checker}"),
            Self::Generated => f.write_str("generated"),
        }
    }
}

impl FromStr for Hunter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "generated" => Ok(Self::Generated),
            _ => s.parse().map(Self::Checker),
        }
    }
}

store::serde_by_name!(Hunter);

#[cfg(test)]
mod tests {
    use super::*;
    use harness::oracle::Property;

    #[test]
    fn verdicts_and_hunters_read_back_what_they_print() {
        let chunk_lock = Cause::Violation(Property::ChunkLock);
        for verdict in [
            Verdict::Pass,
            Verdict::Timeout,
            Verdict::Failed(chunk_lock),
            Verdict::Caught(Cause::Deadlock),
            Verdict::WrongReport(Cause::Panic),
            Verdict::Missed,
        ] {
            assert_eq!(verdict.to_string().parse(), Ok(verdict));
            let json = serde_json::to_string(&verdict).expect("serializes");
            assert_eq!(serde_json::from_str::<Verdict>(&json).ok(), Some(verdict));
        }
        assert_eq!(
            Verdict::Caught(chunk_lock).to_string(),
            "caught: chunk lock violated"
        );
        for hunter in [Hunter::Generated, Hunter::Checker(Checker::Pct)] {
            assert_eq!(hunter.to_string().parse(), Ok(hunter));
        }
        assert!("caught: nothing".parse::<Verdict>().is_err());
    }
}
