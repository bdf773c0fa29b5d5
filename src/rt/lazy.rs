//! A fixed array mapped once whose elements are written only when first
//! needed, in order: the worker's connection table. `sys::mmap_array`
//! writes every element at start, which puts all of them (376 bytes a
//! slot, 3 MiB for the default 8,192) in the resident set before the
//! first client; here only the slots ever used are written, so a worker
//! costs what its busiest moment needed. It reads as the slice of its
//! written elements.

use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};

use super::sys::{self, Errno};

/// Up to `capacity` values of `T`, the first `len` of them written.
pub struct Lazy<T: 'static> {
    slots: &'static mut [MaybeUninit<T>],
    len: usize,
}

impl<T> Lazy<T> {
    /// Room for `capacity` values, none written (mapped, not touched).
    pub fn new(capacity: usize) -> Result<Lazy<T>, Errno> {
        Ok(Lazy {
            slots: sys::mmap_uninit(capacity)?,
            len: 0,
        })
    }

    /// How many values it can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Writes `value` after the others; its index, or None when full.
    pub fn push(&mut self, value: T) -> Option<usize> {
        let slot = self.slots.get_mut(self.len)?;
        slot.write(value);
        self.len += 1;
        Some(self.len - 1)
    }
}

impl<T> Deref for Lazy<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        let written = self.slots.get(..self.len).unwrap_or_default();
        // SAFETY: the first `len` slots were written by `push`, in order,
        // and are never uninitialised again (the mapping lives as long as
        // the process); `MaybeUninit<T>` has the layout of `T`.
        unsafe { core::slice::from_raw_parts(written.as_ptr().cast::<T>(), written.len()) }
    }
}

impl<T> DerefMut for Lazy<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let written = self.slots.get_mut(..self.len).unwrap_or_default();
        // SAFETY: as in `deref`; borrowed mutably through `self`.
        unsafe { core::slice::from_raw_parts_mut(written.as_mut_ptr().cast::<T>(), written.len()) }
    }
}
