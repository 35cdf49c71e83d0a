//! Decision outcomes the harness's model cannot reach, and why: what the campaign report
//! prints next to an outcome no phase took. An outcome not listed here that no phase took
//! is reported as unexplained, the next place to look.

use store::Outcome;

/// Why an outcome that only a failing storage operation leads to is not reached.
const FAULT_ONLY: &str = "only an injected storage fault leads here; the campaign injects \
                          none unless run with `--faults`";

/// `point/outcome` and why no program of the model reaches it (in a campaign without
/// faults, for those marked [`FAULT_ONLY`]).
const REASONS: &[(&str, &str)] = &[
    ("touch/failed", FAULT_ONLY),
    ("upload/put-failed", FAULT_ONLY),
    ("upload/cache-failed", FAULT_ONLY),
    ("abort/snapshot-left", FAULT_ONLY),
    ("gc-delete/failed", FAULT_ONLY),
    ("gc-recover/head-failed", FAULT_ONLY),
    ("gc-run/failed", FAULT_ONLY),
    ("prune/failed", FAULT_ONLY),
    // A referenced chunk missing in phase 1 and put back before the listing, or a marker
    // whose object is gone: both need an object lost behind the store's back.
    ("gc-sweep-object/put-back", FAULT_ONLY),
    ("gc-recover/put-back", FAULT_ONLY),
    ("gc-recover/forgotten", FAULT_ONLY),
    ("reuse-check/object-gone", FAULT_ONLY),
    ("reuse-check/head-failed", FAULT_ONLY),
    (
        "insert/vanished",
        "between an insert's stat and its touch, under its chunk store mutex and the \
         per-chunk lock, only something outside the store could remove the file: another \
         process's GC is refused while this writer holds its shared process lock, and its \
         verify waits for the per-chunk lock; the branch stays for a deletion behind the \
         store's back, which the model does not inject",
    ),
    (
        "gc-sweep-marker/gone",
        "between phase 3's listing of the local cache and its stat under the per-chunk \
         lock, only a GC removes a local file on S3 (verify empties a rotten copy in \
         place, eviction truncates, the history loses files before the threads start), \
         and no two GCs run at once; the branch stays for a deletion behind the store's \
         back while it runs, which the model does not inject",
    ),
    (
        "cache-fetch/object-corrupt",
        "nothing corrupts a bucket object in the model: bit rot is modelled in local \
         copies only, and every put checks the digest first",
    ),
];

/// Why the model cannot reach `outcome`, if that is known.
pub fn why(outcome: Outcome) -> Option<&'static str> {
    let name = outcome.to_string();
    REASONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_names_a_declared_outcome() {
        for (name, _) in REASONS {
            assert!(Outcome::from_name(name).is_some(), "{name} is not declared");
        }
    }
}
