//! `WeakSet<T>`: a set whose elements are held weakly.

use alloc::vec::Vec;

use crate::collections::DefaultHashBuilder;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, BitXor, BitXorAssign, Sub, SubAssign};

use super::key::{WeakKeyDictionary, WeakKeys};
use crate::obj::Obj;
use crate::rt::flavor::{Flavor, Shareable, Sync};
use crate::traits::WeakRefable;

/// A set of objects that does not keep its elements alive, Python's
/// `weakref.WeakSet`: an element disappears the moment it dies.
///
/// Elements are [`Obj<T>`]s compared by value (`T: Eq + Hash`), as Python
/// compares set elements; lookups take a plain `&T`. It is the table of
/// [`WeakKeyDictionary<T, ()>`], with the same guarantees: eager and exact
/// eviction, every method through `&self`, `Send + Sync` when `T` is in the
/// sync flavour (in the unsync one, neither, and `T` need not be), no
/// lock held while `T`'s `Eq`, `Hash` or `Drop` runs, and iteration over a
/// snapshot that never yields a dead element (elements added after it
/// started are not yielded). Adding an element equal to one already there
/// keeps the one already there. It costs what the key dictionary costs
/// (see [`WeakKeyDictionary`'s cost](WeakKeyDictionary#cost)).
///
/// The in-place operations (`update`, `*_update`, `|=`, ...) work from a
/// snapshot of their argument, so `s.update(&s)` and friends are fine.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakSet, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Listener(u32);
///
/// let listeners = WeakSet::new();
/// let l = Obj::new(Listener(1));
/// assert!(listeners.insert(&l));
/// assert!(listeners.contains(&Listener(1)));
///
/// drop(l); // the set did not keep it alive
/// assert!(listeners.is_empty());
/// ```
pub struct WeakSet<T: ?Sized, S = DefaultHashBuilder, F: Flavor = Sync> {
    dict: WeakKeyDictionary<T, (), S, F>,
}

impl<T: ?Sized, F: Flavor> WeakSet<T, DefaultHashBuilder, F> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s: WeakSet<Listener> = WeakSet::new();
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::default())
    }
}

impl<T: ?Sized, S, F: Flavor> WeakSet<T, S, F> {
    /// An empty set hashing elements with `hasher`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use weakable::{WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s: WeakSet<Listener> = WeakSet::with_hasher(RandomState::new());
    /// assert_eq!(s.len(), 0);
    /// ```
    #[must_use]
    pub fn with_hasher(hasher: S) -> Self {
        WeakSet {
            dict: WeakKeyDictionary::with_hasher(hasher),
        }
    }

    /// The number of elements, all of them alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let s = WeakSet::new();
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// s.insert(&a);
    /// s.insert(&b);
    /// assert_eq!(s.len(), 2);
    /// drop(a);
    /// assert_eq!(s.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// Whether there is no element (Python's `not s`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s = WeakSet::new();
    /// s.insert(&Obj::new(Listener)); // a temporary: dies at once
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Removes every element.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener);
    /// s.insert(&a);
    /// s.clear();
    /// assert!(s.is_empty());
    /// ```
    pub fn clear(&self) {
        self.dict.clear();
    }

    /// The live elements: Python's `iter(s)`.
    ///
    /// Walks a snapshot: see [the type's docs](WeakSet).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener(4));
    /// s.insert(&a);
    /// s.insert(&Obj::new(Listener(5))); // dies at once
    /// assert_eq!(s.iter().map(|l| l.0).collect::<Vec<_>>(), [4]);
    /// ```
    pub fn iter(&self) -> WeakKeys<T, F> {
        self.dict.keys()
    }

    /// Keeps only the live elements for which `keep` returns `true`:
    /// `HashSet::retain`.
    ///
    /// `keep` runs with no lock held, on a snapshot of the elements taken
    /// when the call starts, so it may use the set (elements it adds are
    /// kept, and not shown to it). Elements that died are skipped. An
    /// element `keep` refuses is removed only if it is still the one in
    /// the set (not removed and re-added meanwhile).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let all: Vec<_> = (0..4).map(|i| Obj::new(Listener(i))).collect();
    /// let s: WeakSet<Listener> = all.iter().collect();
    /// s.retain(|l: &Listener| l.0 >= 2);
    /// assert_eq!(s.len(), 2);
    /// assert!(!s.contains(&Listener(0)) && s.contains(&Listener(3)));
    /// ```
    pub fn retain(&self, keep: impl FnMut(&T) -> bool) {
        self.dict.retain_keys(keep);
    }

    /// Removes and returns some live element: Python's `pop()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener);
    /// s.insert(&a);
    /// assert!(Obj::ptr_eq(&s.pop().unwrap(), &a));
    /// assert!(s.pop().is_none());
    /// ```
    pub fn pop(&self) -> Option<Obj<T, F>> {
        self.dict.popitem().map(|(k, ())| k)
    }
}

impl<T, S, F: Flavor> WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq,
    S: BuildHasher,
{
    /// Whether an element equal to `value` is in the set: Python's
    /// `value in s`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener(1));
    /// s.insert(&a);
    /// assert!(s.contains(&Listener(1)));
    /// assert!(!s.contains(&Listener(2)));
    /// ```
    #[must_use]
    pub fn contains(&self, value: &T) -> bool {
        self.dict.contains_key(value)
    }

    /// Removes the element equal to `value`, returning whether there was
    /// one: Python's `discard` (and `remove`, which raises instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener(1));
    /// s.insert(&a);
    /// assert!(s.remove(&a));
    /// assert!(!s.remove(&a));
    /// ```
    pub fn remove(&self, value: &T) -> bool {
        self.dict.remove(value).is_some()
    }

    /// Whether every element of `self` is in `other`: Python's `s <= t`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let small: WeakSet<_> = [&a].into_iter().collect();
    /// let big: WeakSet<_> = [&a, &b].into_iter().collect();
    /// assert!(small.is_subset(&big));
    /// assert!(!big.is_subset(&small));
    /// ```
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        self.iter().all(|e| other.contains(&e))
    }

    /// Whether every element of `other` is in `self`: Python's `s >= t`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let small: WeakSet<_> = [&a].into_iter().collect();
    /// let big: WeakSet<_> = [&a, &b].into_iter().collect();
    /// assert!(big.is_superset(&small));
    /// ```
    #[must_use]
    pub fn is_superset(&self, other: &Self) -> bool {
        other.is_subset(self)
    }

    /// Whether every element of `self` is in `other`, and `other` has more:
    /// Python's `s < t`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Tag(u8);
    ///
    /// let (a, b) = (Obj::new(Tag(1)), Obj::new(Tag(2)));
    /// let small: WeakSet<_> = [&a].into_iter().collect();
    /// let big: WeakSet<_> = [&a, &b].into_iter().collect();
    /// assert!(small.is_proper_subset(&big));
    /// assert!(!big.is_proper_subset(&big));
    /// assert!(!WeakSet::<Tag>::new().is_proper_subset(&WeakSet::new()));
    /// ```
    #[must_use]
    pub fn is_proper_subset(&self, other: &Self) -> bool {
        self.is_subset(other) && !other.is_subset(self)
    }

    /// Whether `self` has every element of `other`, and more: Python's
    /// `s > t`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Tag(u8);
    ///
    /// let (a, b) = (Obj::new(Tag(1)), Obj::new(Tag(2)));
    /// let small: WeakSet<_> = [&a].into_iter().collect();
    /// let big: WeakSet<_> = [&a, &b].into_iter().collect();
    /// assert!(big.is_proper_superset(&small));
    /// assert!(!small.is_proper_superset(&small));
    /// ```
    #[must_use]
    pub fn is_proper_superset(&self, other: &Self) -> bool {
        other.is_proper_subset(self)
    }

    /// Whether no element is in both: Python's `isdisjoint`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// assert!(s.is_disjoint(&t));
    /// assert!(!s.is_disjoint(&s));
    /// ```
    #[must_use]
    pub fn is_disjoint(&self, other: &Self) -> bool {
        !self.iter().any(|e| other.contains(&e))
    }
}

impl<T, S, F: Flavor> WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    /// Adds `value` without keeping it alive, Python's `add`; returns
    /// whether it was new (if an equal element is there, it is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener(1));
    /// assert!(s.insert(&a));
    /// assert!(!s.insert(&a));
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn insert(&self, value: &Obj<T, F>) -> bool {
        self.dict.put(value, (), |_, _| false, |_| true).0
    }

    /// Adds every element: Python's `update` (and `|=`). Takes `&Obj<T>`s
    /// or `Obj<T>`s, so `s.update(&other)` works, even when `other` is `s`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s = WeakSet::new();
    /// s.update([&a, &b]);
    /// let t = WeakSet::new();
    /// t.update(&s);
    /// t.update(&t);
    /// assert_eq!(t.len(), 2);
    /// ```
    pub fn update<I>(&self, values: I)
    where
        I: IntoIterator,
        I::Item: Borrow<Obj<T, F>>,
    {
        for v in values {
            self.insert(v.borrow());
        }
    }

    /// Keeps only the elements also in `other`: Python's
    /// `intersection_update` (and `&=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// s.intersection_update(&t);
    /// assert!(s == t);
    /// ```
    pub fn intersection_update(&self, other: &Self) {
        for e in self.iter() {
            if !other.contains(&e) {
                self.remove(&e);
            }
        }
    }

    /// Removes the elements that are in `other`: Python's
    /// `difference_update` (and `-=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// s.difference_update(&t);
    /// assert!(s.contains(&a) && !s.contains(&b));
    /// s.difference_update(&s);
    /// assert!(s.is_empty());
    /// ```
    pub fn difference_update(&self, other: &Self) {
        for e in other.iter() {
            self.remove(&e);
        }
    }

    /// Keeps the elements in exactly one of `self` and `other`: Python's
    /// `symmetric_difference_update` (and `^=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b, c) = (Obj::new(Listener(1)), Obj::new(Listener(2)), Obj::new(Listener(3)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b, &c].into_iter().collect();
    /// s.symmetric_difference_update(&t);
    /// assert!(s.contains(&a) && !s.contains(&b) && s.contains(&c));
    /// s.symmetric_difference_update(&s);
    /// assert!(s.is_empty());
    /// ```
    pub fn symmetric_difference_update(&self, other: &Self) {
        for e in other.iter() {
            if !self.remove(&e) {
                self.insert(&e);
            }
        }
    }
}

impl<T, S, F: Flavor> WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Clone + Shareable<F>,
{
    fn empty_like(&self) -> Self {
        Self::with_hasher(self.dict.hasher().clone())
    }

    /// A new set of the elements in either: Python's `union` (and `|`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// assert_eq!(s.union(&t).len(), 2);
    /// assert_eq!((&s | &t).len(), 2);
    /// ```
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let out = self.clone();
        out.update(other);
        out
    }

    /// A new set of the elements in both: Python's `intersection` (and `&`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// assert!(s.intersection(&t) == t);
    /// assert!(&s & &t == t);
    /// ```
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        // As CPython (`item for item in other if item in self`): where equal
        // elements differ, the result holds `other`'s, and dies with them.
        let out = self.empty_like();
        out.update(other.iter().filter(|e| self.contains(e)));
        out
    }

    /// A new set of the elements of `self` not in `other`: Python's
    /// `difference` (and `-`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b].into_iter().collect();
    /// let d = s.difference(&t);
    /// assert!(d.contains(&a) && !d.contains(&b));
    /// assert!((&s - &t) == d);
    /// ```
    #[must_use]
    pub fn difference(&self, other: &Self) -> Self {
        let out = self.empty_like();
        out.update(self.iter().filter(|e| !other.contains(e)));
        out
    }

    /// A new set of the elements in exactly one: Python's
    /// `symmetric_difference` (and `^`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b, c) = (Obj::new(Listener(1)), Obj::new(Listener(2)), Obj::new(Listener(3)));
    /// let s: WeakSet<_> = [&a, &b].into_iter().collect();
    /// let t: WeakSet<_> = [&b, &c].into_iter().collect();
    /// let x = s.symmetric_difference(&t);
    /// assert!(x.contains(&a) && !x.contains(&b) && x.contains(&c));
    /// assert!((&s ^ &t) == x);
    /// ```
    #[must_use]
    pub fn symmetric_difference(&self, other: &Self) -> Self {
        let out = self.difference(other);
        out.update(other.iter().filter(|e| !self.contains(e)));
        out
    }
}

impl<T: ?Sized, S: Default, F: Flavor> Default for WeakSet<T, S, F> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s: WeakSet<Listener> = Default::default();
    /// assert!(s.is_empty());
    /// ```
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<T, S, F: Flavor> Clone for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Clone + Shareable<F>,
{
    /// A new set with the same live elements: Python's `copy()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener;
    ///
    /// let s = WeakSet::new();
    /// let a = Obj::new(Listener);
    /// s.insert(&a);
    /// let copy = s.clone();
    /// s.clear();
    /// assert!(copy.contains(&a));
    /// ```
    fn clone(&self) -> Self {
        let copy = Self::with_hasher(self.dict.hasher().clone());
        for value in self.iter() {
            copy.insert(&value);
        }
        copy
    }
}

impl<T, S, F: Flavor> PartialEq for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq,
    S: BuildHasher,
{
    /// Equal when both have equal elements, as Python compares sets.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, a2) = (Obj::new(Listener(1)), Obj::new(Listener(1)));
    /// let s: WeakSet<_> = [&a].into_iter().collect();
    /// let t: WeakSet<_> = [&a2].into_iter().collect();
    /// assert!(s == t);
    /// ```
    fn eq(&self, other: &Self) -> bool {
        let mine: Vec<Obj<T, F>> = self.iter().collect();
        mine.len() == other.len() && mine.iter().all(|e| other.contains(e))
    }
}

impl<T: ?Sized + fmt::Debug, S, F: Flavor> fmt::Debug for WeakSet<T, S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<'a, T, S, F: Flavor> Extend<&'a Obj<T, F>> for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F> + 'a,
    S: BuildHasher + Shareable<F>,
{
    fn extend<I: IntoIterator<Item = &'a Obj<T, F>>>(&mut self, values: I) {
        self.update(values);
    }
}

impl<'a, T, S, F: Flavor> FromIterator<&'a Obj<T, F>> for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F> + 'a,
    S: BuildHasher + Default + Shareable<F>,
{
    /// A set of the elements (Python's `WeakSet(iterable)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let (a, b) = (Obj::new(Listener(1)), Obj::new(Listener(2)));
    /// let s: WeakSet<_> = [&a, &b, &a].into_iter().collect();
    /// assert_eq!(s.len(), 2);
    /// ```
    fn from_iter<I: IntoIterator<Item = &'a Obj<T, F>>>(values: I) -> Self {
        let s = Self::default();
        s.update(values);
        s
    }
}

impl<T, S, F: Flavor> Extend<Obj<T, F>> for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    /// Adds every element. The set does not keep them alive: an element
    /// that nothing else holds dies once added, and leaves the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let kept = Obj::new(Listener(1));
    /// let mut s = WeakSet::new();
    /// s.extend([kept.clone(), Obj::new(Listener(2))]);
    /// assert_eq!(s.len(), 1);
    /// ```
    fn extend<I: IntoIterator<Item = Obj<T, F>>>(&mut self, values: I) {
        self.update(values);
    }
}

impl<T, S, F: Flavor> FromIterator<Obj<T, F>> for WeakSet<T, S, F>
where
    T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Default + Shareable<F>,
{
    /// A set of the elements (which it does not keep alive).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let all = vec![Obj::new(Listener(1)), Obj::new(Listener(2))];
    /// let s: WeakSet<Listener> = all.iter().cloned().collect();
    /// assert_eq!(s.len(), 2);
    /// ```
    fn from_iter<I: IntoIterator<Item = Obj<T, F>>>(values: I) -> Self {
        let s = Self::default();
        s.update(values);
        s
    }
}

impl<T: ?Sized, S, F: Flavor> IntoIterator for WeakSet<T, S, F> {
    type Item = Obj<T, F>;
    type IntoIter = WeakKeys<T, F>;

    /// The live elements, consuming the set (so that `for x in set`
    /// works). Elements that die before they are reached are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakSet, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Listener(u8);
    ///
    /// let a = Obj::new(Listener(1));
    /// let set: WeakSet<Listener> = [&a].into_iter().collect();
    /// for listener in set {
    ///     assert!(Obj::ptr_eq(&listener, &a));
    /// }
    /// ```
    fn into_iter(self) -> WeakKeys<T, F> {
        self.dict.into_keys()
    }
}

impl<T: ?Sized, S, F: Flavor> IntoIterator for &WeakSet<T, S, F> {
    type Item = Obj<T, F>;
    type IntoIter = WeakKeys<T, F>;
    fn into_iter(self) -> WeakKeys<T, F> {
        self.iter()
    }
}

macro_rules! set_operator {
    ($Op:ident, $op:ident, $method:ident, $OpAssign:ident, $op_assign:ident, $method_update:ident, $py:literal) => {
        impl<T, S, F: Flavor> $Op for &WeakSet<T, S, F>
        where
            T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
            S: BuildHasher + Clone + Shareable<F>,
        {
            type Output = WeakSet<T, S, F>;

            #[doc = concat!("Python's `s ", $py, " t`: see [`WeakSet::", stringify!($method), "`].")]
            fn $op(self, other: Self) -> WeakSet<T, S, F> {
                self.$method(other)
            }
        }

        impl<T, S, F: Flavor> $OpAssign<&WeakSet<T, S, F>> for WeakSet<T, S, F>
        where
            T: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
            S: BuildHasher + Shareable<F>,
        {
            #[doc = concat!("Python's `s ", $py, "= t`: see [`WeakSet::", stringify!($method_update), "`].")]
            fn $op_assign(&mut self, other: &WeakSet<T, S, F>) {
                self.$method_update(other);
            }
        }
    };
}

set_operator!(BitOr, bitor, union, BitOrAssign, bitor_assign, update, "|");
set_operator!(
    BitAnd,
    bitand,
    intersection,
    BitAndAssign,
    bitand_assign,
    intersection_update,
    "&"
);
set_operator!(
    Sub,
    sub,
    difference,
    SubAssign,
    sub_assign,
    difference_update,
    "-"
);
set_operator!(
    BitXor,
    bitxor,
    symmetric_difference,
    BitXorAssign,
    bitxor_assign,
    symmetric_difference_update,
    "^"
);

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use crate::{getweakrefcount, Obj, WeakSet, Weakable};

    #[derive(Weakable, Debug, PartialEq, Eq, Hash)]
    struct Elem(usize);

    fn objs(n: usize) -> Vec<Obj<Elem>> {
        (0..n).map(|i| Obj::new(Elem(i))).collect()
    }

    fn numbers(s: &WeakSet<Elem>) -> Vec<usize> {
        let mut v: Vec<usize> = s.iter().map(|e| e.0).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn add_discard_pop_contains_and_death() {
        let o = objs(3);
        let s = WeakSet::new();
        assert!(s.insert(&o[0]));
        assert!(!s.insert(&o[0]));
        // An equal element is not added; the one already there is kept.
        let twin = Obj::new(Elem(0));
        assert!(!s.insert(&twin));
        assert_eq!(getweakrefcount(&twin), 0);
        s.update(&o);
        assert_eq!(s.len(), 3);
        assert!(s.contains(&Elem(2)));
        assert!(s.remove(&Elem(2)));
        assert!(!s.remove(&Elem(2)));
        let popped = s.pop().unwrap();
        assert!(popped.0 < 2);
        assert_eq!(s.len(), 1);
        drop(popped);
        let o1 = o.into_iter().map(|e| e.0).collect::<Vec<_>>();
        assert_eq!(o1, [0, 1, 2]); // every Obj dropped here
        assert!(s.is_empty());
        assert!(s.pop().is_none());
    }

    #[test]
    fn set_operations_and_operators() {
        let o = objs(5);
        let a: WeakSet<Elem> = o[0..3].iter().collect();
        let b: WeakSet<Elem> = o[2..5].iter().collect();
        assert_eq!(numbers(&a.union(&b)), [0, 1, 2, 3, 4]);
        assert_eq!(numbers(&(&a | &b)), [0, 1, 2, 3, 4]);
        assert_eq!(numbers(&(&a & &b)), [2]);
        assert_eq!(numbers(&(&a - &b)), [0, 1]);
        assert_eq!(numbers(&(&a ^ &b)), [0, 1, 3, 4]);
        assert!((&a & &b).is_subset(&a));
        assert!(a.is_superset(&(&a - &b)));
        assert!(!a.is_disjoint(&b));
        assert!((&a - &b).is_disjoint(&b));
        let mut c = a.clone();
        assert!(c == a);
        c |= &b;
        assert_eq!(numbers(&c), [0, 1, 2, 3, 4]);
        c -= &b;
        assert_eq!(numbers(&c), [0, 1]);
        c ^= &a;
        assert_eq!(numbers(&c), [2]);
        c &= &b;
        assert_eq!(numbers(&c), [2]);
        let mut d: WeakSet<Elem> = WeakSet::default();
        d.extend(&o[4..]);
        assert_eq!(format!("{d:?}"), "{Elem(4)}");
        assert_eq!(
            numbers(&(&a.difference(&b) | &a.intersection(&b))),
            [0, 1, 2]
        );
        assert_eq!(numbers(&a.symmetric_difference(&b)), [0, 1, 3, 4]);
        drop(o);
        assert!(a.is_empty() && b.is_empty() && c.is_empty() && d.is_empty());
    }

    #[test]
    fn in_place_operations_with_the_set_itself() {
        let o = objs(3);
        let s: WeakSet<Elem> = o.iter().collect();
        s.update(&s);
        assert_eq!(numbers(&s), [0, 1, 2]);
        s.intersection_update(&s);
        assert_eq!(numbers(&s), [0, 1, 2]);
        assert!(s == s.clone() && s.is_subset(&s) && s.is_superset(&s));
        assert_eq!(numbers(&s.union(&s)), [0, 1, 2]);
        assert!(s.difference(&s).is_empty());
        assert!(s.symmetric_difference(&s).is_empty());
        s.symmetric_difference_update(&s);
        assert!(s.is_empty());
        s.update(&o);
        s.difference_update(&s);
        assert!(s.is_empty());
        for e in &o {
            assert_eq!(getweakrefcount(e), 0);
        }
    }

    #[test]
    fn elements_dying_while_the_set_is_iterated_and_mutated() {
        let mut o: Vec<Option<Obj<Elem>>> = objs(10).into_iter().map(Some).collect();
        let s: WeakSet<Elem> = o.iter().flatten().collect();
        let extra = Obj::new(Elem(100));
        let mut seen = 0;
        for e in &s {
            seen += 1;
            assert!(e.0 % 2 == 0 || seen == 1 || e.0 == 100);
            for slot in o.iter_mut().skip(1).step_by(2) {
                *slot = None;
            }
            s.insert(&extra); // mutating inside the loop is fine
            s.remove(&Elem(0));
        }
        assert!(seen >= 1);
        let mut left = numbers(&s);
        left.sort_unstable();
        assert_eq!(left, [2, 4, 6, 8, 100]);
    }

    #[test]
    fn threads_share_a_set() {
        let s: Arc<WeakSet<Elem>> = Arc::new(WeakSet::new());
        let n = if cfg!(miri) { 10 } else { 1000 };
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let s = s.clone();
                thread::spawn(move || {
                    let mut kept = Vec::new();
                    for i in 0..n {
                        let e = Obj::new(Elem(t * n + i));
                        assert!(s.insert(&e));
                        assert!(s.contains(&e));
                        if i % 10 == 0 {
                            assert!(s.iter().count() >= 1);
                        }
                        if i % 2 == 0 {
                            kept.push(e);
                        }
                    }
                    kept
                })
            })
            .collect();
        let kept: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(s.len(), kept.len());
        drop(kept);
        assert!(s.is_empty());
    }

    #[test]
    fn a_set_of_trait_objects() {
        trait Listener: Send + Sync {
            fn id(&self) -> usize;
        }
        crate::weakable_dyn!(dyn Listener);
        impl PartialEq for dyn Listener {
            fn eq(&self, other: &Self) -> bool {
                self.id() == other.id()
            }
        }
        impl Eq for dyn Listener {}
        impl std::hash::Hash for dyn Listener {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                self.id().hash(h);
            }
        }
        impl Listener for Elem {
            fn id(&self) -> usize {
                self.0
            }
        }
        #[derive(Weakable)]
        struct Other(usize);
        impl Listener for Other {
            fn id(&self) -> usize {
                self.0
            }
        }

        let s: WeakSet<dyn Listener> = WeakSet::new();
        let a: Obj<dyn Listener> = Obj::unsize(Obj::new(Elem(1)));
        let b: Obj<dyn Listener> = Obj::unsize(Obj::new(Other(2)));
        assert!(s.insert(&a));
        assert!(s.insert(&b));
        assert!(!s.insert(&Obj::unsize(Obj::new(Other(1)))));
        assert!(s.contains(&Elem(1) as &dyn Listener));
        drop(a);
        assert_eq!(s.iter().map(|l| l.id()).collect::<Vec<_>>(), [2]);
        drop(b);
        assert!(s.is_empty());
    }
}
