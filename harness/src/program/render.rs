//! Programs as short readable text: the world, the history, then one column per thread.

use super::model::group_name;
use super::model::{Age, BackendKind, Chunk, Expect, Granularity, Past, PlannedFault, Program};
use super::ops::Op;
use std::fmt::{self, Write as _};

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Age::Ancient => "ancient",
            Age::Old => "old",
            Age::InsideGrace => "in grace",
            Age::Fresh => "fresh",
        })
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
                *a,
                group_name(*group),
                indexes.join(" ")
            )
        }
        Past::Garbage {
            chunks: list,
            age: a,
        } => {
            format!("{:<9}garbage {}", *a, chunks(list))
        }
        Past::Object { chunk, marker } => match marker {
            Some(a) => format!("{:<9}object {} with a local marker", *a, chunk.name()),
            None => format!("{:<9}object {} only in the bucket", "", chunk.name()),
        },
        Past::Corrupt { chunk, same_size } => {
            let how = if *same_size { "same size" } else { "truncated" };
            format!("{:<9}bit rot in {}'s local copy ({how})", "", chunk.name())
        }
        Past::LostLocal { chunk } => format!("{:<9}{}'s local file lost", "", chunk.name()),
        Past::Reload => format!("{:<9}reload", ""),
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
        for expect in &self.expect {
            writeln!(f, "expect: {}", expect)?;
        }
        writeln!(f, "threads:")?;
        let columns: Vec<Vec<String>> = self
            .threads
            .iter()
            .map(|ops| ops.iter().map(Op::render).collect())
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
        for planned in &self.faults {
            writeln!(f, "fault: {planned}")?;
        }
        Ok(())
    }
}

impl fmt::Display for PlannedFault {
    /// `t2 from storage op 3: lost object`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, op, fault) = (self.thread + 1, self.op, self.fault);
        write!(f, "t{t} from storage op {op}: {fault}")
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Intact(chunk) => write!(f, "{} intact at the end", chunk.name()),
            Expect::CachedWithContent(chunk) => {
                write!(f, "{} cached only with its content", chunk.name())
            }
        }
    }
}
