//! The oracle's checks, one file per group of properties. Each judges one event against the
//! ghost state and the ground truth, and names the property it finds broken.

pub mod atime;
pub mod cache;
pub mod gc;
pub mod guards;
pub mod harm;
pub mod locks;
pub mod recovery;
pub mod remove;
pub mod reports;
