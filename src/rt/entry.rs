//! The process entry point and the mem* functions: what crt1.o and libc
//! would have given. Compiled into the `httpd` binary only (main.rs
//! includes this file), so the library's test binaries, which link libc,
//! never see a second `_start` or `memcpy`. All of the project's own
//! assembly is in this file; the `syscall` instruction is in the
//! `syscalls` crate.
//!
//! # Safety
//! The kernel starts `_start` with `rsp` pointing at `argc`, followed by
//! `argv[0..argc]`, a null, then the environment (System V x86_64 ABI
//! §3.4.1). `start_rust` reads exactly that, once. The mem* functions are
//! called by compiler-generated code with the C contracts of memcpy(3) and
//! friends: valid pointers and lengths supplied by the caller.

#![allow(unsafe_code)]

use core::arch::{asm, global_asm};

/// How many arguments `httpd` accepts; more is a usage error. The CLI has
/// at most a handful of options, each with one value.
const MAX_ARGS: usize = 64;

/// The environment variables httpd reads: systemd's socket activation
/// (`LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`; sd_listen_fds(3)).
/// Nothing else of the environment is ever looked at.
const ENV_PREFIX: &[u8] = b"LISTEN_";

/// The most `LISTEN_*` variables kept; systemd sets three.
const MAX_ENV: usize = 8;

global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "xor ebp, ebp",   // mark the outermost frame for debuggers and unwinders
    "mov rdi, rsp",   // first argument: the initial stack (argc, argv, envp)
    "and rsp, -16",   // the ABI wants a 16-byte aligned stack before a call
    "call {entry}",   // pushes a return address, as every Rust fn expects
    "ud2",            // start_rust never returns
    entry = sym start_rust,
);

/// Turns the initial stack into a slice of arguments and runs `main`.
///
/// # Safety
/// `sp` must be the stack pointer the kernel handed to `_start`.
unsafe extern "C" fn start_rust(sp: *const usize) -> ! {
    // SAFETY: the kernel put argc at the top of the initial stack.
    let argc = unsafe { *sp };
    // SAFETY: argv[0..argc] follows argc; the array is static for the
    // life of the process.
    let argv = unsafe { sp.add(1) } as *const *const u8;
    debug_assert!(
        (sp as usize).is_multiple_of(16),
        "the kernel aligns the initial stack"
    );
    // SAFETY: argv[argc] is the terminating null (execve(2)).
    debug_assert!(unsafe { *argv.add(argc) }.is_null());
    let mut args: [&'static [u8]; MAX_ARGS] = [b""; MAX_ARGS];
    let count = argc.min(MAX_ARGS);
    for (i, slot) in args.iter_mut().enumerate().take(count) {
        // SAFETY: i < argc, so argv[i] is a valid pointer to a
        // NUL-terminated string that lives as long as the process.
        let arg = unsafe { *argv.add(i) };
        // SAFETY: the string is NUL-terminated.
        let len = unsafe { strlen(arg) };
        // SAFETY: `len` bytes from `arg` are initialized and immutable.
        *slot = unsafe { core::slice::from_raw_parts(arg, len) };
    }
    let mut env: [&'static [u8]; MAX_ENV] = [b""; MAX_ENV];
    let mut kept = 0;
    // SAFETY: envp starts right after argv's terminating null.
    let mut envp = unsafe { argv.add(argc + 1) };
    loop {
        // SAFETY: envp points into the environment array, which ends
        // with a null pointer (execve(2)); the loop stops there.
        let var = unsafe { *envp };
        if var.is_null() {
            break;
        }
        // SAFETY: each entry is a NUL-terminated string that lives as long
        // as the process.
        let text = unsafe { core::slice::from_raw_parts(var, strlen(var)) };
        if let Some(slot) = env.get_mut(kept).filter(|_| text.starts_with(ENV_PREFIX)) {
            *slot = text;
            kept += 1;
        }
        // SAFETY: not past the terminating null, which was not reached.
        envp = unsafe { envp.add(1) };
    }
    // SAFETY: this is the whole process: httpd never creates a thread and
    // links no libc.
    unsafe { httpd::rt::sys::declare_single_threaded() };
    let code = crate::main(
        args.get(..count).unwrap_or_default(),
        argc > MAX_ARGS,
        env.get(..kept).unwrap_or_default(),
    );
    httpd::rt::sys::exit_group(code)
}

/// strlen(3) with `repne scasb` (a byte loop here would be turned by the
/// optimizer into a call to strlen itself).
///
/// # Safety
/// `s` must point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let left: usize;
    // SAFETY: the caller guarantees a NUL within the readable memory at s.
    unsafe {
        asm!(
            "repne scasb", // scan [rdi] for al (0), counting rcx down
            inout("rdi") s => _,
            inout("rcx") usize::MAX => left,
            in("al") 0u8,
            options(nostack, readonly)
        );
    }
    // rcx went down once per byte scanned, the NUL included.
    !left - 1
}

/// memcpy(3). `rep movsb` is fast on current CPUs (ERMSB) and cannot be
/// turned back into a call to memcpy by the optimizer, but it takes tens
/// of cycles to start, and most copies here are short (a response head is
/// pushed in pieces of a few bytes). Up to 32 bytes are copied with two
/// loads and two stores that may overlap in the middle, as glibc does.
///
/// # Safety
/// `dst` and `src` must be valid for `n` bytes and not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid for n bytes;
    // each load and store below lies within them (the size tests), and
    // unaligned access is allowed.
    unsafe {
        if n >= 16 && n <= 32 {
            let (a, b) = (src.cast::<u128>(), src.add(n - 16).cast::<u128>());
            let (a, b) = (a.read_unaligned(), b.read_unaligned());
            dst.cast::<u128>().write_unaligned(a);
            dst.add(n - 16).cast::<u128>().write_unaligned(b);
        } else if n >= 8 && n < 16 {
            let (a, b) = (src.cast::<u64>(), src.add(n - 8).cast::<u64>());
            let (a, b) = (a.read_unaligned(), b.read_unaligned());
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 && n < 8 {
            let (a, b) = (src.cast::<u32>(), src.add(n - 4).cast::<u32>());
            let (a, b) = (a.read_unaligned(), b.read_unaligned());
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 && n < 4 {
            // The first, middle and last bytes cover 1, 2 or 3.
            let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
            (*dst, *dst.add(n / 2), *dst.add(n - 1)) = (a, b, c);
        } else {
            asm!(
                "rep movsb", // copy rcx bytes from [rsi] to [rdi], forwards
                inout("rcx") n => _,
                inout("rdi") dst => _,
                inout("rsi") src => _,
                options(nostack, preserves_flags)
            );
        }
    }
    dst
}

/// memmove(3): forwards when that is safe, otherwise backwards with the
/// direction flag set.
///
/// # Safety
/// `dst` and `src` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // dst is before src, or past its end: a forward copy never reads a
        // byte it has already overwritten.
        // SAFETY: as for memcpy; the ranges may overlap only harmlessly.
        return unsafe { memcpy(dst, src, n) };
    }
    // SAFETY: the caller guarantees both ranges are valid for n bytes; we
    // copy from the last byte down, and restore the direction flag.
    unsafe {
        asm!(
            "std",       // copy downwards
            "rep movsb", // rcx bytes from [rsi] to [rdi], moving back
            "cld",       // the ABI requires DF clear
            inout("rcx") n => _,
            inout("rdi") dst.add(n).wrapping_sub(1) => _,
            inout("rsi") src.add(n).wrapping_sub(1) => _,
            options(nostack)
        );
    }
    dst
}

/// memset(3) with `rep stosb`.
///
/// # Safety
/// `dst` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the range is valid for n bytes.
    unsafe {
        asm!(
            "rep stosb", // store al into rcx bytes from [rdi]
            inout("rcx") n => _,
            inout("rdi") dst => _,
            in("al") c as u8,
            options(nostack, preserves_flags)
        );
    }
    dst
}

/// memcmp(3). A plain early-exit loop, which LLVM does not turn back into
/// a memcmp call.
///
/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    // Eight bytes at a time while they are equal (listings sort thousands
    // of names with common prefixes); the byte loop finds the difference.
    while i + 8 <= n {
        // SAFETY: i + 8 <= n readable bytes; unaligned reads are allowed.
        let (x, y) = unsafe {
            (
                (a.add(i) as *const u64).read_unaligned(),
                (b.add(i) as *const u64).read_unaligned(),
            )
        };
        if x != y {
            // Little endian: the lowest differing byte comes first.
            i += ((x ^ y).trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    while i < n {
        // SAFETY: i < n and the caller guarantees n readable bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// bcmp(3): zero when equal; LLVM emits it for slice equality.
///
/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// The unwinding personality routine that the precompiled `core` refers
/// to. With `panic = "abort"` nothing ever unwinds, so it is never called;
/// it only satisfies the linker in unoptimized builds.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
