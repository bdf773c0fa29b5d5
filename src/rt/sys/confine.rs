//! Confinement shims: credentials (the privilege drop), prctl, resource
//! limits, Landlock and seccomp. Which rights and which syscalls are kept
//! is policy, and lives in `sandbox`; these only speak to the kernel. See
//! `rt::sys` for the rules every shim follows.

use core::mem::size_of;

use super::{BorrowedFd, OwnedFd, Result};
use syscalls::{Sysno, syscall1, syscall2, syscall3, syscall4, syscall5};

/// The three user (or group) ids of a process: real, effective, saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResIds {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
}

impl ResIds {
    /// All three are `id`.
    pub fn all(&self, id: u32) -> bool {
        self.real == id && self.effective == id && self.saved == id
    }
}

/// getresuid(2).
pub fn getresuid() -> Result<ResIds> {
    getres(Sysno::getresuid)
}

/// getresgid(2).
pub fn getresgid() -> Result<ResIds> {
    getres(Sysno::getresgid)
}

fn getres(nr: Sysno) -> Result<ResIds> {
    let mut ids = [0u32; 3];
    let [r, e, s] = ids.each_mut().map(|id| id as *mut u32 as usize);
    // SAFETY: the kernel writes one u32 into each of the three elements of
    // `ids`, borrowed for the call.
    unsafe { syscall3(nr, r, e, s) }?;
    Ok(ResIds {
        real: ids[0],
        effective: ids[1],
        saved: ids[2],
    })
}

/// setgroups(2) with an empty list: no supplementary groups.
pub fn setgroups_none() -> Result<()> {
    // SAFETY: with a size of 0 the kernel reads no list.
    unsafe { syscall2(Sysno::setgroups, 0, 0) }?;
    Ok(())
}

/// setgid(2): for a privileged process, sets the real, effective and
/// saved group ids.
pub fn setgid(gid: u32) -> Result<()> {
    // SAFETY: setgid touches no user memory.
    unsafe { syscall1(Sysno::setgid, gid as usize) }?;
    Ok(())
}

/// setuid(2): for a privileged process, sets the real, effective and
/// saved user ids, and clears every capability (capabilities(7)).
pub fn setuid(uid: u32) -> Result<()> {
    // SAFETY: setuid touches no user memory.
    unsafe { syscall1(Sysno::setuid, uid as usize) }?;
    Ok(())
}

/// A prctl(2) option (include/uapi/linux/prctl.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prctl(pub u32);

impl Prctl {
    /// The signal the kernel sends when the parent dies.
    pub const SET_PDEATHSIG: Prctl = Prctl(1);
    /// Whether a core dump or ptrace may read this process's memory.
    pub const SET_DUMPABLE: Prctl = Prctl(4);
    /// No execve can ever grant privileges again; needed to install a
    /// seccomp filter or a Landlock ruleset without `CAP_SYS_ADMIN`.
    pub const SET_NO_NEW_PRIVS: Prctl = Prctl(38);
}

/// prctl(2) with one argument; the other three are passed as 0, which
/// `PR_SET_NO_NEW_PRIVS` requires (EINVAL otherwise).
pub fn prctl(option: Prctl, arg: usize) -> Result<()> {
    // SAFETY: these options touch no user memory.
    unsafe { syscall5(Sysno::prctl, option.0 as usize, arg, 0, 0, 0) }?;
    Ok(())
}

/// `PR_SET_PDEATHSIG`: have the kernel send `signal` to this process
/// when its parent dies, so workers never outlive the supervisor.
pub fn set_parent_death_signal(signal: u32) -> Result<()> {
    prctl(Prctl::SET_PDEATHSIG, signal as usize)
}

/// A resource for prlimit64(2) (include/uapi/asm-generic/resource.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit(pub u32);

impl Rlimit {
    /// The largest core file: 0 writes none.
    pub const CORE: Rlimit = Rlimit(4);
    /// Open file descriptors.
    pub const NOFILE: Rlimit = Rlimit(7);
}

/// prlimit64(2) on this process: the (soft, hard) limits of `resource`.
pub fn getrlimit(resource: Rlimit) -> Result<(u64, u64)> {
    let mut lim = [0u64; 2];
    // SAFETY: the kernel writes one 16-byte `struct rlimit64` into `lim`.
    unsafe {
        syscall4(
            Sysno::prlimit64,
            0,
            resource.0 as usize,
            0,
            lim.as_mut_ptr() as usize,
        )
    }?;
    Ok((lim[0], lim[1]))
}

/// prlimit64(2) on this process: sets the soft and hard limits.
pub fn setrlimit(resource: Rlimit, soft: u64, hard: u64) -> Result<()> {
    let new = [soft, hard];
    // SAFETY: the kernel reads the 16-byte `new`, on our stack.
    unsafe {
        syscall4(
            Sysno::prlimit64,
            0,
            resource.0 as usize,
            new.as_ptr() as usize,
            0,
        )
    }?;
    Ok(())
}

/// `struct landlock_ruleset_attr` (include/uapi/linux/landlock.h): the
/// access rights a ruleset handles, i.e. denies unless a rule grants
/// them. Fields a kernel does not know must be zero.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct LandlockRuleset {
    /// `LANDLOCK_ACCESS_FS_*` (ABI 1+).
    pub handled_access_fs: u64,
    /// `LANDLOCK_ACCESS_NET_*` (ABI 4+).
    pub handled_access_net: u64,
    /// `LANDLOCK_SCOPE_*` (ABI 6+).
    pub scoped: u64,
}

/// landlock_create_ruleset(2) with `LANDLOCK_CREATE_RULESET_VERSION`: the
/// highest Landlock ABI this kernel supports (ENOSYS or EOPNOTSUPP when
/// it has none).
pub fn landlock_abi_version() -> Result<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: usize = 1;
    // SAFETY: with this flag the kernel reads no attribute.
    let v = unsafe {
        syscall3(
            Sysno::landlock_create_ruleset,
            0,
            0,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    }?;
    Ok(v as u32)
}

/// landlock_create_ruleset(2).
pub fn landlock_create_ruleset(attr: &LandlockRuleset) -> Result<OwnedFd> {
    // SAFETY: the kernel reads `size_of::<LandlockRuleset>()` bytes of
    // `attr`, borrowed for the call.
    let ret = unsafe {
        syscall3(
            Sysno::landlock_create_ruleset,
            attr as *const LandlockRuleset as usize,
            size_of::<LandlockRuleset>(),
            0,
        )
    }?;
    Ok(OwnedFd::from_ret(ret))
}

/// `struct landlock_path_beneath_attr`, packed in the kernel's header.
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

/// landlock_add_rule(2) with `LANDLOCK_RULE_PATH_BENEATH`: grants
/// `access` to the file hierarchy beneath the directory `dir`.
pub fn landlock_add_path_beneath(ruleset: BorrowedFd, dir: BorrowedFd, access: u64) -> Result<()> {
    const LANDLOCK_RULE_PATH_BENEATH: usize = 1;
    let attr = PathBeneath {
        allowed_access: access,
        parent_fd: dir.0,
    };
    // SAFETY: the kernel reads the 12-byte `attr`, on our stack.
    unsafe {
        syscall4(
            Sysno::landlock_add_rule,
            ruleset.0 as usize,
            LANDLOCK_RULE_PATH_BENEATH,
            &attr as *const PathBeneath as usize,
            0,
        )
    }?;
    Ok(())
}

/// landlock_restrict_self(2): this process (and its future children) are
/// confined by `ruleset` from now on.
pub fn landlock_restrict_self(ruleset: BorrowedFd) -> Result<()> {
    // SAFETY: landlock_restrict_self touches no user memory.
    unsafe { syscall2(Sysno::landlock_restrict_self, ruleset.0 as usize, 0) }?;
    Ok(())
}

/// One classic BPF instruction, `struct sock_filter`
/// (include/uapi/linux/filter.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// Operations of seccomp(2) (include/uapi/linux/seccomp.h).
const SECCOMP_SET_MODE_FILTER: usize = 1;
const SECCOMP_GET_ACTION_AVAIL: usize = 2;

/// seccomp(2) `SECCOMP_SET_MODE_FILTER`: from now on every syscall of
/// this process (and of its future children) runs `program` first.
/// Needs no-new-privs (or `CAP_SYS_ADMIN`).
pub fn seccomp_set_mode_filter(program: &[SockFilter]) -> Result<()> {
    let prog = SockFprog {
        len: program.len().min(u16::MAX as usize) as u16,
        filter: program.as_ptr(),
    };
    // SAFETY: the kernel reads `prog` and the `prog.len` instructions of
    // `program` it points to, all borrowed for the call, and copies them.
    unsafe {
        syscall3(
            Sysno::seccomp,
            SECCOMP_SET_MODE_FILTER,
            0,
            &prog as *const SockFprog as usize,
        )
    }?;
    Ok(())
}

/// seccomp(2) `SECCOMP_GET_ACTION_AVAIL`: Ok when the kernel has seccomp
/// filters and knows the filter return `action` (`SECCOMP_RET_*`).
pub fn seccomp_action_avail(action: u32) -> Result<()> {
    // SAFETY: the kernel reads the 4-byte `action`, on our stack.
    unsafe {
        syscall3(
            Sysno::seccomp,
            SECCOMP_GET_ACTION_AVAIL,
            0,
            &action as *const u32 as usize,
        )
    }?;
    Ok(())
}
