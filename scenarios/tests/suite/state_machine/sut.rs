//! The system under test: a datastore on model storage with the oracle as its observer; each
//! transition is applied to it and checked against the model's expectation, and after every
//! step the invariants compare the store with the model.

use super::alphabet::{
    chunk_data, chunk_len, digest, index_name, CACHE_CAPACITY, GRACE, GROUPS, MARGIN, POOL, START,
};
use super::coverage::{tally, tally_transition};
use super::model::{Expect, ModelState, Refusal};
use super::transitions::{Flavor, Model, Transition};
use harness::oracle::{CutoffRule, Oracle, OracleOptions};
use proptest_state_machine::StateMachineTest;
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;
use store::storage::ChunkStat;
use store::{
    Backend, BackupWriter, Clock, Datastore, Digest, Observer, Process, SnapshotId, Std, Storage,
    StoreConfig, StoreError,
};

/// The store under test: a datastore, its oracle, its processes and its sessions.
pub(crate) struct Sut {
    ds: Arc<Datastore<Std>>,
    oracle: Arc<Oracle>,
    /// Every process started, oldest first; the last is the current one.
    processes: Vec<Arc<Process<Std>>>,
    writers: Vec<Option<BackupWriter<Std>>>,
}

impl Sut {
    fn current(&self) -> &Arc<Process<Std>> {
        self.processes.last().expect("a process runs")
    }

    fn previous(&self) -> &Arc<Process<Std>> {
        &self.processes[self.processes.len() - 2]
    }

    fn writer(&mut self, slot: usize) -> &mut BackupWriter<Std> {
        self.writers[slot]
            .as_mut()
            .expect("the model has this session")
    }

    /// Safety half: the chunk exists where chunks live, with its content. A loss is also
    /// recorded as data ([`data_lost`]) before the assertion fails.
    fn assert_exists(&self, backend: Backend, c: usize, why: &str) {
        let storage = self.ds.storage();
        let d = digest(c);
        let content = match backend {
            Backend::Filesystem => storage.chunks.read(&d).expect("read chunk file"),
            Backend::S3 => storage.bucket.get(&d).expect("get bucket object"),
        };
        if content.as_deref() != Some(&chunk_data(c)[..]) {
            DATA_LOST.with(|lost| lost.set(true));
        }
        assert_eq!(
            content,
            Some(chunk_data(c)),
            "chunk {c} ({d}), {why}, is gone or damaged ({backend:?})"
        );
    }
}

thread_local! {
    static DATA_LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a chunk the model says must survive was found gone or damaged since the last
/// call (which resets it).
pub(crate) fn data_lost() -> bool {
    DATA_LOST.with(|lost| lost.replace(false))
}

/// The state machine test of backend `F`: the store follows [`Model<F>`].
pub(crate) struct StoreTest<F>(PhantomData<F>);

impl<F: Flavor> StateMachineTest for StoreTest<F> {
    type SystemUnderTest = Sut;
    type Reference = Model<F>;

    fn init_test(model: &ModelState) -> Sut {
        let config = StoreConfig::new(model.backend)
            .with_cutoff(GRACE, MARGIN)
            .with_cache_capacity(CACHE_CAPACITY)
            .with_bugs(model.bugs);
        let storage = Storage::model::<Std>();
        let cutoff = CutoffRule {
            grace: GRACE,
            margin: MARGIN,
        };
        let options = OracleOptions::new(model.backend).cutoff(cutoff);
        let oracle = Oracle::with_options(&storage, options);
        let observer: Arc<dyn Observer> = oracle.clone();
        let ds = Datastore::new(config, storage, Clock::manual(START), observer);
        let process = ds.start_process();
        Sut {
            ds,
            oracle,
            processes: vec![process],
            writers: (0..GROUPS.len()).map(|_| None).collect(),
        }
    }

    fn apply(mut sut: Sut, model: &ModelState, transition: Transition) -> Sut {
        let exact = model.exact();
        let refused = |expect: &Expect| match expect {
            Expect::Refused(r) => Some(*r),
            _ => None,
        };
        if let Some(slot) = transition.slot() {
            if sut.writers[slot].is_none() {
                // The model agrees (checked by the invariants): a no-op left by shrinking.
                return sut;
            }
        }
        let old_alive = sut.processes.len() > 1;
        match transition {
            Transition::StartBackup { group, old_process } => {
                let process = if old_process && old_alive {
                    sut.previous().clone()
                } else {
                    sut.current().clone()
                };
                let time = model.writers[group]
                    .as_ref()
                    .map_or(model.next_time, |w| w.time);
                let result = process.start_backup(GROUPS[group], time);
                match (refused(&model.expect), result) {
                    (None, Ok(writer)) => sut.writers[group] = Some(writer),
                    (Some(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "start of {} refused with {err:#}, model expected {r:?}",
                        GROUPS[group]
                    ),
                    (None, Err(err)) => panic!("start of {} failed: {err:#}", GROUPS[group]),
                    (Some(r), Ok(_)) => {
                        panic!("start of {} succeeded, model expected {r:?}", GROUPS[group])
                    }
                }
            }
            Transition::Upload { slot, chunk } => {
                let d = sut
                    .writer(slot)
                    .upload_chunk(&chunk_data(chunk))
                    .expect("upload");
                assert_eq!(d, digest(chunk));
            }
            Transition::Reuse { slot, chunk } => {
                let w = sut.writer(slot);
                let present = w.reuse_chunk(digest(chunk)).expect("re-use");
                if !present {
                    w.upload_chunk(&chunk_data(chunk))
                        .expect("upload after re-use");
                }
                if let (Expect::Reused(expected), true) = (&model.expect, exact) {
                    assert_eq!(present, *expected, "re-use of chunk {chunk}: present?");
                }
            }
            Transition::AppendAndClose { slot, .. } => {
                let Expect::Publish { name, chunks } = &model.expect else {
                    unreachable!("publish without expectation")
                };
                let w = sut.writer(slot);
                w.create_index(name).expect("create index");
                for c in chunks {
                    w.append(name, digest(*c)).expect("append known chunk");
                }
                w.close_index(name).expect("close index");
            }
            Transition::Finish { slot } => {
                let w = sut.writers[slot].take().expect("session to finish");
                w.finish().expect("finish");
            }
            Transition::Abort { slot } => {
                drop(sut.writers[slot].take().expect("session to abort"));
            }
            Transition::Prune { .. } => {
                let Expect::Prune(snapshot, refusal) = &model.expect else {
                    unreachable!("prune without expectation")
                };
                match (refusal, sut.current().prune(snapshot)) {
                    (None, Ok(())) => {}
                    (Some(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "prune of {snapshot} refused with {err:#}, model expected {r:?}"
                    ),
                    (None, Err(err)) => panic!("prune of {snapshot} failed: {err:#}"),
                    (Some(r), Ok(())) => {
                        panic!("prune of {snapshot} succeeded, model expected {r:?}")
                    }
                }
            }
            Transition::Read { .. } if !matches!(model.expect, Expect::Read(_)) => {}
            Transition::Read { chunk } => {
                let cache = sut.current().cache().expect("S3 cache");
                let result = cache.access(&digest(chunk));
                if exact {
                    match (&model.expect, result) {
                        (Expect::Read(Some(_)), Ok(data)) => assert_eq!(data, chunk_data(chunk)),
                        (Expect::Read(None), Err(err)) => assert!(
                            Refusal::Missing.matches(StoreError::of(&err)),
                            "read of chunk {chunk} failed with {err:#}, model expected missing"
                        ),
                        (expect, Ok(_)) => {
                            panic!("read of chunk {chunk} succeeded, model: {expect:?}")
                        }
                        (expect, Err(err)) => {
                            panic!("read of chunk {chunk} failed with {err:#}, model: {expect:?}")
                        }
                    }
                }
            }
            Transition::Gc { old_process } => {
                let process = if old_process && old_alive {
                    sut.previous().clone()
                } else {
                    sut.current().clone()
                };
                match (&model.expect, process.garbage_collect()) {
                    (Expect::Gc(expected), Ok(status)) => {
                        if exact {
                            assert_eq!(&status, expected, "GC status (left: store, right: model)");
                        }
                    }
                    (Expect::Refused(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "GC refused with {err:#}, model expected {r:?}"
                    ),
                    (expect, Ok(status)) => panic!("GC ran ({status:?}), model: {expect:?}"),
                    (expect, Err(err)) => panic!("GC failed with {err:#}, model: {expect:?}"),
                }
            }
            Transition::AdvanceClock { secs } => sut.ds.clock().advance(secs),
            Transition::Reload => {
                let new = sut.current().reload();
                sut.processes.push(new);
            }
        }
        tally_transition(model, &transition);
        sut
    }

    fn teardown(sut: Sut, _model: ModelState) {
        let coverage = sut.oracle.coverage();
        tally(|t| {
            t.cases += 1;
            t.oracle_removes += coverage.removes;
            t.oracle_removes_with_active_writer += coverage.removes_with_active_writer;
            t.oracle_removes_with_visible_index += coverage.removes_with_visible_index;
            t.oracle_objects_deleted += coverage.objects_deleted;
        });
    }

    fn check_invariants(sut: &Sut, model: &ModelState) {
        if let Some((property, message)) = sut.oracle.violation() {
            panic!("oracle: {property} violated earlier:\n{message}");
        }
        let storage = sut.ds.storage();
        assert_eq!(sut.ds.clock().now(), model.now, "clock");
        assert_eq!(sut.processes.len(), model.lrus.len(), "processes");

        // (1) The index files are the model's; every referenced chunk exists.
        for (g, group) in GROUPS.iter().enumerate() {
            let times = storage.indexes.snapshots(group).expect("list snapshots");
            let expected: Vec<i64> = model
                .snapshots
                .range((g, i64::MIN)..=(g, i64::MAX))
                .map(|((_, t), _)| *t)
                .collect();
            assert_eq!(times, expected, "snapshots of {group}");
        }
        for ((g, time), indexes) in &model.snapshots {
            let snapshot = SnapshotId {
                group: GROUPS[*g].to_string(),
                time: *time,
            };
            let names = storage
                .indexes
                .indexes(&snapshot)
                .expect("list indexes")
                .expect("snapshot exists");
            let expected: Vec<String> = (0..indexes.len()).map(index_name).collect();
            assert_eq!(names, expected, "indexes of {snapshot}");
            for (name, chunks) in names.iter().zip(indexes) {
                let bytes = storage
                    .indexes
                    .read(&snapshot, name)
                    .expect("read index")
                    .expect("index exists");
                let path = format!("{snapshot}/{name}");
                let digests = store::index::decode(&path, &bytes).expect("decode index");
                let expected: Vec<Digest> = chunks.iter().map(|c| digest(*c)).collect();
                assert_eq!(digests, expected, "content of {path}");
                for c in chunks {
                    sut.assert_exists(model.backend, *c, &format!("referenced by {path}"));
                }
            }
        }

        // (2) Every chunk an active session knows exists; sessions are the model's.
        for (slot, (w, m)) in sut.writers.iter().zip(&model.writers).enumerate() {
            match (w, m) {
                (None, None) => {}
                (Some(w), Some(m)) => {
                    assert_eq!(w.start_time(), m.start, "start of session {slot}");
                    let expected: BTreeSet<Digest> = m.session.iter().map(|c| digest(*c)).collect();
                    assert_eq!(
                        w.known_chunks(),
                        &expected,
                        "known chunks of session {slot}"
                    );
                    for c in &m.session {
                        let why = format!("used by the session of {}", GROUPS[slot]);
                        sut.assert_exists(model.backend, *c, &why);
                    }
                }
                _ => panic!("session {slot}: store and model disagree on whether it runs"),
            }
        }

        // (3) The model is exact: presence, atime, content or marker, LRUs.
        if !model.exact() {
            return;
        }
        for c in 0..POOL {
            let d = digest(c);
            let m = model.chunks.get(&c);
            let expected = m.map(|m| ChunkStat {
                size: if m.content { chunk_len(c) } else { 0 },
                atime: m.atime,
            });
            assert_eq!(
                storage.chunks.inspect(&d),
                expected,
                "local file of chunk {c}"
            );
            if model.s3() {
                assert_eq!(
                    storage.bucket.inspect(&d),
                    m.is_some(),
                    "object of chunk {c}"
                );
                // Only live processes: the current one and those with active sessions. An
                // old process without sessions never uses its LRU again; its entries may be
                // stale (a later process's GC removed their files), which is harmless.
                let live = |p: usize| {
                    p == model.current || model.writers.iter().flatten().any(|w| w.process == p)
                };
                for (p, process) in sut.processes.iter().enumerate().filter(|(p, _)| live(*p)) {
                    let cache = process.cache().expect("S3 cache");
                    assert_eq!(
                        cache.contains(&d),
                        model.lrus[p].contains(&c),
                        "LRU of process {p} holding chunk {c}"
                    );
                }
            }
        }
        assert_eq!(storage.chunks.inspect_all().len(), model.chunks.len());
        if model.s3() {
            assert_eq!(storage.bucket.inspect_all().len(), model.chunks.len());
        }
    }
}
