//! The users of `--auth-file` (an htpasswd-style file) and `--auth`:
//! `user:hash` lines, `#` comments and blank lines, LF or CRLF. Entries
//! borrow from the text; nothing is copied. Every line is checked at
//! start-up, so that a refused hash is a one-line error naming its line
//! and the fix, never a login that silently cannot succeed. The user id is
//! what RFC 7617 §2 allows (any bytes but `:` and controls; UTF-8 in
//! practice), compared byte for byte. `hash_line` turns `--auth
//! USER:PASSWORD` into such a line. Contract: no panic on any input.

use super::crypt::{self, Hash};
use crate::buf::Buf;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// The most of an `--auth-file` read at start-up: some 600 bcrypt lines,
/// ten times `MAX_USERS`, so comments fit too.
pub const MAX_AUTH_FILE_BYTES: usize = 64 * 1024;

/// The most users: each worker scans all of them per login (in constant
/// time), and a site with more users wants a real identity provider.
pub const MAX_USERS: usize = 64;

/// Why a users file was refused: `line` counts from 1 (0: the whole
/// text), `reason` is one line that says what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsersError {
    pub line: usize,
    pub reason: &'static str,
}

/// One user and the hash of their password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub user: &'a [u8],
    pub hash: Hash<'a>,
}

/// An entry of no one, filling the unused slots.
const VACANT: Entry<'static> = Entry {
    user: b"",
    hash: Hash {
        scheme: crypt::Scheme::Sha256,
        cost: 0,
        salt: b"",
        digest: b"",
    },
};

/// The users: at most `MAX_USERS` entries borrowing from the text.
#[derive(Clone, Debug)]
pub struct Users<'a> {
    entries: [Entry<'a>; MAX_USERS],
    len: usize,
}

/// Why a users file was refused (see `UsersError`; the hash's own
/// reasons are `crypt`'s).
pub const TOO_LARGE: &str = "larger than 64 KiB";
pub const NO_USERS: &str = "no users: add lines made with `htpasswd -nB USER`";
pub const TOO_MANY: &str = "more than 64 users";
pub const NO_COLON: &str = "no `:` after the user name";
pub const EMPTY_USER: &str = "an empty user name";
pub const COLON_IN_USER: &str = "a second `:`";
pub const CONTROL_IN_USER: &str = "a control character in the user name";
pub const DUPLICATE: &str = "a user named twice";

impl<'a> Users<'a> {
    /// No users yet.
    pub const fn new() -> Users<'a> {
        Users {
            entries: [VACANT; MAX_USERS],
            len: 0,
        }
    }

    /// Adds the users of `text` (file lines, see the module docs); on an
    /// error, the users before it stay added.
    pub fn extend(&mut self, text: &'a [u8]) -> Result<(), UsersError> {
        let mut line = 0;
        let mut rest = text;
        // Every refusal leaves this block with its reason; `line` says where.
        let reason = 'lines: {
            if text.len() > MAX_AUTH_FILE_BYTES {
                break 'lines TOO_LARGE;
            }
            while !rest.is_empty() {
                line += 1;
                let this;
                (this, rest) = super::split_once(rest, b'\n').unwrap_or((rest, b""));
                let this = this.trim_ascii_end();
                if let [] | [b'#', ..] = this {
                    continue;
                }
                let entry = match parse_line(this) {
                    Ok(entry) => entry,
                    Err(reason) => break 'lines reason,
                };
                if self.find(entry.user).is_some() {
                    break 'lines DUPLICATE;
                }
                let Some(slot) = self.entries.get_mut(self.len) else {
                    break 'lines TOO_MANY;
                };
                *slot = entry;
                self.len += 1;
            }
            return Ok(());
        };
        Err(UsersError { line, reason })
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[Entry<'a>] {
        self.entries.get(..self.len).unwrap_or_default()
    }

    /// The index of `user`'s entry. Every entry is compared, each in
    /// constant time, so the time taken does not depend on which user
    /// (if any) matched.
    pub fn find(&self, user: &[u8]) -> Option<usize> {
        let mut found = Choice::from(0);
        let mut index = 0u16;
        for (i, entry) in self.entries().iter().enumerate() {
            let hit = entry.user.ct_eq(user);
            index.conditional_assign(&(i as u16), hit);
            found |= hit;
        }
        bool::from(found).then_some(usize::from(index))
    }
}

impl Default for Users<'_> {
    fn default() -> Self {
        Users::new()
    }
}

/// Parses an htpasswd-style users file (see the module docs); refuses a
/// file with no users.
#[inline(never)] // See the module docs of `auth`.
pub fn parse(text: &[u8]) -> Result<Users<'_>, UsersError> {
    let mut users = Users::new();
    users.extend(text)?;
    if users.len == 0 {
        return Err(UsersError {
            line: 0,
            reason: NO_USERS,
        });
    }
    Ok(users)
}

/// One `user:hash` line (not blank, not a comment, no line end).
fn parse_line(line: &[u8]) -> Result<Entry<'_>, &'static str> {
    let (user, hash) = super::split_once(line, b':').ok_or(NO_COLON)?;
    if user.is_empty() {
        return Err(EMPTY_USER);
    }
    if user.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err(CONTROL_IN_USER);
    }
    // htdigest's `user:realm:hash` and a user name with a colon.
    if hash.contains(&b':') {
        return Err(COLON_IN_USER);
    }
    Ok(Entry {
        user,
        hash: crypt::parse_hash(hash)?,
    })
}

/// Writes the users-file line `user:$5$<salt>$<digest>` for `password`:
/// SHA-256-crypt with the default 5,000 rounds (a hash made at every
/// start-up, so not bcrypt's cost), the salt 16 characters made from
/// `random`. The caller parses the line with `parse` or `Users::extend`,
/// which checks `user` (one with a line break is refused as a control
/// character); the password is not kept.
#[inline(never)] // See the module docs of `auth`.
pub fn hash_line(user: &[u8], password: &[u8], random: &[u8; 16], out: &mut Buf) {
    let mut salt = [0u8; 16];
    for (s, &r) in salt.iter_mut().zip(random) {
        *s = crypt::CRYPT_ALPHABET
            .get(usize::from(r & 63))
            .copied()
            .unwrap_or(b'.');
    }
    let mut digest = [0u8; crypt::MAX_DIGEST_CHARS];
    let len = crypt::sha_crypt(
        crypt::Scheme::Sha256,
        password,
        &salt,
        crypt::DEFAULT_SHA_CRYPT_ROUNDS,
        &mut digest,
    );
    // A line break would start another line, which could parse as some
    // other user: written as a control byte, it is refused by name.
    for &b in user {
        out.byte(if b == b'\n' { 0x01 } else { b });
    }
    out.push(b":$5$")
        .push(&salt)
        .byte(b'$')
        .push(digest.get(..len).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::crypt::{MALFORMED, UNSUPPORTED, verify};

    const ALICE: &str = "alice:$2y$04$aIp1KZXlRrg0CZOKtoxWyOayqkQFDJcVyu5aQe781mD0lPvj0T6mK";
    const BOB: &str = "bob:$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

    fn error(text: &str) -> (usize, &'static str) {
        let e = parse(text.as_bytes()).unwrap_err();
        (e.line, e.reason)
    }

    #[test]
    fn reads_lines_comments_blanks_and_crlf() {
        let text = format!("# users\r\n\r\n{ALICE}\r\n  \n\t\n# bob:\n{BOB}");
        let users = parse(text.as_bytes()).unwrap();
        let names: Vec<&[u8]> = users.entries().iter().map(|e| e.user).collect();
        assert_eq!(names, [&b"alice"[..], b"bob"]);
        assert_eq!(users.find(b"bob"), Some(1));
        assert_eq!(users.find(b"alice"), Some(0));
        assert_eq!(users.find(b"Alice"), None);
        assert_eq!(users.find(b""), None);
        // Trailing spaces and tabs are an editor's, not the hash's.
        let text = format!("{BOB} \t\n");
        let users = parse(text.as_bytes()).unwrap();
        assert!(verify(&users.entries()[0].hash, b"Hello world!"));
    }

    #[test]
    fn refusals_name_their_line_and_reason() {
        let cases: &[(String, (usize, &str))] = &[
            (String::new(), (0, NO_USERS)),
            ("# only a comment\n\n".into(), (0, NO_USERS)),
            (format!("{ALICE}\nbob:secret\n"), (2, UNSUPPORTED)),
            (
                format!("{ALICE}\n\nbob:$apr1$9JxUzbLp$0Zp8zGfAJOGXyXVHKqCEt/"),
                (3, UNSUPPORTED),
            ),
            (
                format!("{ALICE}\nbob:{{SHA}}W6ph5Mm5Pz8GgiULbPgzG37mj9g="),
                (2, UNSUPPORTED),
            ),
            (format!("{ALICE}\nbob:$2y$04$short"), (2, MALFORMED)),
            (format!("{ALICE}\njust a line"), (2, NO_COLON)),
            (format!("{ALICE}\n:$2y$04$xx"), (2, EMPTY_USER)),
            (format!("{ALICE}\n{ALICE}"), (2, DUPLICATE)),
            (
                format!("# x\n{}", BOB.replace("bob", "b\tob")),
                (2, CONTROL_IN_USER),
            ),
            (BOB.replace("bob", "b\x7fob"), (1, CONTROL_IN_USER)),
            (BOB.replace("bob", "bob\0"), (1, CONTROL_IN_USER)),
            (format!("bob:{ALICE}"), (1, COLON_IN_USER)),
            (format!("realm:{ALICE}"), (1, COLON_IN_USER)),
            ("a".repeat(MAX_AUTH_FILE_BYTES + 1), (0, TOO_LARGE)),
        ];
        for (text, want) in cases {
            assert_eq!(error(text), *want, "{text:.80}");
        }
    }

    #[test]
    fn takes_up_to_max_users() {
        let line = |i: usize| BOB.replace("bob", &format!("user{i}"));
        let full: String = (0..MAX_USERS).map(|i| line(i) + "\n").collect();
        assert_eq!(parse(full.as_bytes()).unwrap().entries().len(), MAX_USERS);
        let over = format!("{full}# comment\n{}", line(MAX_USERS));
        assert_eq!(error(&over), (MAX_USERS + 2, TOO_MANY));
        assert!(TOO_MANY.contains(&MAX_USERS.to_string()));
        assert!(TOO_LARGE.contains(&(MAX_AUTH_FILE_BYTES / 1024).to_string()));
    }

    #[test]
    fn extend_adds_lines_and_checks_duplicates_across_them() {
        let mut users = parse(ALICE.as_bytes()).unwrap();
        users.extend(BOB.as_bytes()).unwrap();
        assert_eq!(users.entries().len(), 2);
        let again = users.extend(BOB.as_bytes()).unwrap_err();
        assert_eq!((again.line, again.reason), (1, DUPLICATE));
    }

    #[test]
    fn hash_line_writes_a_line_that_parses_and_verifies() {
        let mut rng = crate::testing::XorShift(3);
        for user in ["alice", "jürgen", "名前", "with space"] {
            let password: Vec<u8> = (0..rng.below(30)).map(|_| rng.next() as u8 | 1).collect();
            let random: [u8; 16] = std::array::from_fn(|_| rng.next() as u8);
            let mut mem = [0u8; 256];
            let mut out = Buf::new(&mut mem);
            hash_line(user.as_bytes(), &password, &random, &mut out);
            assert!(!out.overflowed());
            let line = out.as_bytes().to_vec();
            let text = String::from_utf8(line.clone()).unwrap();
            assert!(text.starts_with(&format!("{user}:$5$")), "{text}");
            assert_eq!(text.len(), user.len() + 4 + 16 + 1 + 43, "{text}");
            let users = parse(&line).unwrap();
            let entry = users.entries()[0];
            assert_eq!(entry.user, user.as_bytes());
            assert_eq!(entry.hash.cost, 5000);
            let mut mem = [0u8; 256];
            let mut out = Buf::new(&mut mem);
            hash_line(format!("\n{user}").as_bytes(), &password, &random, &mut out);
            let e = parse(out.as_bytes()).unwrap_err();
            assert_eq!((e.line, e.reason), (1, CONTROL_IN_USER));
            assert!(verify(&entry.hash, &password));
            assert!(!verify(&entry.hash, b"something else"));
            // openssl writes the same line, when installed.
            let ascii: Vec<u8> = password.iter().map(|b| b'a' + b % 26).collect();
            let salt = std::str::from_utf8(entry.hash.salt).unwrap();
            let ascii_text = std::str::from_utf8(&ascii).unwrap();
            if !ascii.is_empty()
                && let Ok(theirs) = std::process::Command::new("openssl")
                    .args(["passwd", "-5", "-salt", salt, ascii_text])
                    .output()
            {
                let mut mem = [0u8; 256];
                let mut ours = Buf::new(&mut mem);
                hash_line(b"u", &ascii, &random, &mut ours);
                let theirs = String::from_utf8(theirs.stdout).unwrap();
                assert_eq!(
                    format!("u:{}", theirs.trim_end()).as_bytes(),
                    ours.as_bytes()
                );
            }
        }
    }
}
