//! Unit tests of the policy itself; `tests/sandbox_kernel.rs` applies it
//! to forked children on the real kernel.

use super::*;

/// Each list holds a syscall once (a second entry would never match);
/// across the two, only `openat` and `shutdown` are in both, the
/// supervisor's rule (first in its filter) allowing what the worker's
/// does and more.
#[test]
fn each_syscall_is_listed_once() {
    for list in [SUPERVISOR, WORKER, UPLOAD] {
        let mut seen = std::collections::HashSet::new();
        for rule in list {
            assert!(seen.insert(rule.nr), "syscall {} listed twice", rule.nr);
        }
    }
    let both: Vec<u32> = SUPERVISOR
        .iter()
        .filter(|s| WORKER.iter().any(|w| w.nr == s.nr))
        .map(|r| r.nr)
        .collect();
    assert_eq!(both, [Sysno::openat as u32, Sysno::shutdown as u32]);
    // Uploads only add to the lists; `NO_UPLOAD` takes exactly them, and
    // `openat`'s write flags, back out.
    assert!(
        UPLOAD
            .iter()
            .all(|u| !WORKER.iter().chain(SUPERVISOR).any(|w| w.nr == u.nr))
    );
    let taken: Vec<u32> = NO_UPLOAD.iter().map(|r| r.nr).collect();
    let mut want: Vec<u32> = UPLOAD.iter().map(|r| r.nr).collect();
    want.push(Sysno::openat as u32);
    assert_eq!(taken, want);
}

/// Every right of each Landlock ABI is handled, and what a worker keeps
/// is among them.
#[test]
fn landlock_rights_per_abi() {
    assert_eq!(fs_rights(1), 0x1fff);
    assert_eq!(fs_rights(3), 0x7fff);
    assert_eq!(fs_rights(7), 0xffff);
    for abi in 1..=7 {
        assert_eq!(
            fs_rights(abi) & (FS_READ_FILE | FS_READ_DIR),
            FS_READ_FILE | FS_READ_DIR
        );
    }
}
