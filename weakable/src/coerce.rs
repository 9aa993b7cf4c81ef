//! Trait-object views of objects: `Obj<dyn Listener>` from `Obj<Image>`,
//! on stable Rust.

/// `Self` is a view (usually `dyn Trait`) that objects of type `T` can be
/// seen through: `*const T` unsizes to `*const Self`.
///
/// On stable Rust a user-defined pointer cannot implement `CoerceUnsized`,
/// so `Obj<Image>` does not turn into `Obj<dyn Listener>` by itself. The
/// [`weakable_dyn!`](crate::weakable_dyn) macro implements this trait (and
/// [`Weakable`](crate::Weakable) for the trait object type) with the
/// compiler's own coercion, once per trait; after that
/// [`Obj::unsize`](crate::Obj::unsize), [`Ref::unsize`](crate::Ref::unsize)
/// and [`Proxy::unsize`](crate::Proxy::unsize) convert in one line.
///
/// # Safety
///
/// `coerce` must return its argument, unsized: the same address, with
/// metadata describing the value at that address as a `Self`. Implement it
/// as `fn coerce(ptr: *const T) -> *const Self { ptr }`, which only
/// compiles when that coercion exists, and nothing else.
///
/// # Examples
///
/// ```
/// use weakable::{weakable_dyn, CoerceFrom, Obj, Weakable};
///
/// trait Shape {
///     fn area(&self) -> f64;
/// }
/// weakable_dyn!(dyn Shape);
///
/// #[derive(Weakable)]
/// struct Square(f64);
/// impl Shape for Square {
///     fn area(&self) -> f64 {
///         self.0 * self.0
///     }
/// }
///
/// fn views<T, U: ?Sized + CoerceFrom<T>>() {}
/// views::<Square, dyn Shape>();
/// let s: Obj<dyn Shape> = Obj::unsize(Obj::new(Square(2.0)));
/// assert_eq!(s.area(), 4.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "cannot view `{T}` objects as `{Self}`",
    label = "`{Self}` is not a view of `{T}`",
    note = "declare the view once with `weakable::weakable_dyn!({Self})`; a `#[weakable(no_weakref)]` type needs a view declared with `weakable_dyn!(no_weakref ..)`"
)]
pub unsafe trait CoerceFrom<T: ?Sized> {
    /// Unsizes `ptr`.
    fn coerce(ptr: *const T) -> *const Self;
}

/// Makes a trait's objects usable as `Obj<dyn Trait>`, `Ref<dyn Trait>`,
/// `Proxy<dyn Trait>` and in weak collections: one line per trait object
/// type.
///
/// `weakable_dyn!(dyn Listener)` implements [`Weakable`](crate::Weakable)
/// and [`WeakRefable`](crate::WeakRefable) for `dyn Listener` and
/// [`CoerceFrom<T>`](CoerceFrom) for every weakly referenceable `T:
/// Listener`, so that `Obj::unsize(image)` gives an `Obj<dyn Listener>`
/// sharing the object, its `__weakref__` slot and its counts.
/// `weakable_dyn!(no_weakref dyn Shape)` makes a view of objects without
/// a slot instead: weak references through it do not compile, and objects
/// with a slot cannot be viewed through it.
///
/// Name the auto traits you need (`dyn Listener + Send + Sync`) to make the
/// view's handles `Send`/`Sync`; each spelling is its own type and needs its
/// own line. A generic trait works too: `weakable_dyn!(dyn Handler<Event>)`.
///
/// `weakable_dyn!(upcast dyn Widget => dyn Listener)` lets a view become a
/// view of a supertrait (`trait Widget: Listener`), as `Arc<dyn Widget>`
/// coerces to `Arc<dyn Listener>` (trait upcasting, Rust 1.86): one line
/// per pair of views, both declared with `weakable_dyn!` and both with a
/// slot or both without.
///
/// ```
/// use weakable::{weakable_dyn, Obj, Ref, Weakable};
///
/// trait Listener {
///     fn heard(&self) -> &'static str;
/// }
/// trait Widget: Listener {
///     fn draw(&self) -> String;
/// }
/// weakable_dyn!(dyn Listener);
/// weakable_dyn!(dyn Widget);
/// weakable_dyn!(upcast dyn Widget => dyn Listener);
///
/// #[derive(Weakable)]
/// struct Button;
/// impl Listener for Button {
///     fn heard(&self) -> &'static str {
///         "click"
///     }
/// }
/// impl Widget for Button {
///     fn draw(&self) -> String {
///         "[ok]".into()
///     }
/// }
///
/// let w: Obj<dyn Widget> = Obj::unsize(Obj::new(Button));
/// let r: Ref<dyn Widget> = Ref::new(&w);
/// let l: Obj<dyn Listener> = Obj::unsize(w.clone());
/// let rl: Ref<dyn Listener> = Ref::unsize(r);
/// assert_eq!((w.draw(), l.heard()), ("[ok]".to_string(), "click"));
/// assert!(Obj::ptr_eq(&rl.upgrade().unwrap(), &l));
/// ```
///
/// What stays impossible: a view cannot become a view of a trait that is
/// not a supertrait (no cross-casting: `dyn Listener` to `dyn Widget`
/// needs [`Obj::downcast`](crate::flavor::Obj::downcast) to the concrete
/// type first), objects without a slot cannot be seen through a view with
/// one (nor the reverse), and a view always needs its declaration, since
/// stable Rust lets no user type implement `CoerceUnsized`.
///
/// `weakable_dyn!(identity dyn Listener)` also gives the trait object
/// Python's default equality and hash, by identity (an object equals only
/// itself), so that it can go in a [`WeakSet`](crate::WeakSet) or be a
/// [`WeakKeyDictionary`](crate::WeakKeyDictionary) key: the collections
/// compare elements with `Eq` and `Hash`, and a trait object has none of its
/// own.
///
/// Objects of a `#[weakable(no_weakref)]` type cannot be seen through a
/// view with a slot, so they cannot be weakly referenced that way either:
///
/// ```compile_fail
/// use weakable::{weakable_dyn, Obj, Weakable};
///
/// trait Listener {}
/// weakable_dyn!(dyn Listener);
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref)]
/// struct Point;
/// impl Listener for Point {}
///
/// let p: Obj<dyn Listener> = Obj::unsize(Obj::new(Point)); // error
/// ```
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use weakable::{getweakrefcount, weakable_dyn, Obj, Ref, Weakable};
///
/// trait Listener: Send + Sync {
///     fn notify(&self, event: &str);
/// }
/// weakable_dyn!(dyn Listener);
///
/// #[derive(Weakable, Default)]
/// struct Counter(AtomicUsize);
/// impl Listener for Counter {
///     fn notify(&self, _: &str) {
///         self.0.fetch_add(1, Ordering::SeqCst);
///     }
/// }
///
/// let counter = Obj::new(Counter::default());
/// let listener: Obj<dyn Listener> = Obj::unsize(counter.clone());
/// listener.notify("hello");
/// assert_eq!(counter.0.load(Ordering::SeqCst), 1);
///
/// // One object, one slot: refs through either view are counted together.
/// let r1 = Ref::new(&counter);
/// let r2: Ref<dyn Listener> = Ref::new(&listener);
/// assert_eq!(getweakrefcount(&counter), 1); // the same basic ref
/// assert!(format!("{r2:?}").contains("to 'Counter' at"));
/// drop((counter, listener));
/// assert!(r1.upgrade().is_none() && r2.upgrade().is_none());
/// ```
#[macro_export]
macro_rules! weakable_dyn {
    (identity dyn $($bounds:tt)+) => {
        $crate::weakable_dyn!(dyn $($bounds)+);

        // Python's default `__eq__` and `__hash__`: an object is equal only
        // to itself.
        impl ::core::cmp::PartialEq for dyn $($bounds)+ {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                ::core::ptr::addr_eq(self, other)
            }
        }
        impl ::core::cmp::Eq for dyn $($bounds)+ {}
        impl ::core::hash::Hash for dyn $($bounds)+ {
            #[inline]
            fn hash<__H: ::core::hash::Hasher>(&self, state: &mut __H) {
                ::core::hash::Hash::hash(&(self as *const Self).cast::<()>(), state);
            }
        }
    };
    (upcast $from:ty => $to:ty) => {
        // SAFETY: `coerce` is the compiler's trait-upcasting coercion and
        // nothing else: it compiles only if `$from`'s trait has `$to`'s as
        // a supertrait.
        unsafe impl $crate::CoerceFrom<$from> for $to {
            #[inline]
            fn coerce(ptr: *const $from) -> *const Self {
                ptr
            }
        }
    };
    (no_weakref dyn $($bounds:tt)+) => {
        $crate::__weakable_dyn!($crate::NoSlot, dyn $($bounds)+);
    };
    (dyn $($bounds:tt)+) => {
        $crate::__weakable_dyn!($crate::WeakrefSlot, dyn $($bounds)+);
        impl $crate::WeakRefable for dyn $($bounds)+ {}
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __weakable_dyn {
    ($slot:ty, dyn $($bounds:tt)+) => {
        impl $crate::Weakable for dyn $($bounds)+ {
            type Slot = $slot;
            const NAME: &'static str = ::core::stringify!(dyn $($bounds)+);
        }

        // SAFETY: `coerce` is the compiler's unsizing coercion and nothing
        // else: it compiles only if `__T: $bounds`.
        unsafe impl<__T> $crate::CoerceFrom<__T> for dyn $($bounds)+
        where
            __T: $($bounds)+,
            __T: $crate::Weakable<Slot = $slot> + 'static,
        {
            #[inline]
            fn coerce(ptr: *const __T) -> *const Self {
                ptr
            }
        }
    };
}

// The built-in views for downcasting (`Obj::downcast`): `dyn Any + Send +
// Sync` for the sync flavour's shared objects, `dyn Any` for objects that
// are not `Send + Sync` (the unsync flavour's usual case). Both are views
// of objects with a `__weakref__` slot.
crate::weakable_dyn!(dyn core::any::Any + Send + Sync);
crate::weakable_dyn!(dyn core::any::Any);

mod sealed {
    pub trait Sealed {}
    impl Sealed for dyn core::any::Any + Send + Sync {}
    impl Sealed for dyn core::any::Any {}
}

/// The built-in views that [`Obj::downcast`](crate::flavor::Obj::downcast)
/// turns back into a concrete type: `dyn Any + Send + Sync` and `dyn Any`.
///
/// Sealed: implemented for exactly those two.
///
/// # Examples
///
/// ```
/// use std::any::Any;
/// use weakable::{AnyView, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Image(u32);
///
/// let any: Obj<dyn Any + Send + Sync> = Obj::unsize(Obj::new(Image(3)));
/// assert!(any.is::<Image>());
/// ```
pub trait AnyView: sealed::Sealed + crate::Weakable {
    /// Whether the object's concrete type is `T`.
    fn is<T: core::any::Any>(&self) -> bool;
}

impl AnyView for dyn core::any::Any + Send + Sync {
    fn is<T: core::any::Any>(&self) -> bool {
        <dyn core::any::Any>::is::<T>(self)
    }
}

impl AnyView for dyn core::any::Any {
    fn is<T: core::any::Any>(&self) -> bool {
        <dyn core::any::Any>::is::<T>(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::thread;

    use crate::{getweakrefcount, getweakrefs, Obj, Ref, WeakValueDictionary, Weakable};

    trait Plugin: Send + Sync {
        fn name(&self) -> String;
    }
    weakable_dyn!(dyn Plugin);

    type Log = Arc<Mutex<Vec<String>>>;

    #[derive(Weakable)]
    struct Audio(Log);
    #[derive(Weakable)]
    #[weakable(name = "VideoPlugin")]
    struct Video(Log, #[allow(dead_code)] [u64; 4]);

    impl Plugin for Audio {
        fn name(&self) -> String {
            "audio".into()
        }
    }
    impl Plugin for Video {
        fn name(&self) -> String {
            "video".into()
        }
    }
    impl Drop for Audio {
        fn drop(&mut self) {
            self.0.lock().unwrap().push("drop audio".into());
        }
    }
    impl Drop for Video {
        fn drop(&mut self) {
            self.0.lock().unwrap().push("drop video".into());
        }
    }

    fn record<T: ?Sized>(log: &Log, what: &'static str) -> impl FnOnce(&Ref<T>) + Send + 'static {
        let log = log.clone();
        move |_| log.lock().unwrap().push(what.into())
    }

    #[test]
    fn refs_through_two_views_share_one_slot() {
        let log = Log::default();
        let video = Obj::new(Video(log.clone(), [0; 4]));
        let plugin: Obj<dyn Plugin> = Obj::unsize(video.clone());
        let a = Ref::with_callback(&video, record(&log, "concrete 1"));
        let b: Ref<dyn Plugin> = Ref::with_callback(&plugin, record(&log, "dyn 2"));
        let c = Ref::with_callback(&video, record(&log, "concrete 3"));
        assert_eq!(getweakrefcount(&video), 3);
        assert_eq!(getweakrefcount(&plugin), 3);
        assert_eq!(getweakrefs(&plugin).len(), 3);
        assert!(format!("{b:?}").contains("to 'VideoPlugin' at"));
        assert_eq!(b.upgrade().unwrap().name(), "video");
        drop(video);
        assert!(a.is_alive() && b.is_alive());
        drop(plugin);
        assert!(!a.is_alive() && !b.is_alive() && !c.is_alive());
        assert_eq!(
            *log.lock().unwrap(),
            ["concrete 3", "dyn 2", "concrete 1", "drop video"]
        );
    }

    #[test]
    fn a_dictionary_of_plugins_of_mixed_types() {
        let log = Log::default();
        let registry: WeakValueDictionary<String, dyn Plugin> = WeakValueDictionary::new();
        let audio: Obj<dyn Plugin> = Obj::unsize(Obj::new(Audio(log.clone())));
        let video: Obj<dyn Plugin> = Obj::unsize(Obj::new(Video(log.clone(), [1; 4])));
        for p in [&audio, &video] {
            registry.insert(p.name(), p);
        }
        assert_eq!(registry.len(), 2);
        assert_eq!(registry.get("video").unwrap().name(), "video");
        drop(audio);
        assert_eq!(registry.keys().collect::<Vec<_>>(), ["video"]);
        drop(video);
        assert!(registry.is_empty());
        assert_eq!(*log.lock().unwrap(), ["drop audio", "drop video"]);
    }

    #[test]
    fn plugins_die_on_one_thread_while_another_uses_the_registry() {
        let log = Log::default();
        let registry: Arc<WeakValueDictionary<usize, dyn Plugin>> =
            Arc::new(WeakValueDictionary::new());
        let n = if cfg!(miri) { 6 } else { 200 };
        let plugins: Vec<Obj<dyn Plugin>> = (0..n)
            .map(|i| -> Obj<dyn Plugin> {
                if i % 2 == 0 {
                    Obj::unsize(Obj::new(Audio(log.clone())))
                } else {
                    Obj::unsize(Obj::new(Video(log.clone(), [i as u64; 4])))
                }
            })
            .collect();
        for (i, p) in plugins.iter().enumerate() {
            registry.insert(i, p);
        }
        let user = {
            let registry = registry.clone();
            thread::spawn(move || {
                let mut calls = 0;
                while !registry.is_empty() {
                    for p in registry.values() {
                        calls += usize::from(!p.name().is_empty());
                    }
                }
                calls
            })
        };
        let dropper = thread::spawn(move || drop(plugins));
        dropper.join().unwrap();
        user.join().unwrap();
        assert!(registry.is_empty());
        assert_eq!(log.lock().unwrap().len(), n);
    }

    trait Listener: Send + Sync {
        fn notify(&self, event: &str);
    }
    weakable_dyn!(identity dyn Listener);

    #[derive(Weakable, Default)]
    struct Tally(std::sync::atomic::AtomicUsize);
    impl Listener for Tally {
        fn notify(&self, _: &str) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[derive(Weakable, Default)]
    struct Journal(Mutex<Vec<String>>);
    impl Listener for Journal {
        fn notify(&self, event: &str) {
            self.0.lock().unwrap().push(event.into());
        }
    }

    #[test]
    fn a_set_of_listeners_of_two_types_that_die_one_by_one() {
        let set: crate::WeakSet<dyn Listener> = crate::WeakSet::new();
        let tallies: Vec<Obj<Tally>> = (0..3).map(|_| Obj::new(Tally::default())).collect();
        let journal = Obj::new(Journal::default());
        for t in &tallies {
            assert!(set.insert(&Obj::unsize(t.clone())));
        }
        assert!(set.insert(&Obj::unsize(journal.clone())));
        // Identity: the same object again is not added twice.
        assert!(!set.insert(&Obj::unsize(journal.clone())));
        assert_eq!(set.len(), 4);
        let mut tallies = tallies;
        while let Some(t) = tallies.pop() {
            drop(t);
            assert_eq!(set.len(), tallies.len() + 1);
            for l in set.iter() {
                l.notify("tick");
            }
        }
        assert_eq!(journal.0.lock().unwrap().len(), 3);
        drop(journal);
        assert!(set.is_empty());
    }

    #[test]
    fn listeners_dropped_on_one_thread_while_another_notifies() {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let set: Arc<crate::WeakSet<dyn Listener>> = Arc::new(crate::WeakSet::new());
        let n = if cfg!(miri) { 6 } else { 300 };
        let listeners: Vec<Obj<dyn Listener>> = (0..n)
            .map(|i| -> Obj<dyn Listener> {
                if i % 2 == 0 {
                    Obj::unsize(Obj::new(Tally::default()))
                } else {
                    Obj::unsize(Obj::new(Journal::default()))
                }
            })
            .collect();
        for l in &listeners {
            set.insert(l);
        }
        let done = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (set, done) = (set.clone(), done.clone());
            thread::spawn(move || {
                while !done.load(SeqCst) {
                    for l in set.iter() {
                        l.notify("event");
                    }
                }
            })
        };
        let dropper = thread::spawn(move || {
            for l in listeners {
                drop(l);
                thread::yield_now();
            }
        });
        dropper.join().unwrap();
        done.store(true, SeqCst);
        notifier.join().unwrap();
        assert!(set.is_empty());
    }
}
