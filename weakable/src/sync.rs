//! The atomics the concurrent core uses, in one place so that a model
//! checker's can be swapped in.

pub(crate) use core::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// Spins politely while another thread holds a short critical section.
#[inline]
pub(crate) fn spin_wait(spins: &mut u32) {
    if *spins < 6 {
        for _ in 0..(1u32 << *spins) {
            core::hint::spin_loop();
        }
        *spins += 1;
    } else {
        std::thread::yield_now();
    }
}
