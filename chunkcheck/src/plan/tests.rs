//! Tests of the plan: its items, their order and positions, and the shards.

use super::*;
use crate::work::Split;
use std::collections::BTreeSet;

fn spec(schedules: usize, batch_schedules: usize) -> PlanSpec {
    PlanSpec {
        scenarios: vec!["a", "b", "c"],
        races: vec![
            SeededRace {
                bug: SeededBug::InsertSkipsTouch,
                scenario: "a",
                expect: &[],
                deadlock: false,
            },
            SeededRace {
                bug: SeededBug::TouchWithoutMutex,
                scenario: "c",
                expect: &[],
                deadlock: true,
            },
        ],
        checkers: vec![Checker::Loom, Checker::Random, Checker::Pct],
        phases: Phases::All,
        schedules,
        batch_schedules,
        seed: 100,
        programs: 120,
        program_seed: 0,
        program_schedules: 10,
        detection_seeds: 1,
        weights: Weights::DEFAULT,
        search: Search::Guided,
        faults: 0,
        scope: harness::program::Scope::default(),
    }
}

#[test]
fn batches_cover_the_budget_once_with_consecutive_seeds() {
    let cut = batches(2_500, 1_000, 7);
    let sizes: Vec<_> = cut.iter().map(|c| c.schedules).collect();
    assert_eq!(sizes, [1_000, 1_000, 500], "last batch holds the remainder");
    let seeds: Vec<_> = cut.iter().map(|c| c.seed).collect();
    assert_eq!(seeds, [7, 8, 9], "batch i runs from seed + i");
    assert_eq!(
        batches(3_000, 1_000, 0).len(),
        3,
        "exact multiple: no empty batch"
    );
    assert!(batches(0, 1_000, 0).is_empty(), "no schedules, no batch");
    assert_eq!(
        batches(5, 0, u64::MAX)[0].seed,
        u64::MAX,
        "size 0 is read as 1"
    );
    assert_eq!(batches(5, 0, u64::MAX)[1].seed, 0, "seeds wrap around");
}

#[test]
fn plan_has_one_item_per_scenario_checker_batch_and_race_checker() {
    let items: Vec<_> = spec(5_000, 1_000)
        .items()
        .into_iter()
        .filter(|i| matches!(i.work, Work::Clean(_) | Work::Seeded(_)))
        .collect();
    // 3 scenarios × (1 loom + 5 random + 5 pct) + 2 races × 4 checkers (the stress
    // baseline added).
    assert_eq!(items.len(), 3 * 11 + 2 * 4);
    let keys: BTreeSet<_> = items.iter().map(WorkItem::key).collect();
    assert_eq!(keys.len(), items.len(), "keys are unique");
    assert!(keys.contains("clean/b/shuttle-pct/4"));
    assert!(keys.contains("clean/c/loom"));
    assert!(keys.contains("seeded/touch-without-mutex/shuttle-random/0"));
    assert!(keys.contains("seeded/touch-without-mutex/stress/0"));
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item.position, i, "positions number the plan");
    }
    let seeded = items
        .iter()
        .find_map(|i| match &i.work {
            Work::Seeded(run) if i.key() == "seeded/insert-skips-touch/shuttle-pct/0" => Some(run),
            _ => None,
        })
        .expect("seeded item planned");
    assert_eq!(
        seeded.batches.len(),
        5,
        "a seeded item runs every batch until caught"
    );
    assert_eq!(seeded.scenario, "a");
}

#[test]
fn generated_items_cover_every_program_once_then_each_race() {
    let mut s = spec(1_000, 1_000);
    s.phases = Phases::Generated;
    let items = s.items();
    let ranges: Vec<_> = items
        .iter()
        .filter_map(|i| match i.work {
            Work::Generated(Programs { first, count }) => Some((first, count)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ranges,
        [(0, 50), (50, 50), (100, 20)],
        "120 programs in items of 50"
    );
    let seeded: Vec<_> = items.iter().skip(3).map(WorkItem::key).collect();
    assert_eq!(
        seeded,
        [
            "generated-seeded/insert-skips-touch/0",
            "generated-seeded/touch-without-mutex/0"
        ]
    );
}

#[test]
fn detection_trials_run_disjoint_seeds_and_loom_once() {
    let mut s = spec(2_500, 1_000);
    s.detection_seeds = 3;
    let items = s.items();
    let trials = |bug: &str, checker: &str| {
        items
            .iter()
            .filter(|i| i.key().starts_with(&format!("seeded/{bug}/{checker}/")))
            .count()
    };
    assert_eq!(
        trials("insert-skips-touch", "loom"),
        1,
        "loom is deterministic"
    );
    assert_eq!(trials("insert-skips-touch", "shuttle-pct"), 3);
    assert_eq!(trials("touch-without-mutex", "stress"), 3);
    let mut seeds = BTreeSet::new();
    let pct_trials = Split::of(items.clone()).seeded.into_iter().filter(|i| {
        i.key()
            .starts_with("seeded/insert-skips-touch/shuttle-pct/")
    });
    for item in pct_trials {
        for batch in &item.work.batches {
            assert!(
                seeds.insert(batch.seed),
                "seed {} in two trials",
                batch.seed
            );
        }
    }
    assert_eq!(seeds.len(), 3 * 3, "three trials of three batches");
    let generated = items
        .iter()
        .filter(|i| matches!(i.work, Work::GeneratedSeeded(_)))
        .count();
    assert_eq!(generated, 2 * 3, "each race, each trial");
    assert_eq!(s.trial_program_seed(0), s.program_seed);
    assert_eq!(s.trial_program_seed(2), s.program_seed + 2 * 120);
}

#[test]
fn phases_select_items() {
    let mut s = spec(2_000, 1_000);
    s.phases = Phases::Clean;
    assert!(s.items().iter().all(|i| matches!(i.work, Work::Clean(_))));
    s.phases = Phases::Seeded;
    let seeded = s.items();
    assert_eq!(seeded.len(), 8);
    assert!(seeded.iter().all(|i| matches!(i.work, Work::Seeded(_))));
    assert_eq!(
        seeded[0].position, 0,
        "positions restart in a seeded-only plan"
    );
}

#[test]
fn under_faults_the_default_phases_are_those_faults_take_part_in() {
    assert_eq!(Phases::default_for(0), Phases::All);
    assert_eq!(Phases::default_for(2), Phases::Faulted);
    let mut s = spec(2_000, 1_000);
    s.faults = 1;
    s.phases = Phases::default_for(s.faults);
    let items = s.items();
    assert!(items.iter().any(|i| matches!(i.work, Work::Clean(_))));
    assert!(items.iter().any(|i| matches!(i.work, Work::Generated(_))));
    assert!(items.iter().all(|i| !matches!(i.work, Work::Seeded(_))));
    assert!(!s.phases.exhaustive() && !s.phases.seeded());
}

/// Under a guided search the generated phase lands whole in one shard; the other
/// items are spread as ever.
#[test]
fn a_guided_generated_phase_stays_in_one_shard() {
    let s = spec(5_000, 1_000);
    assert_eq!(s.search, Search::Guided);
    let generated = |i: &WorkItem| matches!(i.work, Work::Generated(_) | Work::GeneratedSeeded(_));
    let all = s.items().iter().filter(|i| generated(i)).count();
    assert!(all > 1);
    let count = 3;
    let holding: Vec<usize> = (1..=count)
        .map(|index| {
            s.shard(Shard { index, count })
                .iter()
                .filter(|i| generated(i))
                .count()
        })
        .collect();
    assert_eq!(holding.iter().filter(|n| **n > 0).count(), 1, "{holding:?}");
    assert_eq!(holding.iter().sum::<usize>(), all);
}

#[test]
fn shards_are_disjoint_and_their_union_is_the_plan() {
    for (schedules, batch) in [(5_000, 1_000), (2_500, 1_000), (10, 3)] {
        let s = PlanSpec {
            search: Search::Random,
            ..spec(schedules, batch)
        };
        let whole: Vec<_> = s.items().iter().map(WorkItem::key).collect();
        assert_eq!(
            s.shard(Shard::WHOLE)
                .iter()
                .map(WorkItem::key)
                .collect::<Vec<_>>(),
            whole,
            "shard 1/1 is the plan"
        );
        for count in 1..=7 {
            let mut union = BTreeSet::new();
            let mut total = 0;
            for index in 1..=count {
                let part = s.shard(Shard { index, count });
                total += part.len();
                for item in &part {
                    assert!(
                        union.insert(item.key()),
                        "{} is in two shards of {count}",
                        item.key()
                    );
                }
                let sizes = whole.len() / count;
                assert!(
                    part.len() == sizes || part.len() == sizes + 1,
                    "shard {index}/{count} is balanced: {} items of {}",
                    part.len(),
                    whole.len()
                );
            }
            assert_eq!(total, whole.len());
            assert_eq!(union, whole.iter().cloned().collect::<BTreeSet<_>>());
        }
    }
}
