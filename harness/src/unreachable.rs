//! Decision outcomes the harness's model cannot reach, and why: what the campaign report
//! prints next to an outcome no phase took. An outcome not listed here that no phase took
//! is reported as unexplained, the next place to look.

use store::Outcome;

/// `point/outcome` and why no program of the model reaches it.
const REASONS: &[(&str, &str)] = &[];

/// Why the model cannot reach `outcome`, if that is known.
pub fn why(outcome: Outcome) -> Option<&'static str> {
    let name = outcome.to_string();
    REASONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_names_a_declared_outcome() {
        for (name, _) in REASONS {
            assert!(Outcome::from_name(name).is_some(), "{name} is not declared");
        }
    }
}
