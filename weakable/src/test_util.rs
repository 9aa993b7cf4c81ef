//! Helpers of the unit tests.

/// `n` rounds of a test loop, or at most `under_miri` under Miri, which is
/// far slower.
pub(crate) fn rounds(n: usize, under_miri: usize) -> usize {
    if cfg!(miri) {
        n.min(under_miri)
    } else {
        n
    }
}

/// Polls `f` on this thread, parking between polls, until it is ready: the
/// smallest executor, for the unit tests of `dead()` and `recv_async`
/// (the integration tests have theirs in `weakable_tests`, the loom models
/// one over loom's threads).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread;

    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

/// Polls `f` once, with `waker`.
pub(crate) fn poll_once<F: std::future::Future>(
    f: std::pin::Pin<&mut F>,
    waker: &std::task::Waker,
) -> std::task::Poll<F::Output> {
    f.poll(&mut std::task::Context::from_waker(waker))
}

/// A waker that counts its wakes, for the unit tests of `dead()` and
/// `recv_async`.
#[derive(Default)]
pub(crate) struct WakeCount(std::sync::atomic::AtomicUsize);

impl WakeCount {
    /// A fresh count and a waker that adds to it.
    pub(crate) fn new() -> (std::sync::Arc<WakeCount>, std::task::Waker) {
        let count = std::sync::Arc::new(WakeCount::default());
        (count.clone(), std::task::Waker::from(count))
    }

    /// How many times it was woken.
    pub(crate) fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl std::task::Wake for WakeCount {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Compiles the test items once per flavour, as `mod sync` and `mod
/// unsync`, each naming the handles through `flavour` (`crate::sync` or
/// `crate::unsync`) and the marker type as `Flavour`, as the integration
/// tests do: one test body, two flavours.
macro_rules! in_both_flavours {
    ($($item:item)*) => {
        mod sync {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::sync as flavour;
            /// The flavour's marker type.
            #[allow(dead_code)]
            type Flavour = crate::rt::flavor::Sync;
            $($item)*
        }
        mod unsync {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::unsync as flavour;
            /// The flavour's marker type.
            #[allow(dead_code)]
            type Flavour = crate::rt::flavor::Unsync;
            $($item)*
        }
    };
}
pub(crate) use in_both_flavours;
