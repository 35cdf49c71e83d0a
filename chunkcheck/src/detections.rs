//! How soon each seeded bug was caught: the trials of one bug under one checker (or over
//! generated programs), summed up as medians.

use crate::report::CampaignReport;
use crate::verdict::Hunter;
use serde::{Deserialize, Serialize};
use store::SeededBug;

/// A seeded bug under one checker (or over generated programs) across its trials.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DetectionRecord {
    /// The seeded bug.
    pub bug: SeededBug,
    /// The checker, or the generated programs.
    pub checker: Hunter,
    /// Trials run.
    pub trials: usize,
    /// Trials that caught the bug.
    pub caught: usize,
    /// Median schedules (or stress runs) to the first detection, a trial that missed
    /// counting as more than any detection; `None` when the median trial missed.
    pub median_schedules: Option<u64>,
    /// Generated programs: median programs to the first detection, likewise.
    pub median_programs: Option<u64>,
    /// Median wall time of the trials (a miss counts with the time it spent), seconds.
    pub median_wall_secs: f64,
}

impl DetectionRecord {
    /// Whether the bug is caught more often than not: what counts as keeping the power
    /// to see it (a checker whose median trial misses has lost it).
    pub fn holds(&self) -> bool {
        2 * self.caught > self.trials
    }
}

/// The median of `values` (the upper one of an even count), `None` when empty.
fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len() / 2).copied()
}

/// One trial as [`DetectionRecord`] counts it: `None` schedules for a miss.
struct Trial {
    schedules: Option<u64>,
    programs: Option<u64>,
    wall_secs: f64,
}

fn detection(bug: SeededBug, checker: Hunter, trials: &[Trial]) -> DetectionRecord {
    // A miss sorts after every detection: `Some(n)` orders below `None` once flipped.
    let rank = |v: Option<u64>| v.map_or((1, 0), |n| (0, n));
    let median_of = |pick: fn(&Trial) -> Option<u64>| {
        median(trials.iter().map(|t| rank(pick(t))).collect())
            .and_then(|(missed, n)| (missed == 0).then_some(n))
    };
    DetectionRecord {
        bug,
        checker,
        trials: trials.len(),
        caught: trials.iter().filter(|t| t.schedules.is_some()).count(),
        median_schedules: median_of(|t| t.schedules),
        median_programs: median_of(|t| t.programs),
        median_wall_secs: median(trials.iter().map(|t| t.wall_secs).collect()).unwrap_or(0.0),
    }
}

impl CampaignReport {
    /// The seeded items and the generated-seeded items grouped per bug and checker, in
    /// plan order, with their trials' medians.
    pub fn detections(&self) -> Vec<DetectionRecord> {
        let mut groups: Vec<(SeededBug, Hunter, Vec<Trial>)> = Vec::new();
        let mut add = |bug: SeededBug, checker: Hunter, trial: Trial| match groups
            .iter_mut()
            .find(|(b, c, _)| *b == bug && *c == checker)
        {
            Some((_, _, trials)) => trials.push(trial),
            None => groups.push((bug, checker, vec![trial])),
        };
        for i in &self.seeded {
            let trial = Trial {
                schedules: i.caught.then_some(i.schedules),
                programs: None,
                wall_secs: i.wall_secs,
            };
            add(i.bug, Hunter::Checker(i.checker), trial);
        }
        for i in &self.generated_seeded {
            let trial = Trial {
                schedules: i.caught.then_some(i.schedules),
                programs: i.caught.then_some(i.programs),
                wall_secs: i.wall_secs,
            };
            add(i.bug, Hunter::Generated, trial);
        }
        groups
            .iter()
            .map(|(bug, checker, trials)| detection(*bug, *checker, trials))
            .collect()
    }
}
