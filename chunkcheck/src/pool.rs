//! Runs a phase's work items on several threads (`--jobs`) and hands their results back in
//! plan order, so a report does not depend on which thread finished first.
//!
//! Each checker keeps its execution state per OS thread (shuttle and loom run a whole
//! execution on the thread that calls them), so independent items run side by side safely.

use crate::feed::fed;

/// Runs `work` on each of `items` with up to `jobs` threads. `done` sees every result on the
/// calling thread as soon as it arrives (for progress lines). Returns the results in the
/// order of `items`.
///
/// # Panics
/// When `work` panics: no further item starts, and the panic propagates once the other
/// threads have stopped.
pub fn map<T, R>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(&T, &R),
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    let jobs = jobs.min(items.len());
    fed(
        jobs,
        |item: &&T| work(item),
        |feed| {
            items
                .iter()
                .enumerate()
                .for_each(|(at, item)| feed.submit(at, item));
            while let Some((at, item, result)) = feed.next() {
                done(item, &result);
                results[at] = Some(result);
            }
        },
    );
    results
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_the_threads() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [0, 1, 2, 7, 500] {
            let mut seen = 0;
            let out = map(&items, jobs, |x| x * x, |_, _| seen += 1);
            assert_eq!(seen, items.len(), "done sees every result ({jobs} jobs)");
            let want: Vec<u64> = items.iter().map(|x| x * x).collect();
            assert_eq!(out, want, "{jobs} jobs");
        }
        assert!(map(&Vec::<u8>::new(), 2, |x| *x, |_, _| {}).is_empty());
    }

    #[test]
    fn a_panicking_item_fails_the_whole_map() {
        let items = [1, 2, 3];
        let outcome = std::panic::catch_unwind(|| {
            map(
                &items,
                2,
                |x| assert_ne!(*x, 2, "item two fails"),
                |_, _| {},
            )
        });
        assert!(outcome.is_err());
    }
}
