//! The harness's tests, in one binary (one link, one process; `cargo test -p harness
//! oracle::` or `platforms::` selects a part).
//!
//! - [`oracle`]: the oracle driven by hand-written events, one module per property;
//! - [`platforms`]: the loom and shuttle platforms find (and only find) the bugs they should.

mod oracle;
mod platforms;
mod programs;
