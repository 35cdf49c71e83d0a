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
