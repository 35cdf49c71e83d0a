//! The harness's tests, in one binary (one link, one process; `cargo test -p harness
//! oracle::` or `platforms::` selects a part).
//!
//! - [`exhaustive`]: every program of a tiny declared scope under loom;
//! - [`faults`]: fault injection under loom and shuttle, and the fault-handling seeded bugs;
//! - [`findings`]: regression tests for what the harness found and the store fixed without
//!   keeping a seeded bug;
//! - [`landings`]: where faults landed, and the plans that land them there again;
//! - [`oracle`]: the oracle driven by hand-written events, one module per property;
//! - [`platforms`]: the loom and shuttle platforms find (and only find) the bugs they should;
//! - [`programs`]: generated actor programs: generator, checkers, minimization;
//! - [`windows`]: conflict windows over a whole execution, history and end check included.

mod exhaustive;
mod faults;
mod findings;
mod landings;
mod oracle;
mod platforms;
mod programs;
mod windows;
