//! What a run exercised: how often it reached the states where a precondition is at risk,
//! which of the store's decision outcomes it took, and which conflict pairs it set up.

use super::conflicts::Conflict;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use store::Outcome;

/// How often the dangerous states were reached, which decisions were taken and which
/// conflicts were set up: one execution's counts, or a run's sum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Events observed.
    pub events: u64,
    /// `remove` calls checked.
    pub removes: u64,
    /// Removes while a writer of any process was active (P3/P4 at risk).
    pub removes_with_active_writer: u64,
    /// Removes while some visible index existed (P2 at risk).
    pub removes_with_visible_index: u64,
    /// Removes by a GC during which a writer started.
    pub removes_writer_started_during_gc: u64,
    /// Removes by a GC during which a reload happened.
    pub removes_reload_during_gc: u64,
    /// Bucket objects deleted.
    pub objects_deleted: u64,
    /// GCs that completed.
    pub gcs_completed: u64,
    /// GCs that aborted or failed.
    pub gcs_aborted: u64,
    /// How often each of the store's decision outcomes was taken.
    #[serde(default)]
    pub decisions: Decisions,
    /// How often each conflict pair was closed.
    #[serde(default)]
    pub conflicts: BTreeMap<Conflict, u64>,
}

impl Coverage {
    /// Adds another run's counts to these.
    pub fn add(&mut self, other: &Coverage) {
        self.events += other.events;
        self.removes += other.removes;
        self.removes_with_active_writer += other.removes_with_active_writer;
        self.removes_with_visible_index += other.removes_with_visible_index;
        self.removes_writer_started_during_gc += other.removes_writer_started_during_gc;
        self.removes_reload_during_gc += other.removes_reload_during_gc;
        self.objects_deleted += other.objects_deleted;
        self.gcs_completed += other.gcs_completed;
        self.gcs_aborted += other.gcs_aborted;
        self.decisions.add(&other.decisions);
        for (conflict, n) in &other.conflicts {
            *self.conflicts.entry(*conflict).or_default() += n;
        }
    }
}

/// How often each declared decision outcome ([`store::decision::OUTCOMES`]) was taken.
/// Written as a map from `point/outcome` to its count, listing only those taken.
#[derive(Clone, PartialEq, Eq)]
pub struct Decisions(Vec<u64>);

impl Default for Decisions {
    fn default() -> Self {
        Self(vec![0; Outcome::COUNT])
    }
}

impl Decisions {
    /// Counts one taking of `outcome`.
    #[inline]
    pub fn record(&mut self, outcome: Outcome) {
        self.0[outcome.index()] += 1;
    }

    /// How often `outcome` was taken.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.0[outcome.index()]
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &Decisions) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine += theirs;
        }
    }

    /// The outcomes taken, with their counts, in declaration order.
    pub fn reached(&self) -> impl Iterator<Item = (Outcome, u64)> + '_ {
        Outcome::all()
            .map(|o| (o, self.count(o)))
            .filter(|(_, n)| *n > 0)
    }

    /// The declared outcomes never taken, in declaration order.
    pub fn unreached(&self) -> impl Iterator<Item = Outcome> + '_ {
        Outcome::all().filter(|o| self.count(*o) == 0)
    }
}

impl fmt::Debug for Decisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reached = self.reached().map(|(o, n)| (o.to_string(), n));
        f.debug_map().entries(reached).finish()
    }
}

impl Serialize for Decisions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (outcome, n) in self.reached() {
            map.serialize_entry(&outcome.to_string(), &n)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Decisions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counts;
        impl<'de> Visitor<'de> for Counts {
            type Value = Decisions;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from decision outcome (point/outcome) to count")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decisions, A::Error> {
                let mut decisions = Decisions::default();
                while let Some((name, n)) = map.next_entry::<String, u64>()? {
                    let outcome = Outcome::from_name(&name).ok_or_else(|| {
                        serde::de::Error::custom(format!("no decision outcome {name:?}"))
                    })?;
                    decisions.0[outcome.index()] = n;
                }
                Ok(decisions)
            }
        }
        deserializer.deserialize_map(Counts)
    }
}
