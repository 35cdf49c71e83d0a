//! A backup session: chunks uploaded, re-used or known from the previous snapshot, one or
//! two indexes over them, finished or aborted; started by its thread, or begun by the
//! history and continued by its thread.

use super::{proc_suffix, Draw, Operation, Space};
use crate::program::execute::{settle, Run, HISTORY};
use crate::program::model::group_name;
use crate::program::model::{Age, Chunk, Proc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{BackupWriter, Platform, Process};

/// A backup session of group `group` at backup time `time`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Backup {
    /// Its process.
    pub proc: Proc,
    /// Group number.
    pub group: u8,
    /// Backup time (refused unless newer than the group's last snapshot).
    pub time: i64,
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// Finish, or drop the session (abort).
    pub finish: bool,
    /// Begun by the history: the session starts (and runs these steps) before the
    /// threads, and its thread continues it. Generated programs start every session in
    /// its thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begun: Option<Begun>,
}

/// The part of a backup session the history runs: the session starts `age` before the
/// threads (in its process, on the main thread) and runs `steps`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Begun {
    /// When the session started.
    pub age: Age,
    /// The steps run before the threads start.
    pub steps: Vec<Step>,
}

/// A step of a backup session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step {
    /// Upload a chunk (new, or already present: the store touches it).
    Upload(Chunk),
    /// Re-use a chunk if present (pull path); upload it if not.
    Reuse(Chunk),
    /// Create index `i`.
    Create(u8),
    /// Append a chunk to index `i` (refused if the session does not know the chunk).
    Append(u8, Chunk),
    /// Close (publish) index `i`.
    Close(u8),
}

impl Backup {
    /// A backup of group `group` at backup time `time` in the current process, started by
    /// its thread, running `steps` and finishing.
    pub fn finished(group: u8, time: i64, steps: Vec<Step>) -> Self {
        Backup {
            proc: Proc::Current,
            group,
            time,
            steps,
            finish: true,
            begun: None,
        }
    }
}

impl Operation for Backup {
    const NAME: &'static str = "backup";
    const WEIGHT: u64 = 5;

    fn proc(&self) -> Option<Proc> {
        Some(self.proc)
    }

    fn in_proc(&self, proc: Proc) -> Option<Self> {
        Some(Self {
            proc,
            ..self.clone()
        })
    }

    fn size(&self) -> usize {
        let begun = self.begun.as_ref().map_or(0, |b| b.steps.len());
        1 + begun + self.steps.len()
    }

    fn draw(draw: &mut Draw<'_>) -> Self {
        let group = draw.group();
        let last = draw.last_time(group);
        // Mostly newer than the group's last snapshot; sometimes the same time (refused).
        let time = match draw.rng.chance(10) && last > 0 {
            true => last,
            false => last + draw.rng.range(1, 2) as i64,
        };
        let mut steps = Vec::new();
        let chunks: Vec<Chunk> = (0..draw.rng.range(1, 3)).map(|_| draw.chunk()).collect();
        for &chunk in &chunks {
            match draw.rng.weighted(&[(6, 0), (3, 1), (2, 2)]) {
                0 => steps.push(Step::Upload(chunk)),
                1 => steps.push(Step::Reuse(chunk)),
                // Known from the previous snapshot, or refused at append.
                _ => {}
            }
        }
        for index in 0..draw.rng.range(1, 2) as u8 {
            steps.push(Step::Create(index));
            for &chunk in &chunks {
                if draw.rng.chance(85) {
                    steps.push(Step::Append(index, chunk));
                }
            }
            if draw.rng.chance(95) {
                steps.push(Step::Close(index));
            }
        }
        draw.backed_up(group, time);
        Backup {
            proc: draw.proc(),
            group,
            time,
            steps,
            finish: draw.rng.chance(85),
            begun: None,
        }
    }

    /// One chunk uploaded (or re-used) into one index, finished; or uploaded and aborted;
    /// in each group.
    fn every(space: &Space) -> Vec<Self> {
        let mut every = Vec::new();
        for (&proc, &group) in space.procs.iter().flat_map(|p| space.session_groups.iter().map(move |g| (p, g))) {
            for &chunk in &space.chunks {
                for (reuse, finish) in [(false, true), (true, true), (false, false)] {
                    let first = match reuse {
                        true => Step::Reuse(chunk),
                        false => Step::Upload(chunk),
                    };
                    let steps = vec![first, Step::Create(0), Step::Append(0, chunk), Step::Close(0)];
                    every.push(Backup {
                        proc,
                        group,
                        time: 0,
                        steps,
                        finish,
                        begun: None,
                    });
                }
            }
        }
        every
    }

    fn timed(&self, time: i64) -> Option<Self> {
        Some(Self {
            time,
            ..self.clone()
        })
    }

    /// Begun just before the threads start, with none of its steps run yet.
    fn begun_by_history(&self) -> Option<Self> {
        Some(Self {
            begun: Some(Begun {
                age: Age::Fresh,
                steps: Vec::new(),
            }),
            ..self.clone()
        })
    }

    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let writer = match self.begun {
            Some(_) => Some(run.resume(thread, self)),
            None => {
                let process = run.acting(self.proc);
                let start = process.start_backup(&group_name(self.group), self.time);
                settle(thread, "backup start", start)
            }
        };
        if let Some(mut writer) = writer {
            for step in &self.steps {
                step.run(&mut writer, thread);
            }
            if self.finish {
                settle(thread, "backup finish", writer.finish());
            }
        }
    }

    fn render(&self) -> String {
        let end = if self.finish { "finish" } else { "abort" };
        let steps: Vec<_> = (self.steps.iter().map(Step::render))
            .chain([end.to_string()])
            .collect();
        let begun = match &self.begun {
            None => String::new(),
            Some(begun) => {
                let steps: Vec<_> = begun.steps.iter().map(Step::render).collect();
                format!(" begun {} [{}]", begun.age, steps.join(", "))
            }
        };
        format!(
            "backup{} {}@{}{begun}: {}",
            proc_suffix(self.proc),
            group_name(self.group),
            self.time,
            steps.join(", ")
        )
    }

    fn as_backup(&self) -> Option<Backup> {
        Some(self.clone())
    }

    /// Each step dropped in turn (those the history runs too).
    fn smaller(&self) -> Vec<Self> {
        let mut out: Vec<Self> = (0..self.steps.len())
            .map(|s| {
                let mut smaller = self.clone();
                smaller.steps.remove(s);
                smaller
            })
            .collect();
        let begun_steps = self.begun.as_ref().map_or(0, |b| b.steps.len());
        for s in 0..begun_steps {
            let mut smaller = self.clone();
            if let Some(begun) = &mut smaller.begun {
                begun.steps.remove(s);
            }
            out.push(smaller);
        }
        out
    }
}

impl Begun {
    /// Starts the session of `backup` in `process` and runs the history's steps (on the
    /// main thread, as the history is written).
    ///
    /// # Panics
    /// When the session cannot start, or a step fails in a way the store does not document.
    pub(crate) fn begin<P: Platform>(
        &self,
        backup: &Backup,
        process: &Arc<Process<P>>,
    ) -> BackupWriter<P> {
        let mut writer = process
            .start_backup(&group_name(backup.group), backup.time)
            .unwrap_or_else(|err| panic!("history: a begun backup starts: {err:#}"));
        for step in &self.steps {
            step.run(&mut writer, HISTORY);
        }
        writer
    }
}

fn index_name(index: u8) -> String {
    format!("idx{index}")
}

impl Step {
    fn run<P: Platform>(&self, writer: &mut BackupWriter<P>, thread: usize) {
        match *self {
            Step::Upload(chunk) => {
                let uploaded = writer.upload(chunk.digest(), chunk.data());
                settle(thread, "upload", uploaded);
            }
            Step::Reuse(chunk) => {
                let reused = settle(thread, "reuse", writer.reuse_chunk(chunk.digest()));
                if reused == Some(false) {
                    let uploaded = writer.upload(chunk.digest(), chunk.data());
                    settle(thread, "upload", uploaded);
                }
            }
            Step::Create(index) => {
                let created = writer.create_index(&index_name(index));
                settle(thread, "create index", created);
            }
            Step::Append(index, chunk) => {
                let appended = writer.append(&index_name(index), chunk.digest());
                settle(thread, "append", appended);
            }
            Step::Close(index) => {
                let closed = writer.close_index(&index_name(index));
                settle(thread, "close index", closed);
            }
        }
    }

    fn render(&self) -> String {
        match self {
            Step::Upload(c) => format!("up {}", c.name()),
            Step::Reuse(c) => format!("reuse {}", c.name()),
            Step::Create(i) => format!("open idx{i}"),
            Step::Append(i, c) => format!("idx{i}+={}", c.name()),
            Step::Close(i) => format!("close idx{i}"),
        }
    }
}
