//! A small assembler for seccomp's classic BPF (seccomp(2),
//! Documentation/userspace-api/seccomp_filter.rst): it turns an
//! allow-list of syscalls, some with one argument check, into a filter
//! program, instead of a hand-written array of magic numbers. Pure: it
//! makes no syscall; `sandbox` installs what it builds.
//!
//! The program it writes:
//!
//! ```text
//!       ld  [arch]                   ; struct seccomp_data, offset 4
//!       jeq AUDIT_ARCH_X86_64, +1    ; any other ABI: kill
//!       ret KILL_PROCESS
//!       ld  [nr]                     ; offset 0
//!       jset X32_SYSCALL_BIT, +0, +1 ; x32 calls: kill
//!       ret KILL_PROCESS
//!       jeq nr_0, +0, +1             ; a rule without argument check
//!       ret ALLOW
//!       jeq nr_1, +0, +len           ; a rule with one: its block, which
//!       ld  [args[i]] ...            ; ends in its own ret ALLOW and
//!       ret ALLOW / ret DEFAULT      ; ret DEFAULT
//!       ...
//!       ret DEFAULT                  ; not listed: kill (or log)
//! ```
//!
//! Every jump is forward and short, to the next rule at most. A rule
//! without an argument check uses only the instructions the kernel can
//! evaluate ahead of time, so such a syscall is allowed from a per-filter
//! bitmap without running the filter at all (kernel/seccomp.c,
//! `seccomp_cache_prepare`, Linux 5.11+). Argument checks load the
//! argument and so run on each call.

use crate::rt::sys::SockFilter;

/// Instruction classes and fields (include/uapi/linux/bpf_common.h).
const BPF_LD: u16 = 0x00;
const BPF_JMP: u16 = 0x05;
const BPF_RET: u16 = 0x06;
const BPF_W: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_JEQ: u16 = 0x10;
const BPF_JSET: u16 = 0x40;
const BPF_K: u16 = 0x00;

/// Offsets in `struct seccomp_data` (include/uapi/linux/seccomp.h): the
/// syscall number, the audit architecture, then six 64-bit arguments
/// (little-endian: the low half first).
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
const DATA_ARGS: u32 = 16;

/// `AUDIT_ARCH_X86_64` (include/uapi/linux/audit.h): `EM_X86_64` (62),
/// 64-bit, little-endian.
pub const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;

/// Set in the syscall number of x32 calls (arch/x86/include/uapi/asm/
/// unistd.h): the same arch value, another ABI.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Filter return values (include/uapi/linux/seccomp.h).
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;

/// The most instructions a program may have where one is copied to be
/// changed (`log_instead_of_kill`): far above what the server's lists
/// need, far below the kernel's `BPF_MAXINSNS` (4096).
pub const MAX_INSNS: usize = 256;

/// Instructions before the first rule: the architecture and x32 checks.
const PROLOGUE_LEN: usize = 6;

/// What a rule checks of the call's arguments, besides its number.
#[derive(Clone, Copy, Debug)]
pub enum Args {
    /// Nothing: any arguments.
    Any,
    /// Argument `arg` (0..6) is one of `values`: its high 32 bits are 0
    /// and its low 32 bits equal one of them.
    OneOf(u32, &'static [u32]),
    /// Argument `arg` has none of the bits of the mask in its low 32 bits
    /// (an `int` flags argument: the kernel ignores the high half).
    NoneOf(u32, u32),
}

/// One entry of an allow-list.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub nr: u32,
    pub args: Args,
}

impl Rule {
    /// Allows syscall `nr` with any arguments.
    pub const fn any(nr: u32) -> Rule {
        Rule {
            nr,
            args: Args::Any,
        }
    }

    /// The instructions after the rule's `jeq`, which a call with
    /// another number jumps over.
    const fn block_len(&self) -> usize {
        match self.args {
            // ret ALLOW
            Args::Any => 1,
            // ld hi; jeq 0; ld lo; one jeq per value; ret DEFAULT; ret ALLOW
            Args::OneOf(_, values) => 5 + values.len(),
            // ld lo; jset; ret ALLOW; ret DEFAULT
            Args::NoneOf(..) => 4,
        }
    }
}

/// The number of instructions `assemble` writes for `lists`.
pub const fn program_len(lists: &[&[Rule]]) -> usize {
    let mut len = PROLOGUE_LEN + 1; // and the final `ret DEFAULT`
    let mut i = 0;
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            len += 1 + lists[i][j].block_len();
            j += 1;
        }
        i += 1;
    }
    len
}

/// The program being written.
struct Asm<const N: usize> {
    insns: [SockFilter; N],
    len: usize,
}

impl<const N: usize> Asm<N> {
    /// Appends one instruction. A jump offset over 255 (a rule with
    /// hundreds of values) cannot be encoded: evaluated in a `const`, the
    /// panic is a compile error.
    const fn push(&mut self, code: u16, jt: usize, jf: usize, k: u32) {
        assert!(jt <= u8::MAX as usize && jf <= u8::MAX as usize);
        self.insns[self.len] = SockFilter {
            code,
            jt: jt as u8,
            jf: jf as u8,
            k,
        };
        self.len += 1;
    }

    const fn load(&mut self, offset: u32) {
        self.push(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset)
    }

    const fn ret(&mut self, action: u32) {
        self.push(BPF_RET | BPF_K, 0, 0, action)
    }
}

/// Assembles the rules of `lists` into a program of `N` instructions
/// (`program_len(lists)`) that allows them and answers every other
/// syscall with `default` (`RET_KILL_PROCESS` or `RET_LOG`). Calls of
/// another architecture or ABI are always killed. A syscall listed twice
/// takes its first rule. The server evaluates it in `const` items, so the
/// binary holds only the finished programs, and a list that cannot be
/// assembled (a wrong `N`) fails the build.
pub const fn assemble<const N: usize>(lists: &[&[Rule]], default: u32) -> [SockFilter; N] {
    let mut p = prologue::<N>();
    let mut i = 0;
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            let rule = lists[i][j];
            p.push(BPF_JMP | BPF_JEQ | BPF_K, 0, rule.block_len(), rule.nr);
            match rule.args {
                Args::Any => p.ret(RET_ALLOW),
                Args::OneOf(arg, values) => {
                    let n = values.len();
                    p.load(DATA_ARGS + 8 * arg + 4);
                    // A high half that is not 0: to `ret DEFAULT`.
                    p.push(BPF_JMP | BPF_JEQ | BPF_K, 0, n + 1, 0);
                    p.load(DATA_ARGS + 8 * arg);
                    let mut v = 0;
                    while v < n {
                        // A match: past the other values and `ret DEFAULT`
                        // to `ret ALLOW`.
                        p.push(BPF_JMP | BPF_JEQ | BPF_K, n - v, 0, values[v]);
                        v += 1;
                    }
                    p.ret(default);
                    p.ret(RET_ALLOW);
                }
                Args::NoneOf(arg, mask) => {
                    p.load(DATA_ARGS + 8 * arg);
                    p.push(BPF_JMP | BPF_JSET | BPF_K, 1, 0, mask);
                    p.ret(RET_ALLOW);
                    p.ret(default);
                }
            }
            j += 1;
        }
        i += 1;
    }
    p.ret(default);
    assert!(p.len == N, "N must be program_len(lists)");
    p.insns
}

/// The number of instructions `assemble_deny` writes for `rules`.
pub const fn deny_len(rules: &[Rule]) -> usize {
    let mut len = PROLOGUE_LEN + 1; // and the final `ret ALLOW`
    let mut j = 0;
    while j < rules.len() {
        len += match rules[j].args {
            // jeq; ret KILL
            Args::Any => 2,
            // jeq; ld arg; jset; ret KILL; ld nr
            _ => 5,
        };
        j += 1;
    }
    len
}

/// The other way round from `assemble`: a program of `N` instructions
/// (`deny_len(rules)`) that kills the process on each syscall of `rules`
/// whose argument check fails (an `Any` rule never passes: the call is
/// always killed; a `NoneOf` rule passes when the argument has none of
/// the mask's bits) and allows every other call. Stacked on an
/// allow-list (the kernel runs every filter and takes the strictest
/// answer), it takes calls back out of it. Same prologue as `assemble`;
/// `OneOf` rules are not supported (a compile error).
pub const fn assemble_deny<const N: usize>(rules: &[Rule]) -> [SockFilter; N] {
    let mut p = prologue::<N>();
    let mut j = 0;
    while j < rules.len() {
        let rule = rules[j];
        match rule.args {
            Args::Any => {
                p.push(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, rule.nr);
                p.ret(RET_KILL_PROCESS);
            }
            Args::NoneOf(arg, mask) => {
                p.push(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, rule.nr);
                p.load(DATA_ARGS + 8 * arg);
                p.push(BPF_JMP | BPF_JSET | BPF_K, 0, 1, mask);
                p.ret(RET_KILL_PROCESS);
                // The next rule compares the number again.
                p.load(DATA_NR);
            }
            Args::OneOf(..) => panic!("assemble_deny has no OneOf rules"),
        }
        j += 1;
    }
    p.ret(RET_ALLOW);
    assert!(p.len == N, "N must be deny_len(rules)");
    p.insns
}

/// A program with its prologue written: another architecture or an x32
/// call is killed, and the syscall number is loaded.
const fn prologue<const N: usize>() -> Asm<N> {
    let empty = SockFilter {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    };
    let mut p = Asm {
        insns: [empty; N],
        len: 0,
    };
    p.load(DATA_ARCH);
    p.push(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    p.ret(RET_KILL_PROCESS);
    p.load(DATA_NR);
    p.push(BPF_JMP | BPF_JSET | BPF_K, 0, 1, X32_SYSCALL_BIT);
    p.ret(RET_KILL_PROCESS);
    p
}

/// Turns a program's `ret KILL_PROCESS` for unlisted syscalls into `ret
/// LOG` (`--sandbox log`), keeping the kills of the prologue: another
/// architecture or x32 is never let through.
pub fn log_instead_of_kill(program: &mut [SockFilter]) {
    for insn in program.iter_mut().skip(PROLOGUE_LEN) {
        if insn.code == BPF_RET | BPF_K && insn.k == RET_KILL_PROCESS {
            insn.k = RET_LOG;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// read; mmap, never executable; kill with SIGKILL or SIGTERM; exit.
    const RULES: [Rule; 4] = [
        Rule::any(0),
        Rule {
            nr: 9,
            args: Args::NoneOf(2, 4),
        },
        Rule {
            nr: 62,
            args: Args::OneOf(1, &[9, 15]),
        },
        Rule::any(60),
    ];

    fn insn(code: u32, jt: u8, jf: u8, k: u32) -> SockFilter {
        SockFilter {
            code: code as u16,
            jt,
            jf,
            k,
        }
    }

    /// The exact program for a small list, spelled with libc's constants
    /// (an independent source for every opcode and offset).
    #[test]
    fn exact_instructions() {
        use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W};
        let rules = RULES;
        let lists: [&[Rule]; 2] = [&rules[..2], &rules[2..]];
        const LEN: usize = 24;
        assert_eq!(program_len(&lists), LEN);
        let p: [SockFilter; LEN] = assemble(&lists, RET_KILL_PROCESS);
        let ld = BPF_LD | BPF_W | BPF_ABS;
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        let jset = BPF_JMP | BPF_JSET | BPF_K;
        let ret = BPF_RET | BPF_K;
        let (kill, allow) = (libc::SECCOMP_RET_KILL_PROCESS, libc::SECCOMP_RET_ALLOW);
        let expect = [
            insn(ld, 0, 0, 4),             // 0 arch
            insn(jeq, 1, 0, 0xc000_003e),  // 1 AUDIT_ARCH_X86_64 (audit.h)
            insn(ret, 0, 0, kill),         // 2
            insn(ld, 0, 0, 0),             // 3 nr
            insn(jset, 0, 1, 0x4000_0000), // 4 x32
            insn(ret, 0, 0, kill),         // 5
            insn(jeq, 0, 1, 0),            // 6 read
            insn(ret, 0, 0, allow),        // 7
            insn(jeq, 0, 4, 9),            // 8 mmap, else to 13
            insn(ld, 0, 0, 16 + 2 * 8),    // 9 prot
            insn(jset, 1, 0, 4),           // 10 PROT_EXEC
            insn(ret, 0, 0, allow),        // 11
            insn(ret, 0, 0, kill),         // 12
            insn(jeq, 0, 7, 62),           // 13 kill, else to 21
            insn(ld, 0, 0, 16 + 8 + 4),    // 14 sig, high half
            insn(jeq, 0, 3, 0),            // 15 not 0: to 19
            insn(ld, 0, 0, 16 + 8),        // 16 low half
            insn(jeq, 2, 0, 9),            // 17 SIGKILL: to 20
            insn(jeq, 1, 0, 15),           // 18 SIGTERM: to 20
            insn(ret, 0, 0, kill),         // 19
            insn(ret, 0, 0, allow),        // 20
            insn(jeq, 0, 1, 60),           // 21 exit
            insn(ret, 0, 0, allow),        // 22
            insn(ret, 0, 0, kill),         // 23 anything else
        ];
        assert_eq!(p, expect);
        // And as bytes, the layout the kernel reads.
        assert_eq!(std::mem::size_of::<SockFilter>(), 8);
        assert_eq!(
            std::mem::size_of::<SockFilter>(),
            std::mem::size_of::<libc::sock_filter>()
        );
    }

    /// A classic BPF interpreter for the instructions the assembler emits.
    pub fn run(p: &[SockFilter], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_le_bytes());
        data[4..8].copy_from_slice(&arch.to_le_bytes());
        for (i, a) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
        }
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let i = p[pc];
            let k = i.k;
            pc += 1;
            match i.code {
                0x20 => {
                    acc = u32::from_le_bytes(data[k as usize..k as usize + 4].try_into().unwrap())
                }
                0x15 => pc += if acc == k { i.jt } else { i.jf } as usize,
                0x45 => pc += if acc & k != 0 { i.jt } else { i.jf } as usize,
                0x06 => return k,
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn behaves_as_the_rules_say() {
        let rules = RULES;
        let killing: [SockFilter; 24] = assemble(&[&rules], RET_KILL_PROCESS);
        let mut logging = killing;
        log_instead_of_kill(&mut logging);
        assert_eq!(logging, assemble::<24>(&[&rules], RET_LOG));
        for (default, p) in [(RET_KILL_PROCESS, &killing), (RET_LOG, &logging)] {
            let x86 = AUDIT_ARCH_X86_64;
            let go = |nr, args| run(p, x86, nr, args);
            assert_eq!(go(0, [0; 6]), RET_ALLOW);
            assert_eq!(go(60, [1, 2, 3, 4, 5, 6]), RET_ALLOW);
            assert_eq!(go(1, [0; 6]), default);
            assert_eq!(go(41, [0; 6]), default);
            assert_eq!(go(9, [0, 4096, 3, 0, 0, 0]), RET_ALLOW);
            assert_eq!(go(9, [0, 4096, 7, 0, 0, 0]), default);
            assert_eq!(go(62, [5, 15, 0, 0, 0, 0]), RET_ALLOW);
            assert_eq!(go(62, [5, 9, 0, 0, 0, 0]), RET_ALLOW);
            assert_eq!(go(62, [5, 10, 0, 0, 0, 0]), default);
            assert_eq!(go(62, [5, (1 << 32) | 15, 0, 0, 0, 0]), default);
            // x32 and foreign architectures die whatever the default.
            assert_eq!(go(0x4000_0000, [0; 6]), RET_KILL_PROCESS);
            assert_eq!(run(p, 0x4000_0003, 0, [0; 6]), RET_KILL_PROCESS);
        }
    }

    #[test]
    fn deny_programs_kill_what_they_list_and_allow_the_rest() {
        // Kill read and exit; kill mmap when executable; allow the rest.
        const DENY: [Rule; 3] = [
            Rule::any(0),
            Rule {
                nr: 9,
                args: Args::NoneOf(2, 4),
            },
            Rule::any(60),
        ];
        let killing: [SockFilter; deny_len(&DENY)] = assemble_deny(&DENY);
        assert_eq!(killing.len(), 6 + 2 + 5 + 2 + 1);
        let mut logging = killing;
        log_instead_of_kill(&mut logging);
        for (kill, p) in [(RET_KILL_PROCESS, &killing), (RET_LOG, &logging)] {
            let go = |nr, args| run(p, AUDIT_ARCH_X86_64, nr, args);
            assert_eq!(go(0, [0; 6]), kill);
            assert_eq!(go(60, [0; 6]), kill);
            assert_eq!(go(9, [0, 4096, 7, 0, 0, 0]), kill);
            // After the argument check, the number is compared again.
            assert_eq!(go(9, [0, 4096, 3, 0, 0, 0]), RET_ALLOW);
            for nr in [1, 2, 41, 59, 61, 231] {
                assert_eq!(go(nr, [0, 0, 4, 0, 0, 0]), RET_ALLOW, "{nr}");
            }
            assert_eq!(go(0x4000_0000, [0; 6]), RET_KILL_PROCESS);
            assert_eq!(run(p, 0x4000_0003, 1, [0; 6]), RET_KILL_PROCESS);
        }
    }

    #[test]
    #[should_panic]
    fn a_wrong_length_is_refused() {
        let _: [SockFilter; 7] = assemble(&[&[Rule::any(0)]], RET_KILL_PROCESS);
    }

    #[test]
    #[should_panic]
    fn a_jump_too_far_is_refused() {
        const MANY: [u32; 300] = [1; 300];
        let rules = [Rule {
            nr: 1,
            args: Args::OneOf(0, &MANY),
        }];
        let _: [SockFilter; 512] = assemble(&[&rules], RET_KILL_PROCESS);
    }
}
