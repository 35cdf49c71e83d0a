//! Which operations of a program overlapped in time, per pair of kinds: coverage of the
//! mixes the generated phase actually reached.

use super::ops::OpKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use store::ProcessId;

/// One operation's run: between two ticks of its execution's logical clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The program thread.
    pub thread: usize,
    /// The operation's kind.
    pub kind: OpKind,
    /// The process it ran in, when it names one.
    pub process: Option<ProcessId>,
    /// Tick at its start.
    pub begin: u64,
    /// Tick at its end.
    pub end: u64,
}

/// Two kinds of operation that ran at the same time, in the same process or in two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pair {
    /// The first kind (the smaller one).
    pub a: OpKind,
    /// The second kind.
    pub b: OpKind,
    /// Whether both ran in one process (always, when either names none: a clock step or
    /// a reload belongs to every process).
    pub same_process: bool,
}

/// The spans of one execution. Ticks come from a std atomic: no scheduling point, and the
/// schedule alone decides their order.
#[derive(Default)]
pub struct Trace {
    clock: AtomicU64,
    spans: Mutex<Vec<Span>>,
}

impl Trace {
    /// The next tick.
    pub fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    /// Records a finished operation.
    pub fn record(&self, span: Span) {
        self.spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(span);
    }

    /// The pairs of kinds whose operations overlapped, in different threads.
    pub fn overlaps(&self) -> BTreeSet<Pair> {
        let spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        let mut pairs = BTreeSet::new();
        for (i, x) in spans.iter().enumerate() {
            for y in &spans[i + 1..] {
                if x.thread != y.thread && x.begin < y.end && y.begin < x.end {
                    pairs.insert(Pair::of(x, y));
                }
            }
        }
        pairs
    }
}

impl Pair {
    fn of(x: &Span, y: &Span) -> Self {
        let (a, b) = match x.kind <= y.kind {
            true => (x.kind, y.kind),
            false => (y.kind, x.kind),
        };
        let same_process = match (x.process, y.process) {
            (Some(p), Some(q)) => p == q,
            _ => true,
        };
        Self { a, b, same_process }
    }

    /// Every pair a program can reach: each unordered pair of kinds, in one process and
    /// across two (clock steps and reloads only "in one"; a program reloads at most once,
    /// so never two reloads).
    pub fn all() -> Vec<Pair> {
        let mut all = Vec::new();
        for (i, &a) in OpKind::ALL.iter().enumerate() {
            for &b in &OpKind::ALL[i..] {
                if a == OpKind::Reload && b == OpKind::Reload {
                    continue;
                }
                all.push(Pair {
                    a,
                    b,
                    same_process: true,
                });
                let processless = |k| matches!(k, OpKind::Clock | OpKind::Reload);
                if !processless(a) && !processless(b) {
                    all.push(Pair {
                        a,
                        b,
                        same_process: false,
                    });
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(thread: usize, kind: OpKind, process: u32, begin: u64, end: u64) -> Span {
        Span {
            thread,
            kind,
            process: Some(ProcessId(process)),
            begin,
            end,
        }
    }

    #[test]
    fn only_spans_of_different_threads_that_share_time_overlap() {
        let trace = Trace::default();
        trace.record(span(0, OpKind::Gc, 1, 0, 5));
        trace.record(span(1, OpKind::Backup, 2, 3, 8));
        trace.record(span(1, OpKind::Read, 1, 8, 9));
        trace.record(span(0, OpKind::Verify, 1, 5, 6));
        let pairs = trace.overlaps();
        let gc_backup = Pair {
            a: OpKind::Backup,
            b: OpKind::Gc,
            same_process: false,
        };
        assert!(pairs.contains(&gc_backup), "{pairs:?}");
        assert!(
            pairs
                .iter()
                .any(|p| p.a == OpKind::Backup && p.b == OpKind::Verify),
            "{pairs:?}"
        );
        assert_eq!(
            pairs.len(),
            2,
            "touching ends and one thread's ops do not overlap"
        );
    }
}
