//! What each phase of a campaign exercised of the clean store: its decision outcomes and
//! conflict pairs (`CampaignReport::reach`).

use crate::report::CampaignReport;
use harness::oracle::conflicts::Conflict;
use harness::oracle::{Coverage, Decisions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one phase exercised of the clean store: the decision outcomes it took (and those it
/// never took) and the conflict pairs it set up.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseReach {
    /// `clean` (the scenarios), `generated` (the programs) or `exhaustive` (the scope).
    pub phase: String,
    /// Each decision outcome taken, with how often.
    pub decisions: Decisions,
    /// The declared decision outcomes never taken, as `point/outcome`.
    pub unreached: Vec<String>,
    /// Each conflict pair set up, with how often.
    pub conflicts: BTreeMap<Conflict, u64>,
}

impl PhaseReach {
    /// The reach of a phase that covered `coverage`.
    pub fn of(phase: &str, coverage: &Coverage) -> Self {
        Self {
            phase: phase.to_string(),
            decisions: coverage.decisions.clone(),
            unreached: (coverage.decisions.unreached())
                .map(|o| o.to_string())
                .collect(),
            conflicts: coverage.conflicts.clone(),
        }
    }
}

impl CampaignReport {
    /// The reach of each phase that ran on the clean store: the scenarios' schedules summed,
    /// the generated programs', and the exhaustive scope's.
    pub fn reaches(&self) -> Vec<PhaseReach> {
        let mut reach = Vec::new();
        if !self.coverage.is_empty() {
            let mut clean = Coverage::default();
            self.coverage.values().for_each(|c| clean.add(c));
            reach.push(PhaseReach::of("clean", &clean));
        }
        if let Some(generated) = &self.generated {
            reach.push(PhaseReach::of("generated", &generated.coverage));
        }
        if let Some(exhaustive) = (self.exhaustive.as_ref()).filter(|e| e.bugs.is_empty()) {
            reach.push(PhaseReach::of("exhaustive", &exhaustive.coverage));
        }
        reach
    }
}
