//! The privilege drop. A server started as root switches, after opening
//! the listening sockets and the root directory and before serving, to `--user`
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

/// Where users and groups are looked up.
#[derive(Clone, Copy)]
struct Files {
    passwd: CStr<'static>,
    group: CStr<'static>,
}

/// The system's files.
const ETC: Files = Files {
    passwd: PASSWD,
    group: GROUP,
};

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
/// be listed (or, without `listing`, searched). The `--log` file, `log`,
/// is handed to the new user first: it is opened again on SIGHUP and
/// SIGUSR1, after the switch. Exits 1 with one line on any failure. See
/// the module docs.
pub fn drop_privileges<'a>(
    spec: Option<UserSpec<'a>>,
    root: BorrowedFd,
    dir: &[u8],
    listing: bool,
    log: Option<BorrowedFd>,
) -> Privileges<'a> {
    let ids = sys::getresuid().unwrap_or_else(|e| out::die(b"cannot read the user ids", e));
    // Root in any of the three ids could be regained: drop them all (a
    // set-uid start without root's effective id then fails to, and says so).
    if ids.real != 0 && ids.effective != 0 && ids.saved != 0 {
        // Not root: nothing to drop. An explicit --user for someone else
        // cannot be honoured; say so rather than serve as the wrong user.
        if spec.is_some_and(|spec| resolve(spec, false, ETC).1 != ids.effective) {
            out::fail(&[b"--user needs root to switch to another user"], None);
        }
        return Privileges::Unchanged;
    }
    let default = UserSpec {
        user: Id::Name(DEFAULT_USER),
        group: None,
    };
    let (name, uid, gid) = resolve(spec.unwrap_or(default), spec.is_none(), ETC);
    if uid == 0 {
        let warning = b"warning: --user root: serving as root";
        out::line(&[warning], None);
        return Privileges::Root;
    }
    if let Some(Err(e)) = log.map(|fd| sys::fchown(fd, uid, gid)) {
        out::fail(&[b"cannot give the --log file to the --user"], Some(e));
    }
    let switched = sys::setgroups_none()
        .map_err(|e| (&b"setgroups"[..], e))
        .and_then(|()| sys::setgid(gid).map_err(|e| (&b"setgid"[..], e)))
        .and_then(|()| sys::setuid(uid).map_err(|e| (&b"setuid"[..], e)));
    if let Err((step, e)) = switched {
        out::fail(&[b"cannot switch to the --user: ", step], Some(e));
    }
    // Trust, but verify: every id changed, and root cannot be regained.
    let users = sys::getresuid().map(|ids| ids.all(uid));
    let groups = sys::getresgid().map(|ids| ids.all(gid));
    if users != Ok(true) || groups != Ok(true) || sys::setuid(0).is_ok() {
        out::fail(&[b"privileges were not dropped"], None);
    }
    // The served directory must still be listable (searchable without
    // listings) by the new user: a root-only site would otherwise answer
    // 403 to everything.
    let flags = match listing {
        true => Open::RDONLY.with(Open::DIRECTORY),
        false => Open::PATH.with(Open::DIRECTORY),
    };
    if let Err(e) = sys::openat(root, DOT, flags.with(Open::CLOEXEC)) {
        let dir = dir.get(..MAX_LINE_BYTES / 4).unwrap_or(dir);
        let who: &[u8] = if name.is_empty() { b"the --user" } else { name };
        let fix = b"' (make it readable by that user, or choose another with --user)";
        out::fail(&[b"user ", who, b" cannot read '", dir, fix], Some(e));
    }
    Privileges::Dropped { name, uid, gid }
}

/// The name to show (empty for a number), the uid and the gid for `spec`.
/// `default` marks the built-in default user, which falls back to
/// 65534:65534 when there is no `/etc/passwd` or no such user in it (a
/// `FROM scratch` image).
fn resolve<'a>(spec: UserSpec<'a>, default: bool, files: Files) -> (&'a [u8], u32, u32) {
    // The user's uid and primary group: by name from its passwd line; a
    // number needs no file, and takes its primary group from its passwd
    // line if there is one, else the same number.
    let (name, by_uid) = match spec.user {
        Id::Name(name) => (name, None),
        Id::Number(uid) => (&b""[..], Some(uid)),
    };
    let mut found = None;
    scan(files.passwd, &mut |line| {
        found = user::parse_passwd_line(line)
            .filter(|e| by_uid.map_or(e.name == name, |uid| e.uid == uid))
            .map(|e| (e.uid, e.gid));
        found.is_some()
    });
    let (uid, primary) = match (found, by_uid) {
        (Some(ids), _) => ids,
        (None, Some(uid)) => (uid, uid),
        (None, None) if default => (NOBODY_ID, NOBODY_ID),
        (None, None) => out::fail(&[b"no user '", name, b"' in /etc/passwd"], None),
    };
    let gid = match spec.group {
        None => primary,
        Some(Id::Number(gid)) => gid,
        Some(Id::Name(group)) => {
            let mut gid = None;
            scan(files.group, &mut |line| {
                gid = user::parse_group_line(line)
                    .filter(|g| g.name == group)
                    .map(|g| g.gid);
                gid.is_some()
            });
            gid.unwrap_or_else(|| out::fail(&[b"no group '", group, b"' in /etc/group"], None))
        }
    };
    (name, uid, gid)
}

/// Calls `pick` with the lines of the file `path` until it returns true;
/// nothing when the file does not exist. Exits 1 when the file exists but
/// cannot be read.
fn scan(path: CStr, pick: &mut dyn FnMut(&[u8]) -> bool) {
    let flags = Open::RDONLY.with(Open::CLOEXEC);
    let read = sys::openat(BorrowedFd::CWD, path, flags).and_then(|fd| {
        let mut buf = [0u8; LINE_BYTES];
        user::for_each_line(&mut buf, |into| sys::read(fd.as_fd(), into), pick)
    });
    match read {
        Ok(_) | Err(Errno::ENOENT) => {}
        Err(e) => out::fail(&[b"cannot read ", path.bytes()], Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A passwd and a group file in a temporary directory, by their
    /// NUL-terminated paths (leaked: the files live for the test binary).
    fn files(tag: &str, passwd: Option<&str>, group: Option<&str>) -> Files {
        let dir = std::env::temp_dir().join(format!("httpd-users-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str, text: Option<&str>| {
            let p = dir.join(name);
            match text {
                Some(t) => std::fs::write(&p, t).unwrap(),
                None => drop(std::fs::remove_file(&p)),
            }
            let bytes = format!("{}\0", p.display()).into_bytes().leak();
            CStr::new(bytes).unwrap()
        };
        Files {
            passwd: path("passwd", passwd),
            group: path("group", group),
        }
    }

    fn spec(s: &str) -> UserSpec<'_> {
        user::parse_spec(s.as_bytes()).unwrap()
    }

    const PASSWD_TEXT: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment\n\
        broken line\n\
        www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    #[test]
    fn names_numbers_and_groups() {
        let mut group = String::from("root:x:0:\n");
        // A group line far longer than the line buffer still gives its gid.
        group.push_str(&format!("crowd:x:700:{}\n", "member,".repeat(1000)));
        group.push_str("nogroup:x:65534:\n");
        let f = files("named", Some(PASSWD_TEXT), Some(&group));
        assert_eq!(
            resolve(spec("www-data"), false, f),
            (&b"www-data"[..], 33, 33)
        );
        assert_eq!(
            resolve(spec("www-data:crowd"), false, f),
            (&b"www-data"[..], 33, 700)
        );
        assert_eq!(resolve(spec("www-data:nogroup"), false, f).2, 65534);
        assert_eq!(resolve(spec("www-data:5"), false, f).2, 5);
        // A number takes its primary group from its passwd line, if any.
        assert_eq!(resolve(spec("33"), false, f), (&b""[..], 33, 33));
        assert_eq!(resolve(spec("1234"), false, f), (&b""[..], 1234, 1234));
        assert_eq!(
            resolve(default_user(), true, f),
            (DEFAULT_USER, 65534, 65534)
        );
    }

    /// No /etc at all (a `FROM scratch` image): the default user is
    /// 65534:65534, and numbers need no file.
    #[test]
    fn missing_files() {
        let f = files("missing", None, None);
        assert_eq!(
            resolve(default_user(), true, f),
            (DEFAULT_USER, NOBODY_ID, NOBODY_ID)
        );
        assert_eq!(resolve(spec("1000:1000"), false, f), (&b""[..], 1000, 1000));
        assert_eq!(resolve(spec("1000"), false, f), (&b""[..], 1000, 1000));
        // A passwd file without `nobody`: the same fallback.
        let g = files("no-nobody", Some("root:x:0:0::/:/bin/sh\n"), None);
        assert_eq!(resolve(default_user(), true, g).1, NOBODY_ID);
    }

    fn default_user() -> UserSpec<'static> {
        UserSpec {
            user: Id::Name(DEFAULT_USER),
            group: None,
        }
    }
}
