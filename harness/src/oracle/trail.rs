//! The recent event trail, printed with every violation.

use super::describe::Recorded;
use std::collections::VecDeque;

/// The last `capacity` events, described in plain words when rendered.
pub struct Trail {
    events: VecDeque<Recorded>,
    capacity: usize,
    seen: u64,
}

impl Trail {
    /// A trail keeping the last `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::with_capacity(capacity),
            capacity,
            seen: 0,
        }
    }

    /// Records one event.
    #[inline]
    pub fn push(&mut self, event: Recorded) {
        self.seen += 1;
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// The trail as numbered lines, oldest first.
    pub fn render(&self) -> String {
        let first = self.seen - self.events.len() as u64 + 1;
        let mut out = String::new();
        for (i, event) in self.events.iter().enumerate() {
            out.push_str(&format!(
                "  #{:<4} {}\n",
                first + i as u64,
                event.describe()
            ));
        }
        out
    }
}
