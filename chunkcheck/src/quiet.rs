//! Keeps the checkers' own chatter off the terminal while they run.
//!
//! Every failure a checker finds reaches the campaign as a panic the driver catches and the
//! report shows in full. On the way, the panic hook prints it, and shuttle writes lines of
//! its own straight to stderr (`test panicked in task ...`, and `failing seed` with replay
//! advice for shuttle's API rather than ours). [`silenced`] points file descriptor 2 at
//! `/dev/null` while a checker runs; progress bars draw on [`real_stderr`], a copy of the
//! descriptor taken before. Elsewhere than Unix, nothing is silenced.

use std::fs::File;

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::sync::{Mutex, OnceLock};

    /// A copy of the process's stderr, taken the first time it is needed (before any
    /// silencing, which needs it to restore).
    fn saved() -> Option<&'static OwnedFd> {
        static SAVED: OnceLock<Option<OwnedFd>> = OnceLock::new();
        SAVED
            .get_or_init(|| std::io::stderr().as_fd().try_clone_to_owned().ok())
            .as_ref()
    }

    pub fn real_stderr() -> Option<File> {
        saved()?.try_clone().ok().map(File::from)
    }

    /// How many threads are inside [`silenced`]: fd 2 is pointed at `/dev/null` by the
    /// first to enter and back at the saved stderr by the last to leave, so that work items
    /// running on several threads (`--jobs`) do not restore it under one another.
    static SILENCED: Mutex<usize> = Mutex::new(0);

    fn count() -> std::sync::MutexGuard<'static, usize> {
        SILENCED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Leaves the silenced section when dropped, even on unwinding.
    struct Leave(&'static OwnedFd);

    impl Drop for Leave {
        fn drop(&mut self) {
            let mut inside = count();
            *inside -= 1;
            if *inside == 0 {
                // SAFETY: both descriptors are open: the saved one lives for the whole
                // process in `SAVED`, fd 2 always exists. `dup2` only changes what fd 2
                // refers to.
                unsafe { libc::dup2(self.0.as_raw_fd(), libc::STDERR_FILENO) };
            }
        }
    }

    pub fn silenced<T>(f: impl FnOnce() -> T) -> T {
        let Some(saved) = saved() else { return f() };
        {
            let mut inside = count();
            if *inside == 0 {
                let Ok(null) = File::options().write(true).open("/dev/null") else {
                    drop(inside);
                    return f();
                };
                // SAFETY: `null` is open for the duration of the call and fd 2 always
                // exists; `dup2` only changes what fd 2 refers to (Rust's stderr is
                // unbuffered, so no buffered output changes destination).
                if unsafe { libc::dup2(null.as_raw_fd(), libc::STDERR_FILENO) } < 0 {
                    drop(inside);
                    return f();
                }
            }
            *inside += 1;
        }
        let _leave = Leave(saved);
        f()
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::File;

    pub fn real_stderr() -> Option<File> {
        None
    }

    pub fn silenced<T>(f: impl FnOnce() -> T) -> T {
        f()
    }
}

/// Runs `f` with stderr (file descriptor 2) pointing at `/dev/null`, restoring it after,
/// even when `f` unwinds.
pub fn silenced<T>(f: impl FnOnce() -> T) -> T {
    imp::silenced(f)
}

/// Runs `f` [`silenced`] when `quiet`, as it is otherwise.
pub fn silenced_if<T>(quiet: bool, f: impl FnOnce() -> T) -> T {
    match quiet {
        true => silenced(f),
        false => f(),
    }
}

/// The process's real stderr, still writable while [`silenced`] runs (`None` when it cannot
/// be duplicated, or off Unix).
pub fn real_stderr() -> Option<File> {
    imp::real_stderr()
}
