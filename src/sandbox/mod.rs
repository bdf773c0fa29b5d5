//! The sandbox: what a worker (and the supervisor) may still do once it
//! serves. Pure parts: `user` (the `--user` option and the passwd/group
//! files) and `bpf` (the seccomp filter assembler).

pub mod user;
