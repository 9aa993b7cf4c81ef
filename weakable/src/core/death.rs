//! An object's death (SPEC 3): when its strong count reaches zero, every
//! ref is already dead; the slot is cleared (callbacks run newest first),
//! then the value is dropped, then the memory is released. A death nested
//! too deep in others on its thread is postponed (`core::trashcan`).

use core::marker::PhantomData;
use core::ptr;

use crate::core::header::{self, ObjAddr, ObjInfo};
use crate::core::slot;
#[cfg(feature = "std")]
use crate::core::trashcan;
use crate::rt::flavor::Flavor;
use crate::traits::{SlotKind, Weakable};

/// The static type information of `T`'s objects.
struct InfoOf<T, F>(PhantomData<(T, F)>);

impl<T: Weakable, F: Flavor> InfoOf<T, F> {
    const INFO: &'static ObjInfo = &ObjInfo {
        name: T::NAME,
        die: die::<T, F>,
        dealloc: header::dealloc::<T::Slot, T>,
    };
}

/// The type information every object of type `T` points to.
///
/// `T: 'static`: a death may be postponed past the `drop` that caused it
/// (`core::trashcan`), so the value's `Drop` and its callbacks may run
/// after any borrow the value held would have ended.
pub(crate) fn info_of<T: Weakable + 'static, F: Flavor>() -> &'static ObjInfo {
    InfoOf::<T, F>::INFO
}

/// The death sequence of an object of type `T` whose value is taken
/// instead of dropped (`Obj::try_unwrap`, `Obj::into_inner`): refs are dead,
/// callbacks run, and the allocation is released, as in [`die`]. Never
/// postponed: the caller is waiting for the value.
///
/// # Safety
///
/// As for [`die`]: `object` is an object of type `T` and flavour `F` whose
/// strong count just reached zero; called once, instead of `die`.
pub(crate) unsafe fn die_returning<T: Weakable, F: Flavor>(object: ObjAddr) -> T {
    // SAFETY: the caller's guarantee; the value is moved out exactly once
    // and never dropped in place, and `refs` is looked up at this death.
    unsafe {
        let refs = has_refs::<T>(object);
        die_with::<T, F, T>(object, refs, |value| ptr::read(value))
    }
}

/// An object's death, or its postponement if too many deaths are nested
/// on this thread already (see `core::trashcan`).
///
/// # Safety
///
/// `object` is an object of type `T` whose strong count just reached zero
/// (so every write through its handles happens before this call); called
/// once.
unsafe fn die<T: Weakable, F: Flavor>(object: ObjAddr) {
    // SAFETY: the caller's guarantee: the strong count is zero and the
    // strong side's weak count is not released yet.
    let refs = unsafe { has_refs::<T>(object) };
    // Held until the death sequence is done.
    #[cfg(feature = "std")]
    let _leave;
    // A death that runs no user code cannot nest another, so it need not
    // be counted: with no ref there is no callback, and a value without
    // drop glue runs no `Drop`. An object nobody took a ref to, of such a
    // type, is spared the thread-local's bookkeeping (about 20 instructions
    // of its `Obj::new` + drop, under callgrind).
    #[cfg(feature = "std")]
    if refs || core::mem::needs_drop::<T>() {
        let Some(leave) = trashcan::enter(object, die_now::<T, F>) else {
            return;
        };
        _leave = leave;
    }
    // SAFETY: the caller's guarantee; `refs` is what the slot held at this
    // death (it can only have lost refs since).
    unsafe { die_with::<T, F, ()>(object, refs, |value| ptr::drop_in_place(value)) };
}

/// Whether `object`, of type `T`, has refs for its death to clear (see
/// `slot::has_refs`); never, for a type without a slot.
///
/// # Safety
///
/// `object` is an object of type `T` whose strong count is zero and whose
/// strong side's weak count is not released yet.
#[inline]
unsafe fn has_refs<T: Weakable>(object: ObjAddr) -> bool {
    // SAFETY: `T`'s slot is a `WeakrefSlot` (checked first), and the
    // caller's guarantee is `slot::has_refs`'s.
    T::Slot::HAS_WEAKREFS && unsafe { slot::has_refs(object) }
}

/// The death sequence of an object of type `T`, run now: what a
/// postponed death runs (`core::trashcan`).
///
/// # Safety
///
/// `object` is an object of type `T` whose strong count reached zero
/// (so every write through its handles happens before this call); called
/// once.
#[cfg(feature = "std")]
unsafe fn die_now<T: Weakable, F: Flavor>(object: ObjAddr) {
    // SAFETY: the caller's guarantee; the value is dropped exactly once,
    // and `refs` is looked up now (a postponed death's refs may have gone
    // since it was postponed).
    unsafe {
        let refs = has_refs::<T>(object);
        die_with::<T, F, ()>(object, refs, |value| ptr::drop_in_place(value))
    }
}

/// The death sequence, with what becomes of the value (dropped, or moved
/// out) left to `take`: clear the slot if `refs` (refs dead, callbacks
/// run), `take` the value, release the allocation, even if `take` unwinds.
///
/// # Safety
///
/// `object` is an object of type `T` whose strong count reached zero (so
/// every write through its handles happens before this call); called once
/// per death. `refs` is [`has_refs`] of `object` at this death. `take`
/// consumes the value it is given (drops it or moves it out), and
/// `die_with` hands it an initialised `T` nobody else can reach.
unsafe fn die_with<T: Weakable, F: Flavor, R>(
    object: ObjAddr,
    refs: bool,
    take: impl FnOnce(*mut T) -> R,
) -> R {
    /// Releases the allocation even if the value's `Drop` panics.
    struct Release<T: Weakable, F: Flavor>(ObjAddr, PhantomData<(T, F)>);
    impl<T: Weakable, F: Flavor> Drop for Release<T, F> {
        fn drop(&mut self) {
            if T::Slot::HAS_WEAKREFS {
                // SAFETY: `T` has a `WeakrefSlot`; the strong count is zero,
                // the value taken (or its drop unwound, which counts as
                // dropped), and the strong side's weak count is ours.
                unsafe { slot::release_weak_after_death::<F>(self.0) };
            } else {
                // SAFETY: no ref can point at an object without a slot, so
                // nothing else holds this memory; `T` is its type.
                unsafe { header::dealloc::<T::Slot, T>(self.0) };
            }
        }
    }

    if refs {
        // SAFETY: `refs` is only true for a `WeakrefSlot` (`has_refs`), the
        // allocation is alive (the strong side's weak count is not released
        // yet), and this is the one death. If the slot lost refs since
        // `has_refs` looked, `clear_refs` finds less to do.
        unsafe { slot::clear_refs::<F>(object) };
    }
    let _release = Release::<T, F>(object, PhantomData);
    // The strong count is zero and stays zero, no ref can upgrade, and the
    // callbacks are done: nobody else can reach the value, which is still
    // initialised; `take` consumes it, once.
    take(object.as_ptr().cast::<T>().as_ptr())
}
