//! Giving freed memory back to the operating system once clients have gone.
//!
//! glibc's malloc serves a large block from its own heaps, not from a fresh
//! mapping, once it has seen a mapped block of that size freed (its mapping
//! threshold rises to match, up to 32 MiB), and it keeps what is freed there
//! for reuse. A server of frames allocates and frees blocks of a frame's size
//! all the time, so after a crowd of clients has gone its resident memory
//! stays where the crowd left it, though nothing holds it: measured with
//! eight viewers that stopped reading a 2048x2048 noise stream, 38 MB
//! resident before them, 300 MB with them and 335 MB after they had left;
//! 27 MB after they had left when the threshold is fixed
//! (`MALLOC_MMAP_THRESHOLD_`), which costs page faults on every frame.
//!
//! So nothing changes on the path of a frame: when sessions end or streams
//! are dropped ([`note_released`]), the server asks malloc to return its free
//! pages (`malloc_trim`) a second or two later, once their connections'
//! buffers are gone too, and at most once a second.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::session::Shutdown;

/// How often [`give_back_freed_memory`] looks whether something was
/// released; it trims one look after it was.
pub const TRIM_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Set when a session ended or a stream was dropped since the last look.
static RELEASED: AtomicBool = AtomicBool::new(false);

/// Notes that a client's session ended or a stream was dropped: the memory
/// they held is free, and is given back soon.
pub fn note_released() {
    RELEASED.store(true, Ordering::Relaxed);
}

/// Runs until the server stops: one look a [`TRIM_CHECK_INTERVAL`], and a
/// trim (on the blocking pool) one look after something was released.
pub async fn give_back_freed_memory(stopping: Shutdown) {
    let mut looks = tokio::time::interval(TRIM_CHECK_INTERVAL);
    let mut due = false;
    loop {
        tokio::select! {
            _ = looks.tick() => {}
            () = stopping.started() => return,
        }
        if std::mem::take(&mut due) {
            let _ = tokio::task::spawn_blocking(trim).await;
        }
        due = RELEASED.swap(false, Ordering::Relaxed);
    }
}

/// Returns malloc's free pages to the operating system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // one call into glibc that takes a number and touches no memory of ours
fn trim() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim takes no pointers and may be called at any time
    // from any thread; it only releases pages malloc holds free.
    unsafe {
        malloc_trim(0);
    }
}

/// Other allocators give memory back by themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
