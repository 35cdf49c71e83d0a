//! Programs as short readable text: the world, the history, then one column per thread.

use super::execute::group_name;
use super::model::{
    Age, BackendKind, Chunk, ClockStep, Granularity, Op, Past, Proc, Program, Step,
};
use std::fmt::{self, Write as _};

fn age(age: Age) -> &'static str {
    match age {
        Age::Old => "old",
        Age::InsideGrace => "in grace",
        Age::Fresh => "fresh",
    }
}

fn chunks(list: &[Chunk]) -> String {
    let names: Vec<_> = list.iter().map(|c| c.name()).collect();
    format!("[{}]", names.join(" "))
}

fn past(past: &Past) -> String {
    match past {
        Past::Snapshot {
            group,
            indexes,
            age: a,
        } => {
            let indexes: Vec<_> = indexes
                .iter()
                .enumerate()
                .map(|(i, list)| format!("idx{i}{}", chunks(list)))
                .collect();
            format!(
                "{:<9}snapshot of {} {}",
                age(*a),
                group_name(*group),
                indexes.join(" ")
            )
        }
        Past::Garbage {
            chunks: list,
            age: a,
        } => {
            format!("{:<9}garbage {}", age(*a), chunks(list))
        }
        Past::Object { chunk, marker } => match marker {
            Some(a) => format!("{:<9}object {} with a local marker", age(*a), chunk.name()),
            None => format!("{:<9}object {} only in the bucket", "", chunk.name()),
        },
        Past::Corrupt { chunk, same_size } => {
            let how = if *same_size { "same size" } else { "truncated" };
            format!("{:<9}bit rot in {}'s local copy ({how})", "", chunk.name())
        }
    }
}

fn proc(proc: Proc) -> &'static str {
    match proc {
        Proc::Current => "",
        Proc::Old => " (old)",
    }
}

fn step(step: &Step) -> String {
    match step {
        Step::Upload(c) => format!("up {}", c.name()),
        Step::Reuse(c) => format!("reuse {}", c.name()),
        Step::Create(i) => format!("open idx{i}"),
        Step::Append(i, c) => format!("idx{i}+={}", c.name()),
        Step::Close(i) => format!("close idx{i}"),
    }
}

/// One operation as a line.
pub fn op(op: &Op) -> String {
    match op {
        Op::Backup {
            proc: p,
            group,
            time,
            steps,
            finish,
        } => {
            let end = if *finish { "finish" } else { "abort" };
            let steps: Vec<_> = steps.iter().map(step).chain([end.to_string()]).collect();
            format!(
                "backup{} {}@{time}: {}",
                proc(*p),
                group_name(*group),
                steps.join(", ")
            )
        }
        Op::Gc { proc: p } => format!("gc{}", proc(*p)),
        Op::Reload => "reload".to_string(),
        Op::Read { proc: p, chunk } => format!("read{} {}", proc(*p), chunk.name()),
        Op::Verify { proc: p, chunk } => format!("verify{} {}", proc(*p), chunk.name()),
        Op::Prune {
            proc: p,
            group,
            newest,
        } => {
            let which = if *newest { "newest" } else { "oldest" };
            format!("prune{} {which} of {}", proc(*p), group_name(*group))
        }
        Op::Clock(step) => match step {
            ClockStep::Zero => "clock +0".to_string(),
            ClockStep::One => "clock +1".to_string(),
            ClockStep::Margin => "clock +margin".to_string(),
            ClockStep::PastGrace => "clock +grace+1".to_string(),
        },
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.knobs;
        let backend = match k.backend {
            BackendKind::Filesystem => "filesystem".to_string(),
            BackendKind::S3 => format!(
                "S3, cache {}, delete batch {}",
                k.cache_capacity, k.delete_batch
            ),
        };
        let mutex = match k.granularity {
            Granularity::Single => "single mutex",
            Granularity::Sharded => "sharded mutex",
        };
        writeln!(
            f,
            "world: {backend}, {mutex}, grace {}, margin {}",
            k.grace, k.margin
        )?;
        writeln!(f, "history:")?;
        if self.history.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for item in &self.history {
            writeln!(f, "  {}", past(item))?;
        }
        writeln!(f, "threads:")?;
        let columns: Vec<Vec<String>> = self
            .threads
            .iter()
            .map(|ops| ops.iter().map(op).collect())
            .collect();
        let widths: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(t, ops)| {
                let head = format!("t{}", t + 1).len();
                ops.iter().map(String::len).max().unwrap_or(0).max(head)
            })
            .collect();
        let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
        let mut line = String::new();
        for row in 0..=rows {
            line.clear();
            for (t, ops) in columns.iter().enumerate() {
                let cell = match row {
                    0 => format!("t{}", t + 1),
                    _ => ops.get(row - 1).cloned().unwrap_or_default(),
                };
                let sep = if t == 0 { "  " } else { " | " };
                let _ = write!(line, "{sep}{cell:<width$}", width = widths[t]);
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
