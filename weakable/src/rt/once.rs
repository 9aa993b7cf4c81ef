//! A value initialised once, on first use, for the crate's few statics
//! (the default ref's node, the process-wide hasher): std's `OnceLock`, or
//! without std a spin-waiting one.

#[cfg(feature = "std")]
pub(crate) use std::sync::OnceLock;

#[cfg(not(feature = "std"))]
pub(crate) use spin_once::OnceLock;

#[cfg(not(feature = "std"))]
mod spin_once {
    use core::cell::UnsafeCell;
    use core::mem::MaybeUninit;
    use core::sync::atomic::{AtomicU8, Ordering};

    const EMPTY: u8 = 0;
    const RUNNING: u8 = 1;
    const READY: u8 = 2;

    /// `std::sync::OnceLock`'s `get_or_init`, where the threads that find
    /// another one initialising spin until it is done. The initialiser must
    /// not panic (a panic would leave the others spinning): the crate's
    /// only allocate, and an allocation failure aborts.
    pub(crate) struct OnceLock<T> {
        state: AtomicU8,
        value: UnsafeCell<MaybeUninit<T>>,
    }

    // SAFETY: the value is written once, by the thread that moved the
    // state from EMPTY to RUNNING, before its Release store of READY;
    // every reader reads it only after an Acquire load of READY, and never
    // writes it. So sharing the cell shares `&T` across threads (`T: Sync`)
    // and may hand the value to another thread's drop (never: statics are
    // not dropped, but `T: Send` says it would be sound).
    unsafe impl<T: Sync + Send> Sync for OnceLock<T> {}

    impl<T> OnceLock<T> {
        pub(crate) const fn new() -> Self {
            OnceLock {
                state: AtomicU8::new(EMPTY),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }

        pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
            if self.state.load(Ordering::Acquire) != READY {
                self.initialize(init);
            }
            // SAFETY: READY was stored (with Release) after the value was
            // written, and our Acquire load (above, or in `initialize`)
            // saw it; nothing writes the value again.
            unsafe { (*self.value.get()).assume_init_ref() }
        }

        #[cold]
        fn initialize(&self, init: impl FnOnce() -> T) {
            match self
                .state
                .compare_exchange(EMPTY, RUNNING, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    let value = init();
                    // SAFETY: winning the EMPTY → RUNNING exchange makes
                    // this the one thread that ever writes the value, and
                    // no reader reads it before READY.
                    unsafe { (*self.value.get()).write(value) };
                    self.state.store(READY, Ordering::Release);
                }
                Err(_) => {
                    while self.state.load(Ordering::Acquire) != READY {
                        core::hint::spin_loop();
                    }
                }
            }
        }
    }
}
