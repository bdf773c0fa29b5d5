//! Cache policy (RFC 9111 §5.2.2): the `Cache-Control` line a response
//! carries under `--max-age` and `--immutable-hashed`, and the test for a
//! file name that carries a content hash. Files get `max-age=N`; hashed
//! names get a year and `immutable` (RFC 8246); generated answers
//! (listings, archives, error pages) get `no-cache`, so a cache asks again
//! before reusing them (RFC 9111 §5.2.2.4). With neither option nothing is
//! said, as before; an operator's own `-H 'Cache-Control: ...'` always
//! wins, and then ours is left out. Pure: it writes into a caller's `Buf`.

use crate::buf::Buf;

/// The shortest content hash, in characters: 8 hex digits (32 bits) is
/// the shortest fingerprint build tools write (webpack's
/// `[contenthash:8]`, Parcel); shorter runs are too often plain words.
pub const MIN_HASH_CHARS: usize = 8;

/// A hashed name's directives: a year (`cli::MAX_AGE_LIMIT_SECS`, the
/// most RFC 9111 §5.2.2.1 advises), and `immutable` so browsers do not
/// revalidate it on reload (RFC 8246 §2): a new content gets a new name.
/// `public` goes before it (shared caches keep it), `private` instead
/// behind `--auth` (see `Policy::private`).
const IMMUTABLE: &str = "max-age=31536000, immutable";

/// Generated answers: storable, but revalidated before each reuse (RFC
/// 9111 §5.2.2.4), so a listing or a 404 never outlives the change that
/// ends it.
const NO_CACHE: &str = "Cache-Control: no-cache\r\n";

/// What the operator chose (`--max-age`, `--immutable-hashed`) and the
/// extra header lines (`-H`) that may override it.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub max_age: Option<u32>,
    pub immutable_hashed: bool,
    /// The site asks for a password (`--auth`): files are `private`, so
    /// no shared cache (a CDN) hands them to a client without one (RFC
    /// 9111 §3.5 would let `public` do that).
    pub private: bool,
    pub extra: &'a [&'a [u8]],
}

/// What a `Cache-Control` line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A file's answer (200, 206, 304, HEAD); `hashed`: its name carries
    /// a content hash (`hashed`).
    File { hashed: bool },
    /// A generated one: a listing, an archive, an error page.
    Generated,
}

/// Appends the `Cache-Control` line `policy` gives `answer`, or nothing.
pub fn header(out: &mut Buf, policy: &Policy, answer: Answer) {
    let on = policy.max_age.is_some() || policy.immutable_hashed;
    if !on || overridden(policy.extra) {
        return;
    }
    let scope = if policy.private { "private, " } else { "" };
    match (answer, policy.max_age) {
        (Answer::File { hashed: true }, _) if policy.immutable_hashed => {
            let scope = if policy.private { scope } else { "public, " };
            out.str("Cache-Control: ")
                .str(scope)
                .str(IMMUTABLE)
                .str("\r\n");
        }
        (Answer::File { .. }, Some(secs)) => {
            out.str("Cache-Control: ")
                .str(scope)
                .str("max-age=")
                .u64(u64::from(secs))
                .str("\r\n");
        }
        // `--immutable-hashed` alone says nothing of other files.
        (Answer::File { .. }, None) => {}
        (Answer::Generated, _) => {
            out.str(NO_CACHE);
        }
    }
}

/// True when one of the operator's extra header lines (`Name: value`) is a
/// `Cache-Control` (field names are case-insensitive, RFC 9110 §5.1).
fn overridden(extra: &[&[u8]]) -> bool {
    extra.iter().any(|line| {
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        name.eq_ignore_ascii_case(b"cache-control")
    })
}

/// True when the last segment of `path` carries a content hash, as build
/// tools name their output (`app.3f9a2c1e.js`, `main.min.<sha256>.css`).
///
/// The rule: the name is split at its dots; the part before the first dot
/// (the stem) and the one after the last (the extension) never count. Any
/// part in between is a hash when it is
/// - at least `MIN_HASH_CHARS` long, all of the base64url alphabet
///   (`A-Z a-z 0-9 - _`, RFC 4648 §5, which holds hex and base32 too),
/// - and has at least one digit and at least one letter,
/// - and either is all hex digits, or switches between letters and digits
///   at least twice (`-` and `_` aside), as random text does.
///
/// So `.verylongword.`, `.min.`, `.bundle.` (no digit), `.20240101.` (a
/// date: no letter), `.section12.` and `.photo001.` (a word and a number)
/// do not count, and `app.js` or `jquery.min.js` are plain files. A false
/// "yes" would pin a changing file in caches for a year; a false "no" (a
/// hash without a digit, about 2% of 8 hex digits) only leaves a file to
/// `--max-age`: the rule errs that way. Names with the hash joined by a
/// dash (`app-3f9a2c1e.js`) are not matched: a dash also joins words.
pub fn hashed(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
    // `prev` is a part with another after it: never the extension.
    let mut prev: Option<&[u8]> = None;
    for part in name.split(|&b| b == b'.').skip(1) {
        if prev.is_some_and(is_hash) {
            return true;
        }
        prev = Some(part);
    }
    false
}

/// One dot-separated part: is it a content hash? See `hashed`.
fn is_hash(part: &[u8]) -> bool {
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    if part.len() < MIN_HASH_CHARS || !part.iter().all(alphabet) {
        return false;
    }
    let hex = part.iter().all(u8::is_ascii_hexdigit);
    let (mut digits, mut letters, mut switches) = (false, false, 0u32);
    let mut last_digit: Option<bool> = None;
    for b in part.iter().filter(|b| b.is_ascii_alphanumeric()) {
        let digit = b.is_ascii_digit();
        (digits, letters) = (digits || digit, letters || !digit);
        if last_digit.is_some_and(|d| d != digit) {
            switches += 1;
        }
        last_digit = Some(digit);
    }
    digits && letters && (hex || switches >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;

    #[test]
    fn hashed_names_table() {
        let yes = [
            "app.3f9a2c1e.js",
            "/assets/app.3f9a2c1e.js",
            "main.min.0123456789abcdef0123.css",
            "chunk.3F9A2C1E.js",
            "app.5XQ3D2CA.js",
            "app.aZ_x9-Qk.js",
            "font.1a2b3c4d.woff2",
            "app.3f9a2c1e.js.map",
        ];
        let no = [
            "app.js",
            "jquery.min.js",
            "bootstrap.bundle.min.js",
            "a.verylongword.js",
            "backup.20240101.tar",
            "notes.section12.html",
            "img.photo001.jpg",
            "app.3f9a2c1.js",
            "app.deadbeef.js",
            "app-3f9a2c1e.js",
            "3f9a2c1e.js",
            "app.3f9a2c1e",
            "3f9a2c1e",
            "/dir.3f9a2c1e.d/app.js",
            "app.3f9a2c1e!.js",
            "app.3f9a.2c1e.js",
            "",
            ".",
            "..",
            "app..js",
        ];
        for name in yes {
            assert!(hashed(name.as_bytes()), "{name}");
        }
        for name in no {
            assert!(!hashed(name.as_bytes()), "{name}");
        }
    }

    /// Random hex fingerprints with a digit and a letter always count in
    /// the middle, never as stem or extension; random words and numbers
    /// never count.
    #[test]
    fn hashed_properties() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let hex = b"0123456789abcdef";
        let letters = b"abcdefghijklmnopqrstuvwxyz";
        for _ in 0..5000 {
            let len = MIN_HASH_CHARS + rng.below(57);
            let h: Vec<u8> = (0..len).map(|_| rng.pick(hex)).collect();
            let h = String::from_utf8(h).unwrap();
            let mixed = h.bytes().any(|b| b.is_ascii_digit()) && h.bytes().any(|b| b > b'9');
            assert_eq!(hashed(format!("app.{h}.js").as_bytes()), mixed, "{h}");
            assert_eq!(hashed(format!("a.b.{h}.min.js").as_bytes()), mixed, "{h}");
            assert!(!hashed(format!("{h}.js").as_bytes()), "{h}");
            assert!(!hashed(format!("app.{h}").as_bytes()), "{h}");
            assert!(!hashed(
                format!("app.{}.js", &h[1..MIN_HASH_CHARS]).as_bytes()
            ));

            let word: String = (0..len).map(|_| rng.pick(letters) as char).collect();
            let number: String = (0..len).map(|_| rng.pick(b"0123456789") as char).collect();
            let n = rng.below(100_000);
            for part in [&word, &number, &format!("{word}{n}"), &format!("{n}{word}")] {
                assert!(!hashed(format!("x.{part}.js").as_bytes()), "{part}");
            }
        }
    }

    fn line(policy: &Policy, answer: Answer) -> String {
        let mut mem = [0u8; 128];
        let mut out = Buf::new(&mut mem);
        header(&mut out, policy, answer);
        String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn policy_lines() {
        let hashed_js = Answer::File { hashed: true };
        let plain = Answer::File { hashed: false };
        let off = Policy {
            max_age: None,
            immutable_hashed: false,
            private: false,
            extra: &[],
        };
        let year = "Cache-Control: public, max-age=31536000, immutable\r\n";
        for answer in [hashed_js, plain, Answer::Generated] {
            assert_eq!(line(&off, answer), "");
        }
        let age = Policy {
            max_age: Some(600),
            ..off
        };
        assert_eq!(line(&age, plain), "Cache-Control: max-age=600\r\n");
        assert_eq!(line(&age, hashed_js), "Cache-Control: max-age=600\r\n");
        assert_eq!(line(&age, Answer::Generated), NO_CACHE);
        let immutable = Policy {
            immutable_hashed: true,
            ..off
        };
        assert_eq!(line(&immutable, hashed_js), year);
        assert_eq!(line(&immutable, plain), "");
        assert_eq!(line(&immutable, Answer::Generated), NO_CACHE);
        let both = Policy {
            max_age: Some(0),
            ..immutable
        };
        assert_eq!(line(&both, hashed_js), year);
        assert_eq!(line(&both, plain), "Cache-Control: max-age=0\r\n");
        // Behind a password, no shared cache may keep a file.
        let private = Policy {
            private: true,
            ..both
        };
        assert_eq!(
            line(&private, hashed_js),
            "Cache-Control: private, max-age=31536000, immutable\r\n"
        );
        assert_eq!(
            line(&private, plain),
            "Cache-Control: private, max-age=0\r\n"
        );
        assert_eq!(line(&private, Answer::Generated), NO_CACHE);
        // The operator's own header wins, whatever its case.
        let extra: [&[u8]; 2] = [b"X-A: b", b"cache-CONTROL: no-store"];
        let overridden = Policy {
            extra: &extra,
            ..both
        };
        for answer in [hashed_js, plain, Answer::Generated] {
            assert_eq!(line(&overridden, answer), "");
        }
        let other: [&[u8]; 1] = [b"X-Cache-Control: x"];
        let kept = Policy {
            extra: &other,
            ..both
        };
        assert_eq!(line(&kept, Answer::Generated), NO_CACHE);
    }

    #[test]
    fn immutable_is_the_cli_limit() {
        let year = crate::cli::MAX_AGE_LIMIT_SECS.to_string();
        assert!(IMMUTABLE.starts_with(&format!("max-age={year},")));
    }
}
