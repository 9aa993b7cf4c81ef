//! A list of values that is nearly always empty or one long.

use alloc::vec::Vec;

/// A handful of values, nearly always none or one: the first is kept
/// inline, so only a second allocates. Used for the entries a lookup clones
/// out of the table to compare after unlocking (a second means a hash
/// collision), and for what a holder removes and drops after unlocking.
pub(crate) struct FirstInline<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> FirstInline<T> {
    pub(crate) const fn new() -> Self {
        FirstInline {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, value: T) {
        match self.first {
            None => self.first = Some(value),
            Some(_) => self.rest.push(value),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The first value (in push order) that `f` maps to something, with
    /// the others dropped; the usual single candidate takes no iterator.
    pub(crate) fn find_map<U>(self, mut f: impl FnMut(T) -> Option<U>) -> Option<U> {
        let FirstInline { first, rest } = self;
        match f(first?) {
            Some(found) => Some(found),
            None => rest.into_iter().find_map(f),
        }
    }

    /// Whether `f` holds for any value.
    pub(crate) fn any(&self, mut f: impl FnMut(&T) -> bool) -> bool {
        self.first.as_ref().is_some_and(&mut f) || self.rest.iter().any(f)
    }

    /// Takes every value, leaving none.
    pub(crate) fn take(&mut self) -> Self {
        core::mem::replace(self, FirstInline::new())
    }

    /// The value pushed last.
    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        match self.rest.last_mut() {
            Some(last) => Some(last),
            None => self.first.as_mut(),
        }
    }
}

impl<T> IntoIterator for FirstInline<T> {
    type Item = T;
    type IntoIter = core::iter::Chain<core::option::IntoIter<T>, alloc::vec::IntoIter<T>>;

    /// The values in push order.
    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

impl<T> Extend<T> for FirstInline<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        for value in values {
            self.push(value);
        }
    }
}
