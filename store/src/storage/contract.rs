//! Behaviour every implementation of a storage trait must share, checked from each
//! implementation's tests.

use super::Bucket;
use crate::digest::Digest;

/// `contains` follows puts and deletes without transferring content.
pub(crate) fn contains_answers_without_content(bucket: &dyn Bucket) {
    let d = Digest::of(b"object");
    assert!(
        !bucket.contains(&d).expect("lookup"),
        "absent before the put"
    );
    bucket.put_if_absent(&d, b"object").expect("put");
    assert!(
        bucket.contains(&d).expect("lookup"),
        "present after the put"
    );
    bucket.delete_batch(&[d]).expect("delete");
    assert!(
        !bucket.contains(&d).expect("lookup"),
        "absent after the delete"
    );
}

/// `inspect` visits every published index with its digests (an unpublished one is not
/// visited, a corrupt one is visited with none) and stops when told to; `files` lists both
/// kinds by full name and `read_file` reads either, while `indexes` and `read` see only the
/// published ones.
pub(crate) fn inspect_visits_published_indexes(dir: &dyn super::IndexDir) {
    use crate::ids::SnapshotId;
    use std::ops::ControlFlow;
    let snapshot = SnapshotId {
        group: "vm/100".to_string(),
        time: 1,
    };
    let d = Digest::of(b"chunk");
    dir.create_snapshot(&snapshot).expect("create");
    dir.write_tmp(&snapshot, "a", &crate::index::encode(&[d]))
        .expect("write a");
    dir.write_tmp(&snapshot, "b", b"not an index")
        .expect("write b");
    dir.write_tmp(&snapshot, "c", &crate::index::encode(&[d]))
        .expect("write c");
    dir.publish(&snapshot, "a").expect("publish a");
    dir.publish(&snapshot, "b").expect("publish b");
    let mut seen = Vec::new();
    dir.inspect(&mut |s, name, digests| {
        seen.push((s.clone(), name.to_string(), digests.to_vec()));
        ControlFlow::Continue(())
    });
    assert_eq!(
        seen,
        [
            (snapshot.clone(), "a".to_string(), vec![d]),
            (snapshot.clone(), "b".to_string(), vec![]),
        ],
        "published a with its digest, corrupt b with none, unpublished c not at all"
    );
    let mut visits = 0;
    dir.inspect(&mut |_, _, _| {
        visits += 1;
        ControlFlow::Break(())
    });
    assert_eq!(visits, 1, "the walk stops at Break");
    assert_eq!(
        dir.files(&snapshot).expect("files"),
        Some(vec!["a.didx".into(), "b.didx".into(), "c.tmp_didx".into()]),
        "every index file, published or not, by its full name"
    );
    assert_eq!(
        dir.indexes(&snapshot).expect("indexes"),
        Some(vec!["a".into(), "b".into()]),
        "only the published ones"
    );
    let c = dir.read_file(&snapshot, "c.tmp_didx").expect("read c");
    assert_eq!(
        c,
        Some(crate::index::encode(&[d])),
        "the unpublished c, with its bytes"
    );
    assert_eq!(dir.read(&snapshot, "c").expect("read c as published"), None);
    let gone = SnapshotId {
        group: "vm/100".to_string(),
        time: 2,
    };
    assert_eq!(dir.files(&gone).expect("no snapshot"), None);
}
