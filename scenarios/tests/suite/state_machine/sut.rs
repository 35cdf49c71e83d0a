//! The system under test: a datastore on model storage with the oracle as its observer; each
//! transition is applied to it and checked against the model's expectation, and after every
//! step the invariants compare the store with the model.

use super::alphabet::{chunk_data, chunk_len, digest, group, knobs, POOL, SLOTS};
use super::coverage::{tally, tally_transition};
use super::model::{ModelState, Prediction};
use super::transitions::{Flavor, Model, Transition};
use harness::oracle::Oracle;
use harness::program::{Op, Run};
use harness::world::Setup;
use proptest_state_machine::StateMachineTest;
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;
use store::storage::ChunkStat;
use store::{Backend, BackupWriter, Datastore, Digest, Process, SnapshotId, Std, StoreError};

/// The store under test: a program's datastore (run by the program executor), its
/// oracle, its processes and the machine's sessions.
pub(crate) struct Sut {
    run: Run<Std>,
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
        let setup = Setup {
            bugs: model.bugs,
            ..Setup::clean()
        };
        let run = Run::<Std>::open(knobs(model.backend), setup);
        let (ds, process) = (run.ds.clone(), run.newest());
        let oracle = run
            .oracle
            .clone()
            .expect("the setup checks with the oracle");
        Sut {
            run,
            ds,
            oracle,
            processes: vec![process],
            writers: (0..SLOTS).map(|_| None).collect(),
        }
    }

    fn apply(mut sut: Sut, model: &ModelState, transition: Transition) -> Sut {
        let exact = model.exact();
        let refused = |expect: &Prediction| match expect {
            Prediction::Refused(r) => Some(*r),
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
                let name = super::alphabet::group(group);
                let result = process.start_backup(&name, time);
                match (refused(&model.expect), result) {
                    (None, Ok(writer)) => sut.writers[group] = Some(writer),
                    (Some(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "start of {name} refused with {err:#}, model expected {r:?}"
                    ),
                    (None, Err(err)) => panic!("start of {name} failed: {err:#}"),
                    (Some(r), Ok(_)) => panic!("start of {name} succeeded, model expected {r:?}"),
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
                if let (Prediction::Reused(expected), true) = (&model.expect, exact) {
                    assert_eq!(present, *expected, "re-use of chunk {chunk}: present?");
                }
            }
            Transition::AppendAndClose { slot, .. } => {
                let Prediction::Publish { name, chunks } = &model.expect else {
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
            // GC, reads and prunes run here rather than by the executor, to compare what they
            // return with the model (a GC's status exactly).
            Transition::Op(Op::Gc(_)) => {
                match (&model.expect, sut.run.newest().garbage_collect()) {
                    (Prediction::Gc(expected), Ok(status)) => {
                        if exact {
                            assert_eq!(&status, expected, "GC status (left: store, right: model)");
                        }
                    }
                    (Prediction::Refused(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "GC refused with {err:#}, model expected {r:?}"
                    ),
                    (expect, Ok(status)) => panic!("GC ran ({status:?}), model: {expect:?}"),
                    (expect, Err(err)) => panic!("GC failed with {err:#}, model: {expect:?}"),
                }
            }
            // Run here as well, to compare what they return with the model.
            Transition::Op(Op::Read(ref read)) => {
                let (chunk, result) = (
                    usize::from(read.chunk.0),
                    sut.current().read_chunk(&read.chunk.digest()),
                );
                if exact {
                    match (&model.expect, result) {
                        (Prediction::Read(Some(_)), Ok(data)) => {
                            assert_eq!(data, chunk_data(chunk))
                        }
                        (Prediction::Read(None), Err(err)) => assert!(
                            matches!(StoreError::of(&err), Some(StoreError::MissingChunk(_))),
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
            Transition::Op(Op::Prune(ref prune)) => {
                let name = group(usize::from(prune.group));
                let times = sut
                    .ds
                    .storage()
                    .indexes
                    .snapshots(&name)
                    .expect("list snapshots");
                let picked = match prune.newest {
                    true => times.last(),
                    false => times.first(),
                };
                let result = picked.map(|&time| {
                    sut.current().prune(&SnapshotId {
                        group: name.clone(),
                        time,
                    })
                });
                match (&model.expect, result) {
                    (Prediction::Done, None) | (Prediction::Prune(None), Some(Ok(()))) => {}
                    (Prediction::Prune(Some(r)), Some(Err(err))) => assert!(
                        r.matches(StoreError::of(&err)),
                        "prune in {name} refused with {err:#}, model expected {r:?}"
                    ),
                    (expect, Some(Err(err))) => {
                        panic!("prune in {name} failed with {err:#}, model: {expect:?}")
                    }
                    (expect, outcome) => panic!("prune in {name}: {outcome:?}, model: {expect:?}"),
                }
            }
            // Every other operation as the program executor runs it; the invariants then
            // compare the store with the model.
            Transition::Op(ref op) => {
                op.run(&sut.run, 0);
                if let Op::Reload(_) = op {
                    sut.processes.push(sut.run.newest());
                }
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
        for g in 0..SLOTS {
            let group = group(g);
            let times = storage.indexes.snapshots(&group).expect("list snapshots");
            let expected: Vec<i64> = model
                .snapshots
                .range((g, i64::MIN)..=(g, i64::MAX))
                .map(|((_, t), _)| *t)
                .collect();
            assert_eq!(times, expected, "snapshots of {group}");
        }
        for ((g, time), indexes) in &model.snapshots {
            let snapshot = SnapshotId {
                group: group(*g),
                time: *time,
            };
            let mut names = storage
                .indexes
                .indexes(&snapshot)
                .expect("list indexes")
                .expect("snapshot exists");
            names.sort();
            let mut indexes = indexes.clone();
            indexes.sort();
            let expected: Vec<&String> = indexes.iter().map(|(name, _)| name).collect();
            assert_eq!(
                names.iter().collect::<Vec<_>>(),
                expected,
                "indexes of {snapshot}"
            );
            for (name, chunks) in &indexes {
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
                        let why = format!("used by the session of {}", group(slot));
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
