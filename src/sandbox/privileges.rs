//! The privilege drop. A server started as root switches, after opening
//! the listener and the root directory and before serving, to `--user`
//! (default `nobody`): `setgroups(0)`, `setgid`, `setuid`, then checks
//! that all three user and group ids changed and that `setuid(0)` fails.
//! Files only root may read then get 403, as with nginx's `user nobody`.
//! A start as any other user changes nothing. Names are looked up in
//! `/etc/passwd` and `/etc/group` (read a line at a time, `user`);
//! numbers need no file. Every failure is one line and exit 1.

use super::user::{self, DEFAULT_USER, Id, NOBODY_ID, UserSpec};
use crate::buf::Buf;
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{self, BorrowedFd, CStr, Errno, Open};

/// Bytes of a passwd or group line kept: the fields read come first, and
/// a longer line (a group with many members) is cut, not refused.
const LINE_BYTES: usize = 1024;

const PASSWD: CStr<'static> = match CStr::new(b"/etc/passwd\0") {
    Some(c) => c,
    None => panic!(),
};
const GROUP: CStr<'static> = match CStr::new(b"/etc/group\0") {
    Some(c) => c,
    None => panic!(),
};
const DOT: CStr<'static> = crate::fs::root::DOT;

/// Who serves, once `drop_privileges` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privileges<'a> {
    /// Not started as root: nothing changed.
    Unchanged,
    /// Started as root with `--user root`: still root, on purpose.
    Root,
    /// Switched from root to this user.
    Dropped { name: &'a [u8], uid: u32, gid: u32 },
}

impl Privileges<'_> {
    /// The line printed after the banner, if any.
    pub fn describe(&self, line: &mut Buf) {
        match *self {
            Privileges::Unchanged => {}
            Privileges::Root => {
                line.str("Running as root (--user root)\n");
            }
            Privileges::Dropped { name, uid, gid } => {
                line.str("Running as ");
                if !name.is_empty() {
                    line.str("user ").push(name).str(", ");
                }
                line.str("uid ")
                    .u64(u64::from(uid))
                    .str(", gid ")
                    .u64(u64::from(gid))
                    .str("\n");
            }
        }
    }
}

/// Switches to `spec` (None: the default user) when running as root,
/// then checks that the served directory `root` (named `dir`) can still
/// be listed (or, without `listing`, searched). Exits 1 with one line on
/// any failure. See the module docs.
pub fn drop_privileges<'a>(
    spec: Option<UserSpec<'a>>,
    root: BorrowedFd,
    dir: &[u8],
    listing: bool,
) -> Privileges<'a> {
    let ids = sys::getresuid().unwrap_or_else(|e| out::die(b"cannot read the user ids", e));
    if ids.effective != 0 {
        // Not root: nothing to drop. An explicit --user for someone else
        // cannot be honoured; say so rather than serve as the wrong user.
        if let Some(spec) = spec {
            let (name, uid, _) = resolve(spec, false);
            if uid != ids.effective {
                let mut mem = [0u8; MAX_LINE_BYTES];
                let mut line = Buf::new(&mut mem);
                line.str("httpd: --user ");
                who(&mut line, name, uid);
                line.str(" needs root; httpd runs as uid ")
                    .u64(u64::from(ids.effective))
                    .byte(b'\n');
                fail(&line);
            }
        }
        return Privileges::Unchanged;
    }
    let (name, uid, gid) = match spec {
        Some(spec) => resolve(spec, false),
        None => resolve(
            UserSpec {
                user: Id::Name(DEFAULT_USER),
                group: None,
            },
            true,
        ),
    };
    if uid == 0 {
        out::stderr(b"httpd: warning: --user root: workers keep root's rights (they are still confined by Landlock and seccomp)\n");
        return Privileges::Root;
    }
    let switched = sys::setgroups_none()
        .map_err(|e| (&b"setgroups"[..], e))
        .and_then(|()| sys::setgid(gid).map_err(|e| (&b"setgid"[..], e)))
        .and_then(|()| sys::setuid(uid).map_err(|e| (&b"setuid"[..], e)));
    if let Err((step, e)) = switched {
        let mut mem = [0u8; MAX_LINE_BYTES];
        let mut what = Buf::new(&mut mem);
        what.str("cannot switch to user ")
            .push(name)
            .str(": ")
            .push(step);
        out::die(what.as_bytes(), e);
    }
    // Trust, but verify: every id changed, and root cannot be regained.
    let users = sys::getresuid().map(|ids| ids.all(uid));
    let groups = sys::getresgid().map(|ids| ids.all(gid));
    if users != Ok(true) || groups != Ok(true) || sys::setuid(0).is_ok() {
        out::stderr(
            b"httpd: privileges were not dropped: the user and group ids did not all change\n",
        );
        sys::exit_group(1);
    }
    check_root(root, dir, listing, name, uid);
    Privileges::Dropped { name, uid, gid }
}

/// The served directory must still be listable (searchable without
/// listings) by the new user: a root-only site would otherwise answer
/// 403 to everything.
fn check_root(root: BorrowedFd, dir: &[u8], listing: bool, name: &[u8], uid: u32) {
    let (flags, verb) = match listing {
        true => (Open::RDONLY.with(Open::DIRECTORY), "list"),
        false => (Open::PATH.with(Open::DIRECTORY), "search"),
    };
    let Err(e) = sys::openat(root, DOT, flags.with(Open::CLOEXEC)) else {
        return;
    };
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("httpd: ");
    who(&mut line, name, uid);
    line.str(" cannot ")
        .str(verb)
        .str(" '")
        .push(dir.get(..MAX_LINE_BYTES / 4).unwrap_or(dir))
        .str("': ");
    out::errno(&mut line, e);
    line.str("; make it readable by that user, or choose another with --user\n");
    fail(&line);
}

/// `user nobody (uid 65534)`, or `uid 1000` for a user given by number.
fn who(line: &mut Buf, name: &[u8], uid: u32) {
    if !name.is_empty() {
        line.str("user ").push(name).str(" (");
    }
    line.str("uid ").u64(u64::from(uid));
    if !name.is_empty() {
        line.byte(b')');
    }
}

/// The name to show (empty for a number), the uid and the gid for `spec`. `default` marks the
/// built-in default user, which falls back to 65534:65534 when there is
/// no `/etc/passwd` or no such user in it (a `FROM scratch` image).
fn resolve<'a>(spec: UserSpec<'a>, default: bool) -> (&'a [u8], u32, u32) {
    // The user's uid and primary group: by name from its passwd line; a
    // number needs no file, and takes its primary group from its passwd
    // line if there is one, else the same number.
    let (name, by_uid) = match spec.user {
        Id::Name(name) => (name, None),
        Id::Number(uid) => (&b""[..], Some(uid)),
    };
    let mut found = None;
    scan(PASSWD, &mut |line| {
        found = user::parse_passwd_line(line)
            .filter(|e| by_uid.map_or(e.name == name, |uid| e.uid == uid))
            .map(|e| (e.uid, e.gid));
        found.is_some()
    });
    let (uid, primary) = match (found, by_uid) {
        (Some(ids), _) => ids,
        (None, Some(uid)) => (uid, uid),
        (None, None) if default => (NOBODY_ID, NOBODY_ID),
        (None, None) => unknown(b"user", name, b"/etc/passwd"),
    };
    let gid = match spec.group {
        None => primary,
        Some(Id::Number(gid)) => gid,
        Some(Id::Name(group)) => {
            let mut gid = None;
            scan(GROUP, &mut |line| {
                gid = user::parse_group_line(line)
                    .filter(|g| g.name == group)
                    .map(|g| g.gid);
                gid.is_some()
            });
            gid.unwrap_or_else(|| unknown(b"group", group, b"/etc/group"))
        }
    };
    (name, uid, gid)
}

/// Calls `pick` with the lines of the file `path` until it returns true;
/// nothing when the file does not exist. Exits 1 when the file exists but
/// cannot be read.
fn scan(path: CStr, pick: &mut dyn FnMut(&[u8]) -> bool) {
    let fd = match sys::openat(BorrowedFd::CWD, path, Open::RDONLY.with(Open::CLOEXEC)) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return,
        Err(e) => cannot_read(path, e),
    };
    let mut buf = [0u8; LINE_BYTES];
    if let Err(e) = user::for_each_line(&mut buf, |into| sys::read(fd.as_fd(), into), pick) {
        cannot_read(path, e);
    }
}

fn cannot_read(path: CStr, e: Errno) -> ! {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut what = Buf::new(&mut mem);
    what.str("cannot read ").push(path.bytes());
    out::die(what.as_bytes(), e)
}

/// `httpd: no user 'www' in /etc/passwd`, exit 1.
fn unknown(what: &[u8], name: &[u8], file: &[u8]) -> ! {
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("httpd: no ")
        .push(what)
        .str(" '")
        .push(name)
        .str("' in ")
        .push(file)
        .byte(b'\n');
    fail(&line)
}

/// Prints a finished error line and exits 1.
fn fail(line: &Buf) -> ! {
    out::stderr(line.as_bytes());
    sys::exit_group(1)
}
