//! The exit-time hook: a function the C runtime calls when the process
//! exits (`main` returns or `std::process::exit`), as Python's `atexit`.

/// Asks the C runtime to call `f` at process exit. False if it refused
/// (its table of handlers is full).
///
/// Miri cannot run C exit handlers: there it registers nothing and says
/// so (false).
pub(crate) fn at_exit(f: extern "C" fn()) -> bool {
    #[cfg(not(miri))]
    {
        extern "C" {
            fn atexit(callback: extern "C" fn()) -> core::ffi::c_int;
        }
        // SAFETY: `atexit` is the C standard library's (std links it on
        // every platform it supports), declared with its C signature. It
        // only stores the pointer; `f` is a plain `extern "C"` function,
        // which lives as long as the program.
        unsafe { atexit(f) == 0 }
    }
    #[cfg(miri)]
    {
        let _ = f;
        false
    }
}
