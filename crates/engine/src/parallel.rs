//! Where the CPU backend's parallel work runs.
//!
//! Natively: rayon's global pool, every core (`RAYON_NUM_THREADS` picks another count). In
//! the browser std has no threads: the worker builds a rayon pool of Web Workers that share
//! its wasm memory (`src/worker/threads.rs` in the app) and hands it over with `set_pool`;
//! the backend's entry points run inside it (`run`). Without one (the single-thread build of
//! the worker, or `threads` = 1) everything runs on the calling thread.
//!
//! The thread count never changes a number: parallel ops split their outputs, never a sum
//! (gemm splits the rows and columns of a product; each element keeps one summation order).

use rayon::ThreadPool;
use std::sync::{Arc, RwLock};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

fn current() -> Option<Arc<ThreadPool>> {
    POOL.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Run the CPU backend's work in `pool` from now on; `None`: the default (see above).
pub fn set_pool(pool: Option<Arc<ThreadPool>>) {
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = pool;
}

/// How many threads the pool set with `set_pool` has (1 without one).
pub fn pool_threads() -> usize {
    current().map_or(1, |p| p.current_num_threads())
}

/// `f` inside the pool set with `set_pool` (on one of its threads, while the caller waits),
/// or here without one.
pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match current() {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// How many threads a parallel op may split into on this thread: the size of the rayon pool
/// it works in; outside one, natively the global pool's, in the browser 1 (rayon's global
/// pool would want std threads).
pub fn num_threads() -> usize {
    if rayon::current_thread_index().is_some() || !cfg!(target_arch = "wasm32") {
        rayon::current_num_threads()
    } else {
        1
    }
}
