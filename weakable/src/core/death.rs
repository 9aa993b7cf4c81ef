//! An object's death (SPEC 3): when its strong count reaches zero, every
//! ref is already dead; the slot is cleared (callbacks run newest first),
//! then the value is dropped, then the memory is released.

use core::marker::PhantomData;
use core::ptr;

use crate::core::header::{self, ObjAddr, ObjInfo};
use crate::core::slot;
use crate::rt::flavor::Flavor;
use crate::traits::{SlotKind, Weakable};

/// The static type information of `T`'s objects of flavour `F`.
struct InfoOf<T, F>(PhantomData<(T, F)>);

impl<T: Weakable, F: Flavor> InfoOf<T, F> {
    const INFO: &'static ObjInfo = &ObjInfo {
        name: T::NAME,
        die: die::<T, F>,
        dealloc: header::dealloc::<T::Slot, T>,
    };
}

/// The type information every object of type `T` and flavour `F` points
/// to: its death runs with `F`'s primitives.
pub(crate) fn info_of<T: Weakable, F: Flavor>() -> &'static ObjInfo {
    InfoOf::<T, F>::INFO
}

/// The death sequence of an object of type `T` whose value is taken
/// instead of dropped (`Obj::try_unwrap`, `Obj::into_inner`): refs are dead,
/// callbacks run, and the allocation is released, as in [`die`].
///
/// # Safety
///
/// As for [`die`]: `object` is an object of type `T` and flavour `F` whose
/// strong count just reached zero; called once, instead of `die`.
pub(crate) unsafe fn die_returning<T: Weakable, F: Flavor>(object: ObjAddr) -> T {
    if T::Slot::HAS_WEAKREFS {
        // SAFETY: as in `die`.
        unsafe { slot::clear::<F>(object) };
    }
    // SAFETY: the strong count is zero and stays zero, the callbacks are
    // done: nobody else can reach the value, which is initialised; it is
    // moved out exactly once, and never dropped in place.
    let value = unsafe { ptr::read(object.as_ptr().cast::<T>().as_ptr()) };
    if T::Slot::HAS_WEAKREFS {
        // SAFETY: as in `die`'s `Release`: the value is gone (moved out).
        unsafe { slot::release_weak_after_death::<F>(object) };
    } else {
        // SAFETY: as in `die`'s `Release`.
        unsafe { header::dealloc::<T::Slot, T>(object) };
    }
    value
}

/// The death sequence of an object of type `T`.
///
/// # Safety
///
/// `object` is an object of type `T` whose strong count just reached zero
/// (so every write through its handles happens before this call); called
/// once.
unsafe fn die<T: Weakable, F: Flavor>(object: ObjAddr) {
    /// Releases the allocation even if the value's `Drop` panics.
    struct Release<T: Weakable, F: Flavor>(ObjAddr, PhantomData<(T, F)>);
    impl<T: Weakable, F: Flavor> Drop for Release<T, F> {
        fn drop(&mut self) {
            if T::Slot::HAS_WEAKREFS {
                // SAFETY: `T` has a `WeakrefSlot`; the strong count is zero,
                // the value dropped (or its drop unwound, which counts as
                // dropped), and the strong side's weak count is ours.
                unsafe { slot::release_weak_after_death::<F>(self.0) };
            } else {
                // SAFETY: no ref can point at an object without a slot, so
                // nothing else holds this memory; `T` is its type.
                unsafe { header::dealloc::<T::Slot, T>(self.0) };
            }
        }
    }

    if T::Slot::HAS_WEAKREFS {
        // SAFETY: `T`'s slot is a `WeakrefSlot`, the allocation is alive
        // (the strong side's weak count is not released yet), and this is
        // the one death.
        unsafe { slot::clear::<F>(object) };
    }
    let release = Release::<T, F>(object, PhantomData);
    // SAFETY: the strong count is zero and stays zero, no ref can upgrade,
    // and the callbacks are done: nobody else can reach the value, which
    // is still initialised. It is dropped exactly once, here.
    unsafe { ptr::drop_in_place(object.as_ptr().cast::<T>().as_ptr()) };
    drop(release);
}
