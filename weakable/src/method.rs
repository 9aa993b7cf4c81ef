//! `WeakMethod<T, A, R>`, Python's `weakref.WeakMethod`: a weak reference
//! to a bound method, and [`BoundMethod`], what it upgrades to.
//!
//! # Design
//!
//! A Python bound method is a pair (object, function) made afresh on every
//! attribute access, so a plain weak ref to one dies at once; `WeakMethod`
//! holds the pair weakly instead. Here the object is held by a [`Ref<T>`]
//! and the function is one of:
//!
//! - a function pointer `fn(&T, A) -> R` (a method `Type::method`), or
//!   `fn(&T) -> R` for methods without arguments (then `A = ()`): always
//!   alive, compared by address;
//! - a function *object*, any `Obj<U>` with `U: Call<(&T, A), Output = R>`
//!   (for example an `Obj<Func<F>>`), held by a `Ref<U>` behind a trait
//!   object: the method is dead as soon as either object dies, as CPython's
//!   is when its function is deleted from the class.
//!
//! All three kinds share the one type `WeakMethod<T, A, R>`, so they can sit
//! in one collection and compare.
//!
//! A method taking its argument by reference, `fn(&T, &E) -> R`, must be
//! callable with a borrow of any lifetime, which no sized `A` expresses
//! (`A = &'x E` fixes one lifetime). `A` is therefore any type implementing
//! [`MethodArgs`]: every sized type, as itself, and the unsized marker
//! [`ByRef<E>`], whose function pointer is the higher-ranked `fn(&T, &E) ->
//! R` and whose call argument is `&'a E` for each call's own `'a`
//! (`MethodArgs::Arg<'a>`). Being unsized keeps `ByRef`'s impls apart from
//! the blanket ones for sized types, so no specialisation is needed; `new`
//! keeps `fn(&T, A) -> R` (so `A` is still inferred from the method) and
//! the by-reference kinds have their own constructors (`by_ref*`), since a
//! method taking `&E` fits both readings and inference could not choose. The
//! function-object kind calls through the private `CallMethod`, which is
//! `Call<(&T, A)>` or, for `ByRef<E>`, `Call<(&T, &E)>` for every lifetime. The handle is a shared pointer to the
//! shared state (`Arc` in the sync flavour, `Rc` in the unsync one:
//! `Flavor::Shared`), which gives clones one identity (what `==` falls back
//! to once dead) and an address for `Debug`.
//!
//! A user callback sits in a cell shared by the death callbacks of both
//! refs (behind the flavour's lock: a mutex in sync, a `RefCell` in
//! unsync), which also hold a weak pointer to the shared state (to hand the
//! callback its `WeakMethod`). Whichever referent dies first takes the
//! callback out and calls it; the other finds it gone. Dropping every handle
//! drops the refs, which cancels both death callbacks: no reference cycle, as
//! with CPython's "self-weakref trick". The shared state itself is immutable
//! (no lock inside), so a `WeakMethod` is a well-behaved map key.
//!
//! Written once for both flavours: `F` picks the pointer, the lock and the
//! refs' flavour. The only flavour-specific code is the `Send`/`Sync`
//! argument for the sync flavour's type-erased parts (the function object
//! and the callback), whose bounds are checked where they are made.

use core::any::Any;
use core::fmt;
use core::hash::{BuildHasher, Hash, Hasher};
use core::marker::PhantomData;

use alloc::boxed::Box;

use crate::func::Call;
use crate::obj::Obj;
use crate::reference::Ref;
use crate::rt::flavor::sealed::{Lock, SharedPtr, WeakPtr as _};
use crate::rt::flavor::{Flavor, Sendable, Shareable, Sync};
use crate::traits::WeakRefable;

/// A weak reference to a bound method, Python's `weakref.WeakMethod`.
///
/// `obj.method` in Python makes a new bound-method object each time, so a
/// plain weak ref to it dies at once. A `WeakMethod` instead holds the object
/// weakly (a [`Ref<T>`]) together with the function, and
/// [`upgrade`](WeakMethod::upgrade) binds them again into a callable
/// [`BoundMethod`] while the object lives.
///
/// The function is a function pointer `fn(&T, A) -> R` ([`WeakMethod::new`]
/// with `Type::method`), `fn(&T) -> R` for a method without arguments
/// ([`WeakMethod::nullary`], then `A = ()`), or a function object, an
/// `Obj<U>` of a type that implements [`Call<(&T, A)>`](Call)
/// ([`WeakMethod::with_function`]). The last kind is dead as soon as either
/// the object or the function object dies, as a CPython `WeakMethod` dies
/// when its method is deleted from the class. All kinds share the one type
/// `WeakMethod<T, A, R>`.
///
/// A method taking its argument by reference, `fn(&self, e: &Event) -> R`,
/// an event handler, is a `WeakMethod<T, ByRef<Event>, R>`, made by
/// [`WeakMethod::by_ref`]: its bound method is called with a `&Event` of
/// any lifetime, and the type names no lifetime, so an emitter can keep a
/// `Vec` of them (see [`ByRef`]).
///
/// It has the flavour `F` of its object: `weakable::WeakMethod` (and
/// `weakable::sync::WeakMethod`) is the sync one, `Send + Sync` when `T`
/// is; `weakable::unsync::WeakMethod` is the single-threaded one, whose
/// callbacks and function objects need not be `Send` or `Sync`.
///
/// # Equality and hashing
///
/// Two live `WeakMethod`s are equal when they bind the same object
/// ([`Obj::ptr_eq`]) to the same function (the same function pointer, or the
/// same function object). CPython compares the objects with `==`; weakable
/// compares identity, so `T` need not be `PartialEq`. A dead one (its object
/// or its function object died) is equal only to itself and its clones.
///
/// The hash is taken from those identities when the `WeakMethod` is made and
/// kept, so a dead one hashes as it did alive, and hashing never fails (in
/// CPython, hashing a dead one that was never hashed raises `TypeError`:
/// there the hash is the object's, here identity needs no live object).
///
/// Function pointers are compared by address, as
/// [`std::ptr::fn_addr_eq`] does, with the same caveats: Rust does not
/// promise that a function has one address. The compiler may merge two
/// functions with identical bodies, or give one function (generic, or
/// `#[inline]` across crates) an address per codegen unit; a plain method of
/// your crate has one address in practice. Miri, which checks for code that
/// relies on this, gives each cast `Type::method as fn(..)` its own address.
/// Where equality matters, make the function pointer once and pass that
/// (`let m: fn(&T, A) -> R = T::method;`), as the examples below do.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakMethod, Weakable};
///
/// #[derive(Weakable)]
/// struct Counter {
///     step: u32,
/// }
///
/// impl Counter {
///     fn advance(&self, from: u32) -> u32 {
///         from + self.step
///     }
/// }
///
/// let c = Obj::new(Counter { step: 5 });
/// let m = WeakMethod::new(&c, Counter::advance);
/// assert_eq!(m.upgrade().map(|bound| bound.call(1)), Some(6));
/// drop(c);
/// assert!(m.upgrade().is_none());
/// ```
pub struct WeakMethod<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor = Sync> {
    inner: F::Shared<Inner<T, A, R, F>>,
}

/// The weak pointer to a `WeakMethod`'s shared state.
type WeakInner<T, A, R, F> =
    <<F as Flavor>::Shared<Inner<T, A, R, F>> as SharedPtr<Inner<T, A, R, F>>>::Weak;

/// What `WeakMethod`'s clones share.
struct Inner<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    /// The object the method is bound to.
    obj: Ref<T, (), F>,
    func: WeakFn<T, A, R, F>,
    /// The object's identity and type name, for `Debug`.
    obj_id: usize,
    type_name: &'static str,
    /// The hash of (function kind, object identity, function identity),
    /// taken at creation.
    hash: u64,
    /// Whether it was made with a callback. The callback itself lives in the
    /// refs' death callbacks (a [`CallbackCell`] they share), not here: all
    /// of `Inner` is immutable, so a `WeakMethod` is a fine map key.
    has_callback: bool,
}

/// The user's callback. Made only by `build_with_callback`, from a
/// `C: Sendable<F>`.
struct MethodCallback<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor>(
    Box<MethodCallbackFn<T, A, R, F>>,
);

type MethodCallbackFn<T, A, R, F> = dyn FnOnce(&WeakMethod<T, A, R, F>);

// SAFETY: the box holds a `C: Sendable<Sync>`, that is `Send` (see
// `MethodCallback`); the sync flavour's type is the only one given `Send`.
unsafe impl<T: ?Sized, A: ?Sized + MethodArgs, R> Send for MethodCallback<T, A, R, Sync> {}

/// The user's callback, shared by the death callbacks of a `WeakMethod`'s
/// two refs. Invariant: `Some` until the first of them ran.
type CallbackCell<T, A, R, F> = <F as Flavor>::Lock<Option<MethodCallback<T, A, R, F>>>;

/// The function half of a `WeakMethod`.
enum WeakFn<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    /// `fn(&T, A) -> R`, or `fn(&T, &E) -> R` for `A = ByRef<E>`.
    Unary(A::Method<T, R>),
    Nullary(fn(&T) -> R),
    Object {
        /// A `Ref<U, (), F>` with `U: Shareable<F>`, as `with_function*`
        /// ask: nothing else makes this variant.
        func: Box<dyn WeakFuncObj<T, A, R, F>>,
        id: usize,
    },
}

/// The function half of a `BoundMethod`.
enum BoundFn<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    Unary(A::Method<T, R>),
    Nullary(fn(&T) -> R),
    /// An `Obj<U, F>` upgraded from `WeakFn::Object`'s ref.
    Object(Box<dyn StrongFuncObj<T, A, R, F>>),
}

// SAFETY: function pointers are `Send + Sync`; the boxed function object is
// a `Ref<U, (), Sync>` with `U: Shareable<Sync>`, i.e. `Send + Sync` (the
// only `WeakFuncObj` impl asks for it, so no other box can exist), which
// is `Send + Sync` itself. Only the sync flavour's type is given them.
unsafe impl<T: ?Sized, A: ?Sized + MethodArgs, R> Send for WeakFn<T, A, R, Sync> {}
// SAFETY: as for `Send` above.
unsafe impl<T: ?Sized, A: ?Sized + MethodArgs, R> core::marker::Sync for WeakFn<T, A, R, Sync> {}
// SAFETY: as for `WeakFn`: the box holds an `Obj<U, Sync>` with `U:
// Shareable<Sync>` (the only `StrongFuncObj` impl asks for it), which is
// `Send + Sync` itself.
unsafe impl<T: ?Sized, A: ?Sized + MethodArgs, R> Send for BoundFn<T, A, R, Sync> {}
// SAFETY: as for `Send` above.
unsafe impl<T: ?Sized, A: ?Sized + MethodArgs, R> core::marker::Sync for BoundFn<T, A, R, Sync> {}

/// A weakly held function object (a `Ref<U, (), F>`), its type erased.
trait WeakFuncObj<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    fn upgrade(&self) -> Option<Box<dyn StrongFuncObj<T, A, R, F>>>;
    fn is_alive(&self) -> bool;
}

/// A strongly held function object (an `Obj<U, F>`), its type erased.
trait StrongFuncObj<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    fn call<'a>(&self, this: &T, args: A::Arg<'a>) -> R
    where
        A: 'a;
    fn id(&self) -> usize;
    fn as_any(&self) -> &dyn Any;
    fn clone_box(&self) -> Box<dyn StrongFuncObj<T, A, R, F>>;
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, U, F: Flavor> WeakFuncObj<T, A, R, F> for Ref<U, (), F>
where
    U: CallMethod<T, A, R> + Shareable<F> + 'static,
{
    fn upgrade(&self) -> Option<Box<dyn StrongFuncObj<T, A, R, F>>> {
        Ref::upgrade(self).map(|f| Box::new(f) as Box<dyn StrongFuncObj<T, A, R, F>>)
    }

    fn is_alive(&self) -> bool {
        Ref::is_alive(self)
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, U, F: Flavor> StrongFuncObj<T, A, R, F> for Obj<U, F>
where
    U: CallMethod<T, A, R> + Shareable<F> + 'static,
{
    fn call<'a>(&self, this: &T, args: A::Arg<'a>) -> R
    where
        A: 'a,
    {
        (**self).call_method(this, args)
    }

    fn id(&self) -> usize {
        Obj::id(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn StrongFuncObj<T, A, R, F>> {
        Box::new(self.clone())
    }
}

/// How the method of a [`WeakMethod<T, A, R>`](WeakMethod) takes its
/// argument: every sized `A` as itself (the method is a `fn(&T, A) -> R`),
/// and [`ByRef<E>`] by a borrow of any lifetime (the method is a
/// `fn(&T, &E) -> R`).
///
/// It is what [`BoundMethod::call`] takes ([`Arg<'a>`](MethodArgs::Arg):
/// `A`, or `&'a E`) and what a method's function pointer is
/// ([`Method<T, R>`](MethodArgs::Method)). It is sealed: these are its only
/// implementations.
///
/// # Examples
///
/// ```
/// use weakable::{ByRef, MethodArgs};
///
/// struct Event;
///
/// // What `BoundMethod::call` takes.
/// let _: <u32 as MethodArgs>::Arg<'_> = 7_u32;
/// let event = Event;
/// let _: <ByRef<Event> as MethodArgs>::Arg<'_> = &event;
/// // The methods' function pointers.
/// let _: <u32 as MethodArgs>::Method<str, usize> = |s: &str, n: u32| s.len() + n as usize;
/// let _: <ByRef<Event> as MethodArgs>::Method<str, usize> = |s: &str, _: &Event| s.len();
/// ```
pub trait MethodArgs: sealed::Sealed {
    /// The argument of [`BoundMethod::call`] when a borrow in it lives for
    /// `'a`: `A` itself, or `&'a E` for [`ByRef<E>`].
    type Arg<'a>
    where
        Self: 'a;

    /// The function pointer of a method of `T` returning `R`: `fn(&T, A) ->
    /// R`, or `fn(&T, &E) -> R` for [`ByRef<E>`] (both borrows of any
    /// lifetime).
    type Method<T: ?Sized, R>: Copy;

    /// Calls `method` on `this`.
    #[doc(hidden)]
    fn call_method<'a, T: ?Sized, R>(method: Self::Method<T, R>, this: &T, arg: Self::Arg<'a>) -> R
    where
        Self: 'a;

    /// The address of `method`, its identity.
    #[doc(hidden)]
    fn method_addr<T: ?Sized, R>(method: Self::Method<T, R>) -> usize;
}

impl<A> MethodArgs for A {
    type Arg<'a>
        = A
    where
        A: 'a;
    type Method<T: ?Sized, R> = fn(&T, A) -> R;

    #[inline]
    fn call_method<'a, T: ?Sized, R>(method: fn(&T, A) -> R, this: &T, arg: A) -> R
    where
        A: 'a,
    {
        method(this, arg)
    }

    fn method_addr<T: ?Sized, R>(method: fn(&T, A) -> R) -> usize {
        method as usize
    }
}

/// The argument marker of a method that takes its argument by reference,
/// `fn(&self, &E) -> R`: a `WeakMethod<T, ByRef<E>, R>`, made by
/// [`WeakMethod::by_ref`], upgrades to a [`BoundMethod`] whose
/// [`call`](BoundMethod::call) takes a `&E` of any lifetime.
///
/// [`WeakMethod::new`] gives such a method the type `WeakMethod<T, &'x E,
/// R>` for one lifetime `'x`: it works while the events outlive the weak
/// method, but not for an emitter that keeps its handlers and calls them
/// with borrows of short-lived events. `ByRef<E>` names the method that
/// takes a borrow of every lifetime, so that type needs no lifetime at all.
/// It is only a marker: no value of it exists (it is unsized, which is also
/// what keeps it apart from the sized argument types).
///
/// # Examples
///
/// An event bus keeping its handlers weakly:
///
/// ```
/// use std::cell::{Cell, RefCell};
/// use weakable::unsync::{Obj, WeakMethod};
/// use weakable::{ByRef, Weakable};
///
/// struct Event {
///     clicks: u32,
/// }
///
/// #[derive(Weakable)]
/// struct Counter {
///     total: Cell<u32>,
/// }
///
/// impl Counter {
///     fn on_event(&self, e: &Event) {
///         self.total.set(self.total.get() + e.clicks);
///     }
/// }
///
/// #[derive(Default)]
/// struct Bus {
///     handlers: RefCell<Vec<WeakMethod<Counter, ByRef<Event>, ()>>>,
/// }
///
/// impl Bus {
///     fn emit(&self, clicks: u32) {
///         let event = Event { clicks }; // a local, borrowed by each call
///         self.handlers.borrow_mut().retain(|h| match h.upgrade() {
///             Some(handler) => {
///                 handler.call(&event);
///                 true
///             }
///             None => false, // its object died: forget it
///         });
///     }
/// }
///
/// let bus = Bus::default();
/// let c = Obj::new(Counter { total: Cell::new(0) });
/// bus.handlers.borrow_mut().push(WeakMethod::by_ref(&c, Counter::on_event));
/// bus.emit(2);
/// bus.emit(3);
/// assert_eq!(c.total.get(), 5);
/// drop(c);
/// bus.emit(1);
/// assert!(bus.handlers.borrow().is_empty());
/// ```
pub struct ByRef<E: ?Sized> {
    _arg: PhantomData<fn(&E)>,
    _unsized: [()],
}

impl<E: ?Sized> MethodArgs for ByRef<E> {
    type Arg<'a>
        = &'a E
    where
        Self: 'a;
    type Method<T: ?Sized, R> = fn(&T, &E) -> R;

    #[inline]
    fn call_method<'a, T: ?Sized, R>(method: fn(&T, &E) -> R, this: &T, arg: &'a E) -> R
    where
        Self: 'a,
    {
        method(this, arg)
    }

    fn method_addr<T: ?Sized, R>(method: fn(&T, &E) -> R) -> usize {
        method as usize
    }
}

mod sealed {
    /// Only `MethodArgs`' own implementations: every sized type and `ByRef`.
    pub trait Sealed {}
    impl<A> Sealed for A {}
    impl<E: ?Sized> Sealed for super::ByRef<E> {}
}

/// A function object callable as a method of `T` with `A`'s argument: a
/// `Call<(&T, A)>`, or, for `ByRef<E>`, a `Call<(&T, &E)>` for borrows of
/// every lifetime. (The impls are apart as `MethodArgs`' are: `ByRef<E>`
/// is unsized.)
trait CallMethod<T: ?Sized, A: ?Sized + MethodArgs, R> {
    fn call_method<'a>(&self, this: &T, arg: A::Arg<'a>) -> R
    where
        A: 'a;
}

impl<T: ?Sized, A, R, U> CallMethod<T, A, R> for U
where
    U: ?Sized + for<'t> Call<(&'t T, A), Output = R>,
{
    fn call_method<'a>(&self, this: &T, arg: A) -> R
    where
        A: 'a,
    {
        self.call((this, arg))
    }
}

impl<T: ?Sized, E: ?Sized, R, U> CallMethod<T, ByRef<E>, R> for U
where
    U: ?Sized + for<'t, 'e> Call<(&'t T, &'e E), Output = R>,
{
    fn call_method<'a>(&self, this: &T, arg: &'a E) -> R
    where
        ByRef<E>: 'a,
    {
        self.call((this, arg))
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> WeakFn<T, A, R, F> {
    /// (kind, identity) of the function.
    fn identity(&self) -> (u8, usize) {
        match self {
            WeakFn::Unary(f) => (0, A::method_addr::<T, R>(*f)),
            WeakFn::Nullary(f) => (1, *f as usize),
            WeakFn::Object { id, .. } => (2, *id),
        }
    }

    fn is_alive(&self) -> bool {
        match self {
            WeakFn::Unary(_) | WeakFn::Nullary(_) => true,
            WeakFn::Object { func, .. } => func.is_alive(),
        }
    }

    fn upgrade(&self) -> Option<BoundFn<T, A, R, F>> {
        Some(match self {
            WeakFn::Unary(f) => BoundFn::Unary(*f),
            WeakFn::Nullary(f) => BoundFn::Nullary(*f),
            WeakFn::Object { func, .. } => BoundFn::Object(func.upgrade()?),
        })
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> BoundFn<T, A, R, F> {
    /// (kind, identity) of the function, as `WeakFn::identity`.
    fn identity(&self) -> (u8, usize) {
        match self {
            BoundFn::Unary(f) => (0, A::method_addr::<T, R>(*f)),
            BoundFn::Nullary(f) => (1, *f as usize),
            BoundFn::Object(f) => (2, f.id()),
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Clone for BoundFn<T, A, R, F> {
    fn clone(&self) -> Self {
        match self {
            BoundFn::Unary(f) => BoundFn::Unary(*f),
            BoundFn::Nullary(f) => BoundFn::Nullary(*f),
            BoundFn::Object(f) => BoundFn::Object(f.clone_box()),
        }
    }
}

impl<T: ?Sized + WeakRefable, A, R, F: Flavor> WeakMethod<T, A, R, F> {
    /// A weak reference to the method `method` bound to `obj`, Python's
    /// `weakref.WeakMethod(obj.method)`: `WeakMethod::new(&obj, Type::method)`.
    ///
    /// The method is held as a function pointer, so every method of one
    /// signature gives the same `WeakMethod` type. A method with several
    /// arguments takes them as one tuple; one without takes
    /// [`nullary`](WeakMethod::nullary). A method taking its argument by
    /// reference, to be called with borrows of any lifetime (an event handler
    /// kept by an emitter), takes [`by_ref`](WeakMethod::by_ref): here it
    /// would be a `WeakMethod<T, &'x E, R>`, whose events must all outlive
    /// one lifetime `'x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Greeter {
    ///     greeting: &'static str,
    /// }
    ///
    /// impl Greeter {
    ///     fn greet(&self, name: String) -> String {
    ///         format!("{} {name}", self.greeting)
    ///     }
    ///     fn shout(&self, name: String) -> String {
    ///         self.greet(name).to_uppercase()
    ///     }
    /// }
    ///
    /// let g = Obj::new(Greeter { greeting: "hello" });
    /// let methods = [WeakMethod::new(&g, Greeter::greet), WeakMethod::new(&g, Greeter::shout)];
    /// let said: Vec<String> = methods
    ///     .iter()
    ///     .filter_map(|m| m.upgrade())
    ///     .map(|bound| bound.call("you".to_string()))
    ///     .collect();
    /// assert_eq!(said, ["hello you", "HELLO YOU"]);
    /// ```
    #[must_use = "a weak method that is never used does nothing"]
    pub fn new(obj: &Obj<T, F>, method: fn(&T, A) -> R) -> WeakMethod<T, A, R, F> {
        WeakMethod::build(obj, Ref::new(obj), WeakFn::Unary(method), false)
    }

    /// A weak reference to the function object `func` bound to `obj`, as a
    /// method: calling the bound method calls `func` with `(&obj, args)`.
    ///
    /// It is dead as soon as `obj` or `func` dies (CPython's `WeakMethod` dies
    /// when its function is deleted from the class). `func` is any object
    /// implementing [`Call<(&T, A)>`](Call), such as a
    /// [`Func`](crate::Func) whose closure takes a `(&T, A)` pair.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Func, Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Account {
    ///     balance: i64,
    /// }
    ///
    /// let acct = Obj::new(Account { balance: 100 });
    /// let fee = Obj::new(Func::new(|(a, pct): (&Account, i64)| a.balance * pct / 100));
    /// let m = WeakMethod::with_function(&acct, &fee);
    /// assert_eq!(m.upgrade().unwrap().call(3), 3);
    ///
    /// drop(fee); // the function dies: so does the method
    /// assert!(!m.is_alive());
    /// assert!(m.upgrade().is_none());
    /// ```
    #[must_use = "a weak method that is never used does nothing"]
    pub fn with_function<U>(obj: &Obj<T, F>, func: &Obj<U, F>) -> WeakMethod<T, A, R, F>
    where
        U: for<'a> Call<(&'a T, A), Output = R> + WeakRefable + Shareable<F> + 'static,
    {
        WeakMethod::function(obj, func)
    }
}

impl<T: ?Sized + WeakRefable, A: ?Sized + MethodArgs, R, F: Flavor> WeakMethod<T, A, R, F> {
    /// A weak method over a function object: `with_function`'s and
    /// `by_ref_with_function`'s.
    fn function<U>(obj: &Obj<T, F>, func: &Obj<U, F>) -> WeakMethod<T, A, R, F>
    where
        U: CallMethod<T, A, R> + WeakRefable + Shareable<F> + 'static,
    {
        let f = WeakFn::Object {
            func: Box::new(Ref::new(func)),
            id: Obj::id(func),
        };
        WeakMethod::build(obj, Ref::new(obj), f, false)
    }

    fn build(
        obj: &Obj<T, F>,
        obj_ref: Ref<T, (), F>,
        func: WeakFn<T, A, R, F>,
        has_callback: bool,
    ) -> WeakMethod<T, A, R, F> {
        WeakMethod {
            inner: SharedPtr::new(Inner::new(obj, obj_ref, func, has_callback)),
        }
    }
}

impl<T: ?Sized + WeakRefable, R, F: Flavor> WeakMethod<T, (), R, F> {
    /// A weak reference to a method without arguments, `fn(&self) -> R`;
    /// the bound method is called with `()`.
    ///
    /// [`WeakMethod::new`] wants `fn(&T, A) -> R`, which a method taking only
    /// `&self` is not; this gives the same `WeakMethod<T, (), R>` type as a
    /// method taking `()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image {
    ///     width: u32,
    /// }
    ///
    /// impl Image {
    ///     fn width(&self) -> u32 {
    ///         self.width
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image { width: 640 });
    /// let m = WeakMethod::nullary(&img, Image::width);
    /// assert_eq!(m.upgrade().unwrap().call(()), 640);
    /// ```
    #[must_use = "a weak method that is never used does nothing"]
    pub fn nullary(obj: &Obj<T, F>, method: fn(&T) -> R) -> WeakMethod<T, (), R, F> {
        WeakMethod::build(obj, Ref::new(obj), WeakFn::Nullary(method), false)
    }
}

impl<T, A, R, F> WeakMethod<T, A, R, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    F: Flavor,
    A: 'static,
    R: 'static,
{
    /// A weak method, as [`WeakMethod::new`], whose `callback` runs once when
    /// it dies: Python's `weakref.WeakMethod(obj.method, callback)`.
    ///
    /// The callback receives this (already dead) `WeakMethod`, on the thread
    /// where the object dies, with no lock held; as with
    /// [`Ref::with_callback`], it never runs if every handle was dropped
    /// first. A panic in it is reported through the
    /// [unraisable hook](crate::set_unraisable_hook) as a
    /// `"WeakMethod callback"`. In the sync flavour the death may happen on
    /// any thread, hence `T: Send + Sync` and a `Send` callback there
    /// (`Shareable<F>`, `Sendable<F>`); the unsync flavour asks for neither.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Button;
    ///
    /// impl Button {
    ///     fn click(&self, times: u32) -> u32 {
    ///         times
    ///     }
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let b = Obj::new(Button);
    /// let m = WeakMethod::with_callback(&b, Button::click, move |m| {
    ///     tx.send(m.is_alive()).unwrap();
    /// });
    /// drop(b);
    /// assert_eq!(rx.try_recv(), Ok(false)); // called once, already dead
    /// # drop(m);
    /// ```
    #[must_use = "dropping the weak method at once cancels its callback"]
    pub fn with_callback<C>(obj: &Obj<T, F>, method: fn(&T, A) -> R, callback: C) -> Self
    where
        C: FnOnce(&WeakMethod<T, A, R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::build_with_callback(obj, |_| WeakFn::Unary(method), callback)
    }

    /// A weak method over a function object, as
    /// [`WeakMethod::with_function`], whose `callback` runs once when the
    /// object or the function object dies, whichever is first; see
    /// [`WeakMethod::with_callback`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use weakable::{Func, Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Doc;
    ///
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let counter = calls.clone();
    /// let doc = Obj::new(Doc);
    /// let save = Obj::new(Func::new(|(_, path): (&Doc, &'static str)| path.len()));
    /// let m = WeakMethod::with_function_and_callback(&doc, &save, move |_| {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    /// });
    /// drop(save); // the function dies first: one call
    /// drop(doc); // then the object: no second call
    /// assert_eq!(calls.load(Ordering::SeqCst), 1);
    /// # drop(m);
    /// ```
    #[must_use = "dropping the weak method at once cancels its callback"]
    pub fn with_function_and_callback<U, C>(obj: &Obj<T, F>, func: &Obj<U, F>, callback: C) -> Self
    where
        U: for<'a> Call<(&'a T, A), Output = R> + WeakRefable + Shareable<F> + 'static,
        C: FnOnce(&WeakMethod<T, A, R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::function_with_callback(obj, func, callback)
    }
}

impl<T, A, R, F> WeakMethod<T, A, R, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    F: Flavor,
    A: ?Sized + MethodArgs + 'static,
    R: 'static,
{
    /// A weak method over a function object with a callback:
    /// `with_function_and_callback`'s and
    /// `by_ref_with_function_and_callback`'s.
    fn function_with_callback<U, C>(obj: &Obj<T, F>, func: &Obj<U, F>, callback: C) -> Self
    where
        U: CallMethod<T, A, R> + WeakRefable + Shareable<F> + 'static,
        C: FnOnce(&WeakMethod<T, A, R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::build_with_callback(
            obj,
            |on_death| {
                let on_death = on_death.clone();
                // `OnDeath` is `Send` in the sync flavour (see its impl).
                let func_ref = Ref::attach(func, (), move |_: &Ref<U, (), F>| on_death.fire());
                WeakFn::Object {
                    func: Box::new(func_ref),
                    id: Obj::id(func),
                }
            },
            callback,
        )
    }

    fn build_with_callback<C>(
        obj: &Obj<T, F>,
        func: impl FnOnce(&OnDeath<T, A, R, F>) -> WeakFn<T, A, R, F>,
        callback: C,
    ) -> Self
    where
        C: FnOnce(&WeakMethod<T, A, R, F>) + Sendable<F> + 'static,
    {
        // `C: Sendable<F>`: `MethodCallback`'s `Send` in the sync flavour.
        let callback = MethodCallback(Box::new(callback));
        let cell: F::Shared<CallbackCell<T, A, R, F>> = SharedPtr::new(Lock::new(Some(callback)));
        // The refs' death callbacks hold the shared state weakly: dropping
        // every handle drops the refs, which cancels them (no cycle).
        let inner = SharedPtr::new_cyclic(|weak: &WeakInner<T, A, R, F>| {
            let on_death = OnDeath {
                inner: weak.clone(),
                callback: cell,
            };
            let func = func(&on_death);
            // `OnDeath` is `Send` in the sync flavour (see its impl).
            let obj_ref = Ref::attach(obj, (), move |_: &Ref<T, (), F>| on_death.fire());
            Inner::new(obj, obj_ref, func, true)
        });
        WeakMethod { inner }
    }
}

impl<T, R, F> WeakMethod<T, (), R, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    F: Flavor,
    R: 'static,
{
    /// A weak method without arguments, as [`WeakMethod::nullary`], whose
    /// `callback` runs once when it dies; see [`WeakMethod::with_callback`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Timer;
    ///
    /// impl Timer {
    ///     fn tick(&self) {}
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let t = Obj::new(Timer);
    /// let m = WeakMethod::nullary_with_callback(&t, Timer::tick, move |_| tx.send("gone").unwrap());
    /// drop(t);
    /// assert_eq!(rx.try_recv(), Ok("gone"));
    /// # drop(m);
    /// ```
    #[must_use = "dropping the weak method at once cancels its callback"]
    pub fn nullary_with_callback<C>(obj: &Obj<T, F>, method: fn(&T) -> R, callback: C) -> Self
    where
        C: FnOnce(&WeakMethod<T, (), R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::build_with_callback(obj, |_| WeakFn::Nullary(method), callback)
    }
}

impl<T: ?Sized + WeakRefable, E: ?Sized, R, F: Flavor> WeakMethod<T, ByRef<E>, R, F> {
    /// A weak reference to a method taking its argument by reference,
    /// `fn(&self, &E) -> R`, bound to `obj`: its bound method is called with
    /// a `&E` of any lifetime, and its type, `WeakMethod<T, ByRef<E>, R>`,
    /// names no lifetime, so an emitter can keep such handlers and call them
    /// with borrows of short-lived events.
    ///
    /// [`WeakMethod::new`] accepts such a method too, but as `fn(&T, &'x E)
    /// -> R` for one lifetime `'x` that every event must outlive: it has to
    /// infer `A` from the method, and a method taking `&E` fits both `A =
    /// &'x E` and `A = ByRef<E>`, so the borrowing form has its own
    /// constructor. Otherwise it is [`new`](WeakMethod::new)'s weak method:
    /// it compares, hashes and upgrades the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use weakable::{ByRef, Obj, WeakMethod, Weakable};
    ///
    /// struct Event {
    ///     clicks: u32,
    /// }
    ///
    /// #[derive(Weakable)]
    /// struct Counter {
    ///     total: AtomicU32,
    /// }
    ///
    /// impl Counter {
    ///     fn on_event(&self, e: &Event) -> u32 {
    ///         self.total.fetch_add(e.clicks, Ordering::Relaxed) + e.clicks
    ///     }
    /// }
    ///
    /// let a = Obj::new(Counter { total: AtomicU32::new(0) });
    /// let b = Obj::new(Counter { total: AtomicU32::new(100) });
    /// let mut handlers: Vec<WeakMethod<Counter, ByRef<Event>, u32>> =
    ///     vec![WeakMethod::by_ref(&a, Counter::on_event), WeakMethod::by_ref(&b, Counter::on_event)];
    /// for clicks in 1..=3 {
    ///     let event = Event { clicks }; // dies at the end of each turn
    ///     let totals: Vec<u32> = handlers.iter().filter_map(|h| Some(h.upgrade()?.call(&event))).collect();
    ///     assert_eq!(totals.len(), 2);
    /// }
    /// assert_eq!(a.total.load(Ordering::Relaxed), 6);
    /// drop(b);
    /// handlers.retain(WeakMethod::is_alive); // prune the dead handler
    /// assert_eq!(handlers.len(), 1);
    /// ```
    #[must_use = "a weak method that is never used does nothing"]
    pub fn by_ref(obj: &Obj<T, F>, method: fn(&T, &E) -> R) -> Self {
        WeakMethod::build(obj, Ref::new(obj), WeakFn::Unary(method), false)
    }

    /// A weak reference to the function object `func` bound to `obj`, as a
    /// method taking its argument by reference: calling the bound method with
    /// a `&E` of any lifetime calls `func` with `(&obj, &E)`. It dies with
    /// either, as [`WeakMethod::with_function`]'s.
    ///
    /// `func` must accept borrows of every lifetime: a [`Func`](crate::Func)
    /// whose closure's argument is written `(&T, &E)`, or a type with
    /// `impl<'t, 'e> Call<(&'t T, &'e E)>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{ByRef, Func, Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Label {
    ///     prefix: &'static str,
    /// }
    ///
    /// let label = Obj::new(Label { prefix: "> " });
    /// let render = Obj::new(Func::new(|(l, text): (&Label, &str)| format!("{}{text}", l.prefix)));
    /// let handlers: Vec<WeakMethod<Label, ByRef<str>, String>> = vec![WeakMethod::by_ref_with_function(&label, &render)];
    /// let text = String::from("hello"); // any lifetime will do
    /// assert_eq!(handlers[0].upgrade().unwrap().call(&text), "> hello");
    /// drop(render);
    /// assert!(!handlers[0].is_alive());
    /// ```
    #[must_use = "a weak method that is never used does nothing"]
    pub fn by_ref_with_function<U>(obj: &Obj<T, F>, func: &Obj<U, F>) -> Self
    where
        U: for<'t, 'e> Call<(&'t T, &'e E), Output = R> + WeakRefable + Shareable<F> + 'static,
    {
        WeakMethod::function(obj, func)
    }
}

impl<T, E, R, F> WeakMethod<T, ByRef<E>, R, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    E: ?Sized + 'static,
    R: 'static,
    F: Flavor,
{
    /// A weak method taking its argument by reference, as
    /// [`WeakMethod::by_ref`], whose `callback` runs once when it dies; see
    /// [`WeakMethod::with_callback`].
    ///
    /// # Examples
    ///
    /// An emitter whose handlers remove themselves when their object dies:
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use weakable::{ByRef, Obj, WeakMethod, Weakable};
    ///
    /// type Handlers = Arc<Mutex<Vec<WeakMethod<Window, ByRef<str>, ()>>>>;
    ///
    /// #[derive(Weakable)]
    /// struct Window {
    ///     title: Mutex<String>,
    /// }
    ///
    /// impl Window {
    ///     fn on_rename(&self, title: &str) {
    ///         *self.title.lock().unwrap() = title.to_owned();
    ///     }
    /// }
    ///
    /// fn subscribe(handlers: &Handlers, w: &Obj<Window>) {
    ///     let list = Arc::downgrade(handlers);
    ///     let m = WeakMethod::by_ref_with_callback(w, Window::on_rename, move |dead| {
    ///         if let Some(list) = list.upgrade() {
    ///             list.lock().unwrap().retain(|h| h != dead);
    ///         }
    ///     });
    ///     handlers.lock().unwrap().push(m);
    /// }
    ///
    /// let handlers = Handlers::default();
    /// let w = Obj::new(Window { title: Mutex::default() });
    /// subscribe(&handlers, &w);
    /// let name = String::from("notes.txt");
    /// for h in handlers.lock().unwrap().iter() {
    ///     h.upgrade().unwrap().call(&name);
    /// }
    /// assert_eq!(*w.title.lock().unwrap(), "notes.txt");
    /// drop(w);
    /// assert!(handlers.lock().unwrap().is_empty());
    /// ```
    #[must_use = "dropping the weak method at once cancels its callback"]
    pub fn by_ref_with_callback<C>(obj: &Obj<T, F>, method: fn(&T, &E) -> R, callback: C) -> Self
    where
        C: FnOnce(&WeakMethod<T, ByRef<E>, R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::build_with_callback(obj, |_| WeakFn::Unary(method), callback)
    }

    /// A weak method over a function object taking its argument by
    /// reference, as [`WeakMethod::by_ref_with_function`], whose `callback`
    /// runs once when the object or the function object dies, whichever is
    /// first; see [`WeakMethod::with_callback`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use weakable::{Func, Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Doc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let doc = Obj::new(Doc);
    /// let save = Obj::new(Func::new(|(_, path): (&Doc, &str)| path.len()));
    /// let m = WeakMethod::by_ref_with_function_and_callback(&doc, &save, move |_| tx.send("gone").unwrap());
    /// assert_eq!(m.upgrade().map(|b| b.call("a.txt")), Some(5));
    /// drop(save);
    /// assert_eq!(rx.try_recv(), Ok("gone"));
    /// # drop(m);
    /// ```
    #[must_use = "dropping the weak method at once cancels its callback"]
    pub fn by_ref_with_function_and_callback<U, C>(
        obj: &Obj<T, F>,
        func: &Obj<U, F>,
        callback: C,
    ) -> Self
    where
        U: for<'t, 'e> Call<(&'t T, &'e E), Output = R> + WeakRefable + Shareable<F> + 'static,
        C: FnOnce(&WeakMethod<T, ByRef<E>, R, F>) + Sendable<F> + 'static,
    {
        WeakMethod::function_with_callback(obj, func, callback)
    }
}

/// The death callback of both refs of a `WeakMethod` with a callback: the
/// first to run takes the user's callback and calls it.
struct OnDeath<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> {
    inner: WeakInner<T, A, R, F>,
    callback: F::Shared<CallbackCell<T, A, R, F>>,
}

// A compile-time check of what `Ref::attach` is promised in the sync
// flavour: `OnDeath` is `Send` when the object is `Send + Sync` (the
// constructors' `T: Shareable<Sync>`), the function object's ref and the
// callback being `Send` by their impls above.
// Never called: type-checking it is the check.
#[allow(dead_code)]
fn on_death_is_send<T: ?Sized + Send + core::marker::Sync, A: ?Sized + MethodArgs, R>() {
    fn send<V: Send>() {}
    send::<OnDeath<T, A, R, Sync>>();
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Clone for OnDeath<T, A, R, F> {
    fn clone(&self) -> Self {
        OnDeath {
            inner: self.inner.clone(),
            callback: self.callback.clone(),
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> OnDeath<T, A, R, F> {
    fn fire(&self) {
        // `None`: every handle was dropped while the referent was dying.
        let Some(inner) = self.inner.upgrade() else {
            return;
        };
        let callback = self.callback.lock().take();
        let Some(MethodCallback(callback)) = callback else {
            return;
        };
        let type_name = inner.type_name;
        let m = WeakMethod { inner };
        if let Err(payload) = crate::rt::catch_unwind(|| callback(&m)) {
            crate::unraisable::report("WeakMethod callback", type_name, payload);
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> WeakMethod<T, A, R, F> {
    /// The bound method, Python's `r()`: the object and the function, both
    /// kept alive by the result, or `None` once either died.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image {
    ///     width: u32,
    /// }
    ///
    /// impl Image {
    ///     fn scaled(&self, by: u32) -> u32 {
    ///         self.width * by
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image { width: 10 });
    /// let m = WeakMethod::new(&img, Image::scaled);
    /// let bound = m.upgrade().unwrap();
    /// assert!(Obj::ptr_eq(bound.object(), &img));
    /// assert_eq!(bound.call(3), 30);
    /// drop((img, bound));
    /// assert!(m.upgrade().is_none());
    /// ```
    #[must_use = "upgrading has no effect besides returning the bound method"]
    pub fn upgrade(&self) -> Option<BoundMethod<T, A, R, F>> {
        let obj = self.inner.obj.upgrade()?;
        let func = self.inner.func.upgrade()?;
        Some(BoundMethod { obj, func })
    }

    /// Whether both the object and the function are alive, Python's
    /// `r() is not None` (racy by nature, as [`Ref::is_alive`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn show(&self, _: ()) {}
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let m = WeakMethod::new(&img, Image::show);
    /// assert!(m.is_alive());
    /// drop(img);
    /// assert!(!m.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.inner.obj.is_alive() && self.inner.func.is_alive()
    }

    /// Whether this weak method still has a callback to call, as
    /// [`Ref::has_callback`]: false for one made without, and false once
    /// dead.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn show(&self, _: ()) {}
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let m = WeakMethod::with_callback(&img, Image::show, |_| {});
    /// assert!(m.has_callback());
    /// assert!(!WeakMethod::new(&img, Image::show).has_callback());
    /// drop(img);
    /// assert!(!m.has_callback());
    /// ```
    pub fn has_callback(&self) -> bool {
        self.inner.has_callback && self.is_alive()
    }

    /// Whether two handles are the same weak method (clones of one another),
    /// Python's `r1 is r2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn show(&self, _: ()) {}
    /// }
    ///
    /// let show: fn(&Image, ()) = Image::show; // one function pointer
    /// let img = Obj::new(Image);
    /// let a = WeakMethod::new(&img, show);
    /// let b = WeakMethod::new(&img, show);
    /// assert!(a == b && !WeakMethod::ptr_eq(&a, &b)); // equal, not the same
    /// assert!(WeakMethod::ptr_eq(&a, &a.clone()));
    /// ```
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        SharedPtr::ptr_eq(&this.inner, &other.inner)
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Clone for WeakMethod<T, A, R, F> {
    /// The same weak method once more: clones are [`WeakMethod::ptr_eq`],
    /// equal even when dead, and share the callback.
    fn clone(&self) -> Self {
        WeakMethod {
            inner: self.inner.clone(),
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> PartialEq for WeakMethod<T, A, R, F> {
    /// Both alive: the same object and the same function. Otherwise: the
    /// same weak method (a clone).
    fn eq(&self, other: &Self) -> bool {
        if WeakMethod::ptr_eq(self, other) {
            return true;
        }
        // Upgrading keeps all four alive while their identities are compared.
        match (self.upgrade(), other.upgrade()) {
            (Some(a), Some(b)) => {
                Obj::ptr_eq(&a.obj, &b.obj) && a.func.identity() == b.func.identity()
            }
            _ => false,
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Eq for WeakMethod<T, A, R, F> {}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Hash for WeakMethod<T, A, R, F> {
    /// Writes the hash of the object's and the function's identities, taken
    /// when the weak method was made: equal weak methods hash alike, and a
    /// dead one hashes as it did alive.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.inner.hash);
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> fmt::Debug for WeakMethod<T, A, R, F> {
    /// CPython's ref repr: `<WeakMethod at 0x..; to 'Image' at 0x..>`, or
    /// `<WeakMethod at 0x..; dead>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = SharedPtr::addr(&self.inner);
        if self.is_alive() {
            write!(
                f,
                "<WeakMethod at {at:#x}; to '{}' at {:#x}>",
                self.inner.type_name, self.inner.obj_id
            )
        } else {
            write!(f, "<WeakMethod at {at:#x}; dead>")
        }
    }
}

/// A method bound to its object, Python's bound method: what
/// [`WeakMethod::upgrade`] returns. It keeps the object (and a function
/// object) alive while it exists.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakMethod, Weakable};
///
/// #[derive(Weakable)]
/// struct Adder(i32);
///
/// impl Adder {
///     fn add(&self, x: i32) -> i32 {
///         self.0 + x
///     }
/// }
///
/// let a = Obj::new(Adder(2));
/// let m = WeakMethod::new(&a, Adder::add);
/// let bound = m.upgrade().unwrap();
/// drop(a);
/// assert_eq!(bound.call(40), 42); // `bound` kept the object alive
/// drop(bound);
/// assert!(m.upgrade().is_none());
/// ```
pub struct BoundMethod<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor = Sync> {
    obj: Obj<T, F>,
    func: BoundFn<T, A, R, F>,
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> BoundMethod<T, A, R, F> {
    /// Calls the method on its object, Python's `r()(args)`.
    ///
    /// It takes [`A::Arg<'a>`](MethodArgs::Arg): `A` itself, or, for a
    /// method taking its argument by reference (`A` is [`ByRef<E>`], see
    /// [`WeakMethod::by_ref`]), a `&E` of any lifetime.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Adder(i32);
    ///
    /// impl Adder {
    ///     fn add2(&self, (x, y): (i32, i32)) -> i32 {
    ///         self.0 + x + y
    ///     }
    /// }
    ///
    /// let a = Obj::new(Adder(1));
    /// assert_eq!(WeakMethod::new(&a, Adder::add2).upgrade().unwrap().call((2, 3)), 6);
    /// ```
    pub fn call<'a>(&self, args: A::Arg<'a>) -> R
    where
        A: 'a,
    {
        match &self.func {
            BoundFn::Unary(f) => A::call_method::<T, R>(*f, &self.obj, args),
            BoundFn::Nullary(f) => {
                // Only `WeakMethod<T, (), R>` makes this kind: `args` is `()`.
                drop(args);
                f(&self.obj)
            }
            BoundFn::Object(f) => f.call(&self.obj, args),
        }
    }

    /// The object the method is bound to, Python's `__self__`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn show(&self, _: ()) {}
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let bound = WeakMethod::new(&img, Image::show).upgrade().unwrap();
    /// assert!(Obj::ptr_eq(bound.object(), &img));
    /// ```
    pub fn object(&self) -> &Obj<T, F> {
        &self.obj
    }

    /// The function, Python's `__func__`, when it is a function pointer
    /// `fn(&T, A) -> R` (made by [`WeakMethod::new`]), or `fn(&T, &E) -> R`
    /// for `A = ByRef<E>` (made by [`WeakMethod::by_ref`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn area(&self, side: u32) -> u32 {
    ///         side * side
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let bound = WeakMethod::new(&img, Image::area).upgrade().unwrap();
    /// let f = bound.func_ptr().unwrap();
    /// assert_eq!(f(&img, 3), 9);
    /// assert_eq!(bound.func_id(), f as usize);
    /// ```
    pub fn func_ptr(&self) -> Option<A::Method<T, R>> {
        match self.func {
            BoundFn::Unary(f) => Some(f),
            _ => None,
        }
    }

    /// The function, when it is a function pointer `fn(&T) -> R` (made by
    /// [`WeakMethod::nullary`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn name(&self) -> &'static str {
    ///         "cat.png"
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let bound = WeakMethod::nullary(&img, Image::name).upgrade().unwrap();
    /// assert_eq!(bound.nullary_func_ptr().map(|f| f(&img)), Some("cat.png"));
    /// assert!(bound.func_ptr().is_none());
    /// ```
    pub fn nullary_func_ptr(&self) -> Option<fn(&T) -> R> {
        match self.func {
            BoundFn::Nullary(f) => Some(f),
            _ => None,
        }
    }

    /// The function object, when it is an `Obj<U>` (made by
    /// [`WeakMethod::with_function`]) and `U` is the type asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Call, Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u32);
    ///
    /// #[derive(Weakable)]
    /// struct Scale(u32);
    ///
    /// impl<'a> Call<(&'a Image, ())> for Scale {
    ///     type Output = u32;
    ///     fn call(&self, (img, ()): (&'a Image, ())) -> u32 {
    ///         img.0 * self.0
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image(4));
    /// let double = Obj::new(Scale(2));
    /// let bound = WeakMethod::with_function(&img, &double).upgrade().unwrap();
    /// assert!(Obj::ptr_eq(bound.func_object::<Scale>().unwrap(), &double));
    /// assert!(bound.func_object::<Image>().is_none());
    /// assert_eq!(bound.call(()), 8);
    /// ```
    pub fn func_object<U: 'static>(&self) -> Option<&Obj<U, F>> {
        match &self.func {
            BoundFn::Object(f) => f.as_any().downcast_ref::<Obj<U, F>>(),
            _ => None,
        }
    }

    /// The function's identity, what [`WeakMethod`]'s equality compares: a
    /// function pointer's address, or a function object's [`Obj::id`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakMethod, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// impl Image {
    ///     fn a(&self, _: ()) -> u8 {
    ///         1
    ///     }
    ///     fn b(&self, _: ()) -> u8 {
    ///         2
    ///     }
    /// }
    ///
    /// let img = Obj::new(Image);
    /// let a = WeakMethod::new(&img, Image::a).upgrade().unwrap();
    /// let b = WeakMethod::new(&img, Image::b).upgrade().unwrap();
    /// assert_ne!(a.func_id(), b.func_id());
    /// ```
    pub fn func_id(&self) -> usize {
        self.func.identity().1
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Clone for BoundMethod<T, A, R, F> {
    /// The same object and function, once more.
    fn clone(&self) -> Self {
        BoundMethod {
            obj: self.obj.clone(),
            func: self.func.clone(),
        }
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> fmt::Debug for BoundMethod<T, A, R, F> {
    /// `<bound method of 'Image' object at 0x..>`, after CPython's
    /// `<bound method Image.f of <Image object at 0x..>>` (a function
    /// pointer has no name to show).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<bound method of '{}' object at {:#x}>",
            Obj::type_name(&self.obj),
            Obj::id(&self.obj)
        )
    }
}

impl<T: ?Sized, A: ?Sized + MethodArgs, R, F: Flavor> Inner<T, A, R, F> {
    fn new(
        obj: &Obj<T, F>,
        obj_ref: Ref<T, (), F>,
        func: WeakFn<T, A, R, F>,
        has_callback: bool,
    ) -> Self {
        let (kind, func_id) = func.identity();
        let obj_id = Obj::id(obj);
        Inner {
            obj: obj_ref,
            func,
            obj_id,
            type_name: Obj::type_name(obj),
            hash: crate::rt::seeded_hasher().hash_one((kind, obj_id, func_id)),
            has_callback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Func, Weakable};
    use std::sync::{mpsc, Arc, Mutex};

    #[derive(Weakable)]
    struct Image(u32);

    impl Image {
        fn scaled(&self, by: u32) -> u32 {
            self.0 * by
        }
        fn width(&self) -> u32 {
            self.0
        }
    }

    crate::test_util::in_both_flavours! {
        #[test]
        fn the_callback_runs_once_whichever_dies_first() {
            for func_first in [false, true] {
                let (tx, rx) = mpsc::channel();
                let img = flavour::Obj::new(Image(2));
                let f = flavour::Obj::new(Func::new(|(img, by): (&Image, u32)| img.0 + by));
                let m = flavour::WeakMethod::with_function_and_callback(&img, &f, move |m| {
                    tx.send(m.is_alive()).unwrap();
                });
                assert_eq!(m.upgrade().map(|b| b.call(1)), Some(3));
                if func_first {
                    drop(f);
                    drop(img);
                } else {
                    drop(img);
                    drop(f);
                }
                assert_eq!(rx.try_iter().collect::<Vec<_>>(), [false]);
                assert!(m.upgrade().is_none());
            }
        }

        #[test]
        // One body for both flavours: the unsync one needs no `Arc`.
        #[allow(clippy::arc_with_non_send_sync)]
        fn dropping_the_last_handle_in_the_callback_is_fine() {
            let img = flavour::Obj::new(Image(1));
            let slot = Arc::new(Mutex::new(None));
            let s = slot.clone();
            let m = flavour::WeakMethod::with_callback(&img, Image::scaled, move |_| {
                // The last outside handle goes while the callback runs.
                drop(s.lock().unwrap().take());
            });
            *slot.lock().unwrap() = Some(m);
            drop(img);
            assert!(slot.lock().unwrap().is_none());
        }

        #[test]
        fn dropped_before_death_never_calls_back() {
            let img = flavour::Obj::new(Image(1));
            let (tx, rx) = mpsc::channel::<()>();
            let m =
                flavour::WeakMethod::nullary_with_callback(&img, Image::width, move |_| tx.send(()).unwrap());
            drop(m);
            drop(img);
            assert!(rx.try_recv().is_err());
        }

        #[test]
        fn equality_and_hash_follow_identity() {
            let a = flavour::Obj::new(Image(1));
            let b = flavour::Obj::new(Image(1));
            // One function pointer each: Miri gives every cast its own address.
            let scaled: fn(&Image, u32) -> u32 = Image::scaled;
            let width: fn(&Image) -> u32 = Image::width;
            let (m1, m2) = (flavour::WeakMethod::new(&a, scaled), flavour::WeakMethod::new(&a, scaled));
            let other = flavour::WeakMethod::new(&b, scaled);
            assert!(m1 == m2 && m1 != other);
            let h = |m: &flavour::WeakMethod<Image, u32, u32>| crate::rt::seeded_hasher().hash_one(m);
            assert_eq!(h(&m1), h(&m2));
            let n1 = flavour::WeakMethod::nullary(&a, width);
            assert!(n1 == flavour::WeakMethod::nullary(&a, width));
            drop(a);
            assert!(m1 != m2 && m1 == m1.clone());
            assert_eq!(h(&m1), h(&m2));
        }
    }
}
