//! Callable objects: the [`Call`] trait and [`Func`], a closure made an object.

use core::fmt;

use crate::core::slot::WeakrefSlot;
use crate::traits::{WeakRefable, Weakable};

/// A callable object, Python's `__call__`: called with one argument value
/// (a tuple for several, `()` for none).
///
/// Stable Rust cannot implement the `Fn` traits for user types, so callable
/// objects implement this instead; [`Proxy::call`](crate::Proxy::call) calls
/// through a proxy, and [`Func`] makes any closure callable this way.
///
/// # Examples
///
/// ```
/// use weakable::{Call, Obj, Proxy, Weakable};
///
/// #[derive(Weakable)]
/// struct Scale(u32);
///
/// impl Call<u32> for Scale {
///     type Output = u32;
///     fn call(&self, x: u32) -> u32 {
///         x * self.0
///     }
/// }
///
/// let triple = Obj::new(Scale(3));
/// assert_eq!(triple.call(5), 15);
/// assert_eq!(Proxy::new(&triple).call(5), Ok(15));
/// ```
pub trait Call<A> {
    /// What a call returns.
    type Output;

    /// Calls the object with `args`.
    fn call(&self, args: A) -> Self::Output;
}

/// A closure as an object with a `__weakref__` slot, Python's function
/// object: `Obj::new(Func::new(|x: u32| x + 1))`.
///
/// It implements [`Call`] for the closure's argument type; take a
/// [`Ref`](crate::Ref) or [`Proxy`](crate::Proxy) to it like to any other
/// object. Its type name in reprs is `function`. Closures of different
/// types share one view, `dyn Call<A, Output = R> + Send + Sync`:
///
/// ```
/// use weakable::{Call, Func, Obj, WeakValueDictionary};
///
/// type Handler = dyn Call<u32, Output = u32> + Send + Sync;
/// let registry: WeakValueDictionary<&str, Handler> = WeakValueDictionary::new();
/// let double: Obj<Handler> = Obj::unsize(Obj::new(Func::new(|x: u32| x * 2)));
/// let offset = 10;
/// let shift: Obj<Handler> = Obj::unsize(Obj::new(Func::new(move |x: u32| x + offset)));
/// registry.insert("double", &double);
/// registry.insert("shift", &shift);
/// assert_eq!(registry.get("double").unwrap().call(4), 8);
/// assert_eq!(registry.get("shift").unwrap().call(4), 14);
/// drop(shift); // a dropped handler unregisters itself
/// assert_eq!(registry.keys().collect::<Vec<_>>(), ["double"]);
/// ```
///
/// # Examples
///
/// ```
/// use weakable::{Call, Func, Obj, Ref};
///
/// let inc = Obj::new(Func::new(|x: u32| x + 1));
/// assert_eq!(inc.call(1), 2);
/// let r = Ref::new(&inc);
/// assert_eq!(r.upgrade().map(|f| f.call(41)), Some(42));
/// drop(inc);
/// assert!(r.upgrade().is_none());
/// ```
#[derive(Clone, Copy, Default)]
pub struct Func<F> {
    f: F,
}

impl<F> Func<F> {
    /// Wraps `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Call, Func};
    ///
    /// let greet = Func::new(|name: &str| format!("hello {name}"));
    /// assert_eq!(greet.call("you"), "hello you");
    /// ```
    pub const fn new(f: F) -> Self {
        Func { f }
    }

    /// The closure back.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::Func;
    ///
    /// let f = Func::new(|x: i32| -x).into_inner();
    /// assert_eq!(f(3), -3);
    /// ```
    pub fn into_inner(self) -> F {
        self.f
    }
}

impl<F> Weakable for Func<F> {
    type Slot = WeakrefSlot;
    const NAME: &'static str = "function";
}

impl<F> WeakRefable for Func<F> {}

impl<A, R, F: Fn(A) -> R> Call<A> for Func<F> {
    type Output = R;

    #[inline]
    fn call(&self, args: A) -> R {
        (self.f)(args)
    }
}

/// Callables of any type behind one view: `Obj<dyn Call<A, Output = R> +
/// Send + Sync>` from any `Obj<T>` whose `T` is callable that way (closures
/// in [`Func`], user types implementing [`Call`]), and, for callables that
/// are not `Send + Sync` (in the unsync flavour), `Obj<dyn Call<A, Output =
/// R>>`: as [`weakable_dyn!`](crate::weakable_dyn) would declare them (a
/// crate cannot declare views of another crate's trait).
///
/// ```
/// use std::rc::Rc;
/// use weakable::unsync::Obj;
/// use weakable::{Call, Func};
///
/// type Handler = dyn Call<u32, Output = u32>;
/// let step = Rc::new(3); // not `Send`: fine in the unsync flavour
/// let add: Obj<Handler> = Obj::unsize(Obj::new(Func::new(move |x: u32| x + *step)));
/// assert_eq!(add.call(4), 7);
/// ```
impl<A, R> Weakable for dyn Call<A, Output = R> + Send + Sync {
    type Slot = WeakrefSlot;
    const NAME: &'static str = "dyn Call";
}

impl<A, R> WeakRefable for dyn Call<A, Output = R> + Send + Sync {}

// SAFETY: `coerce` is the compiler's unsizing coercion and nothing else.
unsafe impl<A, R, T> crate::CoerceFrom<T> for dyn Call<A, Output = R> + Send + Sync
where
    T: Call<A, Output = R> + Send + Sync + Weakable<Slot = WeakrefSlot> + 'static,
{
    #[inline]
    fn coerce(ptr: *const T) -> *const Self {
        ptr
    }
}

/// The view of callables that need not be `Send + Sync` (the unsync
/// flavour's), as the one above.
impl<A, R> Weakable for dyn Call<A, Output = R> {
    type Slot = WeakrefSlot;
    const NAME: &'static str = "dyn Call";
}

impl<A, R> WeakRefable for dyn Call<A, Output = R> {}

// SAFETY: `coerce` is the compiler's unsizing coercion and nothing else.
unsafe impl<A, R, T> crate::CoerceFrom<T> for dyn Call<A, Output = R>
where
    T: Call<A, Output = R> + Weakable<Slot = WeakrefSlot> + 'static,
{
    #[inline]
    fn coerce(ptr: *const T) -> *const Self {
        ptr
    }
}

impl<F> fmt::Debug for Func<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", core::any::type_name::<F>())
    }
}
