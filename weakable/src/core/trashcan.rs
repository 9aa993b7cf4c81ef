//! Deep chains: postponed deaths, CPython's "trashcan" (std only: the
//! depth is per thread, in a thread-local; without std a death runs at
//! once however deep it is nested, as `Rc`'s drops do).
//!
//! A death runs user code (callbacks, finalizers, the value's `Drop`, a
//! collection's eviction dropping its entry) that may drop the last `Obj`
//! of another object, whose death then runs nested inside the first. A
//! chain of a million objects, each kept alive only by the one before it,
//! would nest a million deaths and overflow the stack (an 8 MiB stack
//! held about 258,000 objects owning each other, 18,500 linked through a
//! weak dictionary). So, as CPython's "trashcan" does, a death that would
//! nest deeper than [`NESTING_LIMIT`] deaths is postponed: its object goes
//! on a per-thread list (it is already dead to every ref: its strong count
//! is zero), and the outermost death on the thread runs the list, one
//! death at a time, after its own work, at a nesting depth of one, so that
//! their own nested deaths may nest up to the limit again.
//!
//! The order (documented in the crate docs, "Limitations"): deaths within
//! the limit run exactly as they would unnested, in the order the
//! recursion reaches them. A postponed death runs after the death it was
//! nested in, and everything that one was nested in, has finished. The
//! postponed deaths run in the order the unlimited recursion would have
//! started them: the ones postponed while running a postponed death run
//! next, before those postponed earlier, and among themselves in the
//! order they were postponed (depth first). So in a straight chain the
//! deaths still start in order; what moves is what the deaths a postponed
//! one was nested in had left to do after it (the rest of a `Drop` or a
//! callback, the value's `Drop` after its callbacks, the memory), which
//! now runs before it instead of after.

use core::cell::{Cell, RefCell};
use core::mem::{self, ManuallyDrop};

use alloc::vec::Vec;

use crate::core::header::ObjAddr;

/// How many deaths may nest on one thread before the next one is
/// postponed.
///
/// A nested death costs about 0.3 kB of stack between objects that own
/// each other and 1.6–2.6 kB through a callback, a finalizer or a weak
/// dictionary's eviction, in a debug build (48 and 144–448 bytes in a
/// release build; `tests/it/deep_chains.rs` has the chains), before
/// whatever the user's `Drop` and callbacks put there. At 100 the deepest
/// nesting of those takes at most about 260 kB, an eighth of the 2 MiB
/// stack a spawned thread has by default, while nesting as deep as a
/// program's data usually is (a tree, a list of a few dozen) never
/// changes order. CPython postpones beyond 50 of its smaller frames.
pub(crate) const NESTING_LIMIT: u32 = 100;

/// A postponed death: the object and its type's death sequence.
type Postponed = (ObjAddr, unsafe fn(ObjAddr));

/// A thread's deaths in progress.
///
/// Nothing in it needs dropping (the list's buffer is freed by the drain
/// that empties it, see [`Trashcan::drain`]), so the thread-local has no
/// destructor: it stays usable while the thread's other thread-locals are
/// destroyed and while exit-time finalizers run.
struct Trashcan {
    /// How many deaths are running on this thread's stack, nested in one
    /// another; the drain counts as one.
    depth: Cell<u32>,
    /// Whether `postponed` has any: what the outermost death checks, one
    /// load where the list's emptiness would take a borrow too.
    pending: Cell<bool>,
    /// The postponed deaths, a stack: the next to run is the last. Only
    /// borrowed for a push, a pop or a reversal, never across user code.
    postponed: RefCell<ManuallyDrop<Vec<Postponed>>>,
}

impl Trashcan {
    const fn new() -> Self {
        Trashcan {
            depth: Cell::new(0),
            pending: Cell::new(false),
            postponed: RefCell::new(ManuallyDrop::new(Vec::new())),
        }
    }
}

// Under loom every modelled thread runs on the test's one OS thread, so a
// per-thread count must be loom's.
#[cfg(not(loom))]
std::thread_local! {
    static TRASHCAN: Trashcan = const { Trashcan::new() };
}
#[cfg(loom)]
loom::thread_local! {
    static TRASHCAN: Trashcan = Trashcan::new();
}

/// Leaves a death, restoring the depth even if it unwinds; the outermost
/// runs the deaths postponed meanwhile.
pub(super) struct Leave {
    outer: u32,
}

impl Drop for Leave {
    #[inline]
    fn drop(&mut self) {
        TRASHCAN.with(|trash| {
            if self.outer == 0 && trash.pending.get() {
                trash.drain();
            } else {
                trash.depth.set(self.outer);
            }
        });
    }
}

/// Enters a death of `object` whose sequence is `die_now` on this thread:
/// a guard to hold while it runs, which leaves it (and, for the outermost,
/// runs the deaths postponed meanwhile); or `None` if it was postponed,
/// and the caller must not run it.
#[inline]
pub(super) fn enter(object: ObjAddr, die_now: unsafe fn(ObjAddr)) -> Option<Leave> {
    let outer = TRASHCAN.with(|trash| trash.enter(object, die_now))?;
    Some(Leave { outer })
}

impl Trashcan {
    /// Enters a death of `object` whose sequence is `die_now`: the depth
    /// it was entered at, or `None` if it was postponed.
    #[inline]
    fn enter(&self, object: ObjAddr, die_now: unsafe fn(ObjAddr)) -> Option<u32> {
        let outer = self.depth.get();
        if outer >= NESTING_LIMIT {
            self.postpone((object, die_now));
            return None;
        }
        self.depth.set(outer + 1);
        Some(outer)
    }

    #[cold]
    #[inline(never)]
    fn postpone(&self, death: Postponed) {
        self.postponed.borrow_mut().push(death);
        self.pending.set(true);
    }
}

impl Trashcan {
    /// Runs the postponed deaths, at depth one, until none is left, then
    /// leaves the depth at zero and frees the list's buffer. Called by the
    /// outermost death (depth one) once its own work is done.
    ///
    /// If one of them panics, the rest still run (while the panic
    /// unwinds, as drop glue goes on dropping after a panicking field; a
    /// second panic then aborts, as it would there), then the panic goes on
    /// out of the outermost `drop`.
    #[cold]
    #[inline(never)]
    fn drain(&self) {
        /// Whatever happens, the thread leaves with no death in progress.
        struct Done<'a>(&'a Trashcan);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                let buffer = mem::take(&mut **self.0.postponed.borrow_mut());
                debug_assert!(buffer.is_empty());
                drop(buffer);
                self.0.pending.set(false);
                self.0.depth.set(0);
            }
        }
        let _done = Done(self);
        // The outermost death's own postponed deaths, oldest next.
        self.in_order(0);
        self.run_postponed();
    }

    /// Runs postponed deaths until the list is empty.
    fn run_postponed(&self) {
        /// Keeps draining if a postponed death unwinds.
        struct KeepDraining<'a> {
            trash: &'a Trashcan,
            mark: usize,
        }
        impl Drop for KeepDraining<'_> {
            fn drop(&mut self) {
                self.trash.in_order(self.mark);
                self.trash.run_postponed();
            }
        }
        loop {
            let next = self.postponed.borrow_mut().pop();
            let Some((object, die_now)) = next else {
                return;
            };
            let mark = self.postponed.borrow().len();
            let keep_draining = KeepDraining { trash: self, mark };
            // SAFETY: `die` postponed this death of an object whose strong
            // count reached zero, with its type's death sequence; it was
            // popped, so it runs once. Until now nothing ran it: the
            // strong side's weak count (or, without a slot, the strong
            // count's death itself) kept the allocation alive.
            unsafe { die_now(object) };
            mem::forget(keep_draining);
            self.in_order(mark);
        }
    }

    /// Puts the deaths postponed since the list was `mark` long in the
    /// order they were postponed from the top (they were pushed oldest
    /// first; the oldest is to run next).
    fn in_order(&self, mark: usize) {
        self.postponed.borrow_mut()[mark..].reverse();
    }
}
