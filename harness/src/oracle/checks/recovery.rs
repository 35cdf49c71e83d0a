//! Lost objects: what the store does about a bucket object lost behind its back. A GC
//! reports every referenced one missing and drops its marker (or puts it back from an
//! intact cached copy), drops the marker only of an object really gone, and reports only
//! objects really gone; the next upload of the chunk puts it back (the program end check).

use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use std::collections::BTreeSet;
use store::Digest;

/// At a GC's drop of `digest`'s local file as lost, under its per-chunk lock (which every
/// put takes): the object is really gone, or the drop throws away the mark of a chunk that
/// is there.
pub fn forgotten(ground: &Ground, digest: &Digest) -> Checked {
    match ground.storage.bucket.inspect(digest) {
        false => Ok(()),
        true => Err(Violation::new(
            Property::Recovery,
            format!(
                "GC dropped the local file of {digest} as lost, but its object is in the bucket"
            ),
        )),
    }
}

/// After a GC that ran with nothing else going on, which reported `missing`: each chunk it
/// reported is really absent from the bucket, and each chunk in `referenced` (what the
/// visible indexes reference) whose object is lost was reported and left no local file
/// claiming it.
pub fn reported(
    ground: &Ground,
    referenced: &BTreeSet<Digest>,
    missing: &BTreeSet<Digest>,
) -> Checked {
    let bucket = &ground.storage.bucket;
    if let Some(digest) = missing.iter().find(|d| bucket.inspect(d)) {
        return Err(Violation::new(
            Property::Recovery,
            format!("GC reported {digest} missing, but its object is in the bucket"),
        ));
    }
    for digest in referenced.iter().filter(|d| bucket.inspect_lost(d)) {
        if !missing.contains(digest) {
            return Err(Violation::new(
                Property::Recovery,
                format!("the object of referenced chunk {digest} is lost, and GC did not report it missing"),
            ));
        }
        if ground.storage.chunks.inspect(digest).is_some() {
            return Err(Violation::new(
                Property::Recovery,
                format!(
                    "GC reported {digest} missing but left a local file that claims its object"
                ),
            ));
        }
    }
    Ok(())
}

/// After an upload of each chunk in `lost` (objects lost and reported missing): every one
/// of them is in the bucket again.
pub fn put_back(ground: &Ground, lost: &BTreeSet<Digest>) -> Checked {
    match lost.iter().find(|d| !ground.storage.bucket.inspect(d)) {
        None => Ok(()),
        Some(digest) => Err(Violation::new(
            Property::Recovery,
            format!("a backup uploaded lost chunk {digest}, but its object is still gone"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::ModelStorage;
    use std::sync::Arc;
    use store::storage::{Bucket, ChunkDir, Fault, FaultSource, Site};
    use store::{Backend, Std};

    /// Loses the object of every bucket get.
    struct LoseAtGet;

    impl FaultSource for LoseAtGet {
        fn decide(&self, site: Site, _: Option<&Digest>) -> Option<Fault> {
            (site == Site::BucketGet).then_some(Fault::LostObject)
        }
    }

    /// S3 model storage holding objects `a` (lost, with a marker left) and `b` (intact).
    fn storage() -> (ModelStorage<Std>, Ground, Digest, Digest) {
        let model = ModelStorage::<Std>::new();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        for (d, data) in [(a, b"a"), (b, b"b")] {
            model.bucket.put_if_absent(&d, data).expect("put");
            model.chunks.write(&d, &[], 0).expect("marker");
        }
        model.bucket.set_faults(Some(Arc::new(LoseAtGet)));
        assert_eq!(model.bucket.get(&a).expect("get"), None, "a is lost");
        model.bucket.set_faults(None);
        let ground = Ground {
            storage: model.storage.clone(),
            backend: Backend::S3,
            empty: Digest::of(&[]),
        };
        (model, ground, a, b)
    }

    fn property(checked: Checked) -> Option<Property> {
        checked.err().map(|v| v.property)
    }

    #[test]
    fn reported_catches_a_lost_object_unreported_or_still_claimed_and_a_false_report() {
        let (model, ground, a, b) = storage();
        let referenced: BTreeSet<Digest> = [a, b].into();
        let none = BTreeSet::new();
        let only_a: BTreeSet<Digest> = [a].into();
        let both: BTreeSet<Digest> = [a, b].into();
        let recovery = Some(Property::Recovery);
        assert_eq!(property(reported(&ground, &referenced, &none)), recovery);
        assert_eq!(
            property(reported(&ground, &referenced, &only_a)),
            recovery,
            "marker left"
        );
        model.chunks.remove(&a).expect("dropping a's marker");
        assert_eq!(property(reported(&ground, &referenced, &only_a)), None);
        assert_eq!(
            property(reported(&ground, &referenced, &both)),
            recovery,
            "b is there"
        );
        assert_eq!(
            property(reported(&ground, &[b].into(), &none)),
            None,
            "a unreferenced"
        );
    }

    #[test]
    fn put_back_catches_a_lost_object_still_gone() {
        let (model, ground, a, _) = storage();
        let lost: BTreeSet<Digest> = [a].into();
        assert_eq!(property(put_back(&ground, &lost)), Some(Property::Recovery));
        model.bucket.put_if_absent(&a, b"a").expect("put back");
        assert_eq!(property(put_back(&ground, &lost)), None);
    }

    #[test]
    fn forgotten_only_when_the_object_is_gone() {
        let (_model, ground, a, b) = storage();
        assert_eq!(property(forgotten(&ground, &a)), None);
        assert_eq!(property(forgotten(&ground, &b)), Some(Property::Recovery));
    }
}
