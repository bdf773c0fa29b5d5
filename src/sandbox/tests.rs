//! Unit tests of the policy itself; `tests/sandbox_kernel.rs` applies it
//! to forked children on the real kernel.

use super::*;

/// The lists hold each syscall once (a second entry would never match).
#[test]
fn each_syscall_is_listed_once() {
    let mut seen = std::collections::HashSet::new();
    for rule in SUPERVISOR.iter().chain(WORKER) {
        assert!(seen.insert(rule.nr), "syscall {} listed twice", rule.nr);
    }
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
