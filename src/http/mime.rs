//! Content-Type by file extension for the files the server sends (RFC 9110
//! §8.3). The values are the common IANA / WHATWG ones, as in nginx's
//! `mime.types` and python's `mimetypes`. `text/*` types carry
//! `; charset=utf-8` so browsers do not guess an encoding; source and config
//! files are served as `text/plain` so browsers show them instead of
//! downloading them. Anything unknown is `application/octet-stream`, which
//! RFC 9110 §8.3 suggests when the type is not known.

/// Longest extension in the table (`webmanifest`); anything longer is
/// unknown without being looked at. At most 12, for `key`.
const MAX_EXTENSION_BYTES: usize = 11;

/// The type of bytes whose kind is not known (RFC 9110 §8.3).
const UNKNOWN: &str = "application/octet-stream";

/// The Content-Type for a file path, chosen by its extension: the bytes after
/// the last `.` of the last `/`-separated segment, compared
/// case-insensitively. Leading dots do not start an extension (`.bashrc`,
/// like python's `os.path.splitext`), nor does a trailing dot (`file.`).
/// Unknown or missing extensions give `application/octet-stream`.
pub fn content_type(path: &[u8]) -> &'static str {
    let name = match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => path.get(slash + 1..).unwrap_or_default(),
        None => path,
    };
    let leading_dots = name.iter().take_while(|&&b| b == b'.').count();
    let name = name.get(leading_dots..).unwrap_or_default();
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return UNKNOWN;
    };
    by_extension(name.get(dot + 1..).unwrap_or_default())
}

/// The table, as two texts with a line per type: `EXTENSIONS` holds the
/// lowercase extensions of each type, space-separated, and `TYPES` the type
/// on the same line. `text/javascript` is the one JavaScript type (RFC
/// 9239); JSON has no charset parameter (RFC 8259 §11); source and config
/// files are `text/plain` so browsers show them. Two texts are a fraction
/// of the size of a `match` on byte strings; the lookup never reads them,
/// only the number tables built from them at compile time (`KEYS`).
const EXTENSIONS: &[u8] = b"\
html htm\n\
css\n\
js mjs\n\
json map\n\
webmanifest\n\
wasm\n\
xml\n\
txt\n\
md\n\
csv\n\
vtt\n\
ics\n\
sh py rs c h toml yaml yml ini log conf\n\
svg\n\
png\n\
jpg jpeg\n\
gif\n\
webp\n\
avif\n\
ico\n\
bmp\n\
woff\n\
woff2\n\
ttf\n\
otf\n\
mp4\n\
m4v\n\
webm\n\
ogv\n\
mov\n\
mkv\n\
mp3\n\
m4a\n\
aac\n\
ogg oga opus\n\
flac\n\
wav\n\
pdf\n\
rtf\n\
epub\n\
zip\n\
gz\n\
tar\n\
bz2\n\
xz\n\
7z\n\
zst\n\
jar\n\
apk\n\
deb\n\
iso";

/// The types, line for line with `EXTENSIONS`.
const TYPES: &str = "\
text/html; charset=utf-8\n\
text/css; charset=utf-8\n\
text/javascript; charset=utf-8\n\
application/json\n\
application/manifest+json\n\
application/wasm\n\
text/xml; charset=utf-8\n\
text/plain; charset=utf-8\n\
text/markdown; charset=utf-8\n\
text/csv; charset=utf-8\n\
text/vtt; charset=utf-8\n\
text/calendar; charset=utf-8\n\
text/plain; charset=utf-8\n\
image/svg+xml\n\
image/png\n\
image/jpeg\n\
image/gif\n\
image/webp\n\
image/avif\n\
image/x-icon\n\
image/bmp\n\
font/woff\n\
font/woff2\n\
font/ttf\n\
font/otf\n\
video/mp4\n\
video/x-m4v\n\
video/webm\n\
video/ogg\n\
video/quicktime\n\
video/x-matroska\n\
audio/mpeg\n\
audio/mp4\n\
audio/aac\n\
audio/ogg\n\
audio/flac\n\
audio/wav\n\
application/pdf\n\
application/rtf\n\
application/epub+zip\n\
application/zip\n\
application/gzip\n\
application/x-tar\n\
application/x-bzip2\n\
application/x-xz\n\
application/x-7z-compressed\n\
application/zstd\n\
application/java-archive\n\
application/vnd.android.package-archive\n\
application/vnd.debian.binary-package\n\
application/x-iso9660-image";

/// Every extension of `EXTENSIONS` as a number (`key`), and its line,
/// built at compile time. A lookup compares numbers, not text: this runs
/// on every file response, and walking the text cost ~1,000 cycles.
const KEYS: [u64; WORDS] = keys().0;
const KEY_LINES: [u8; WORDS] = keys().1;

/// Where each line of `TYPES` starts, and one past the last line's end,
/// built at compile time.
const TYPE_STARTS: [u16; LINES + 1] = type_starts();

/// Lines in `EXTENSIONS`, and so in `TYPES`.
const LINES: usize = count(EXTENSIONS, b'\n') + 1;

/// Extensions in `EXTENSIONS`: one more than the separators.
const WORDS: usize = count(EXTENSIONS, b'\n') + count(EXTENSIONS, b' ') + 1;

/// How many times `byte` occurs in `text`.
const fn count(text: &[u8], byte: u8) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < text.len() {
        n += (text[i] == byte) as usize;
        i += 1;
    }
    n
}

/// An extension as a number: its letters and digits, in any case, as the
/// digits 1 to 36 of a base-37 number. No digit is 0, so no two
/// extensions share a number, and 11 of them fit in 64 bits (37^12 is
/// below 2^64). None for an extension that cannot be in the table: longer
/// than `MAX_EXTENSION_BYTES`, or with another byte.
const fn key(ext: &[u8]) -> Option<u64> {
    if ext.len() > MAX_EXTENSION_BYTES {
        return None;
    }
    let (mut key, mut i) = (0u64, 0);
    while i < ext.len() {
        let digit = match ext[i].to_ascii_lowercase() {
            b @ b'a'..=b'z' => b - b'a' + 1,
            b @ b'0'..=b'9' => b - b'0' + 27,
            _ => return None,
        };
        key = key * 37 + digit as u64;
        i += 1;
    }
    Some(key)
}

/// Builds `KEYS` and `KEY_LINES`.
const fn keys() -> ([u64; WORDS], [u8; WORDS]) {
    let (mut keys, mut lines) = ([0u64; WORDS], [0u8; WORDS]);
    let (mut n, mut line, mut word, mut i) = (0, 0, 0, 0);
    while i <= EXTENSIONS.len() {
        let end = i == EXTENSIONS.len();
        if end || EXTENSIONS[i] == b' ' || EXTENSIONS[i] == b'\n' {
            let (ext, _) = EXTENSIONS.split_at(i);
            let (_, ext) = ext.split_at(word);
            match key(ext) {
                Some(key) => keys[n] = key,
                None => panic!("an extension too long, or not letters and digits"),
            }
            lines[n] = line;
            n += 1;
            line += (!end && EXTENSIONS[i] == b'\n') as u8;
            word = i + 1;
        }
        i += 1;
    }
    (keys, lines)
}

/// Builds `TYPE_STARTS`, checking that `TYPES` has a line per line of
/// `EXTENSIONS`.
const fn type_starts() -> [u16; LINES + 1] {
    let types = TYPES.as_bytes();
    assert!(count(types, b'\n') + 1 == LINES);
    let mut starts = [0u16; LINES + 1];
    let (mut line, mut i) = (1, 0);
    while i < types.len() {
        if types[i] == b'\n' {
            starts[line] = (i + 1) as u16;
            line += 1;
        }
        i += 1;
    }
    // One past the end, as if the last line had its newline.
    starts[LINES] = (types.len() + 1) as u16;
    starts
}

/// The type for an extension, in any case.
fn by_extension(ext: &[u8]) -> &'static str {
    let Some(key) = key(ext) else {
        return UNKNOWN;
    };
    let Some(word) = KEYS.iter().position(|&k| k == key) else {
        return UNKNOWN;
    };
    let line = usize::from(KEY_LINES.get(word).copied().unwrap_or_default());
    let start = TYPE_STARTS.get(line).copied().unwrap_or_default();
    let end = TYPE_STARTS.get(line + 1).copied().unwrap_or_default();
    TYPES
        .get(usize::from(start)..usize::from(end).saturating_sub(1))
        .unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every extension the table knows, with its type.
    const KNOWN: &[(&str, &str)] = &[
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json"),
        ("map", "application/json"),
        ("webmanifest", "application/manifest+json"),
        ("wasm", "application/wasm"),
        ("xml", "text/xml; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("vtt", "text/vtt; charset=utf-8"),
        ("ics", "text/calendar; charset=utf-8"),
        ("sh", "text/plain; charset=utf-8"),
        ("py", "text/plain; charset=utf-8"),
        ("rs", "text/plain; charset=utf-8"),
        ("c", "text/plain; charset=utf-8"),
        ("h", "text/plain; charset=utf-8"),
        ("toml", "text/plain; charset=utf-8"),
        ("yaml", "text/plain; charset=utf-8"),
        ("yml", "text/plain; charset=utf-8"),
        ("ini", "text/plain; charset=utf-8"),
        ("log", "text/plain; charset=utf-8"),
        ("conf", "text/plain; charset=utf-8"),
        ("svg", "image/svg+xml"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("ico", "image/x-icon"),
        ("bmp", "image/bmp"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
        ("mp4", "video/mp4"),
        ("m4v", "video/x-m4v"),
        ("webm", "video/webm"),
        ("ogv", "video/ogg"),
        ("mov", "video/quicktime"),
        ("mkv", "video/x-matroska"),
        ("mp3", "audio/mpeg"),
        ("m4a", "audio/mp4"),
        ("aac", "audio/aac"),
        ("ogg", "audio/ogg"),
        ("oga", "audio/ogg"),
        ("opus", "audio/ogg"),
        ("flac", "audio/flac"),
        ("wav", "audio/wav"),
        ("pdf", "application/pdf"),
        ("rtf", "application/rtf"),
        ("epub", "application/epub+zip"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("tar", "application/x-tar"),
        ("bz2", "application/x-bzip2"),
        ("xz", "application/x-xz"),
        ("7z", "application/x-7z-compressed"),
        ("zst", "application/zstd"),
        ("jar", "application/java-archive"),
        ("apk", "application/vnd.android.package-archive"),
        ("deb", "application/vnd.debian.binary-package"),
        ("iso", "application/x-iso9660-image"),
    ];

    #[test]
    fn every_known_extension_in_every_case() {
        for &(ext, ty) in KNOWN {
            for name in [
                format!("f.{ext}"),
                format!("f.{}", ext.to_uppercase()),
                format!("/srv/www/a.b/Name With Spaces.{ext}"),
                format!(".{ext}.{ext}"),
            ] {
                assert_eq!(content_type(name.as_bytes()), ty, "{name}");
            }
            // Mixed case: alternate upper and lower.
            let mixed: String = ext
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            assert_eq!(content_type(format!("x.{mixed}").as_bytes()), ty);
            // The extension alone, with a leading dot, is a dot file.
            assert_eq!(content_type(format!(".{ext}").as_bytes()), UNKNOWN);
            assert!(ext.len() <= MAX_EXTENSION_BYTES);
        }
    }

    /// The table holds each extension once, and every one is in `KNOWN`.
    #[test]
    fn keys_are_distinct_and_known() {
        assert_eq!(WORDS, KNOWN.len());
        for (i, k) in KEYS.iter().enumerate() {
            assert!(!KEYS[..i].contains(k), "extension {i} twice");
        }
        for &(ext, _) in KNOWN {
            assert!(KEYS.contains(&key(ext.as_bytes()).unwrap()), "{ext}");
        }
        // The longest key fits in 64 bits without wrapping; longer is None.
        assert!(37u128.pow(MAX_EXTENSION_BYTES as u32) <= 1 << 64);
        assert_eq!(key(b"999999999999"), None);
        assert_eq!(key(b"99999999999"), Some(37u64.pow(11) - 1));
    }

    #[test]
    fn names_table() {
        let table: &[(&[u8], &str)] = &[
            (b"index.html", "text/html; charset=utf-8"),
            (b"A.PNG", "image/png"),
            (b"photo.JpEg", "image/jpeg"),
            (b"x.tar.gz", "application/gzip"),
            (b"x.tar", "application/x-tar"),
            (b"archive.tar.zst", "application/zstd"),
            (b"app.min.js", "text/javascript; charset=utf-8"),
            (b"app.js.map", "application/json"),
            (b"site.webmanifest", "application/manifest+json"),
            (b"dir/sub/README.md", "text/markdown; charset=utf-8"),
            (b"/abs/path/to/main.rs", "text/plain; charset=utf-8"),
            (b"dir.v1/file", UNKNOWN),
            (b"dir.png/file", UNKNOWN),
            (b"dir.png/", UNKNOWN),
            (b"a.b.c/d.e.css", "text/css; charset=utf-8"),
            (b".bashrc", UNKNOWN),
            (b"dir/.bashrc", UNKNOWN),
            (b".hidden.txt", "text/plain; charset=utf-8"),
            (b"..txt", UNKNOWN),
            (b"...", UNKNOWN),
            (b".", UNKNOWN),
            (b"..", UNKNOWN),
            (b"Makefile", UNKNOWN),
            (b"dir/Makefile", UNKNOWN),
            (b"file.", UNKNOWN),
            (b"file.png.", UNKNOWN),
            (b"", UNKNOWN),
            (b"/", UNKNOWN),
            (b"a/", UNKNOWN),
            (b"x.br", UNKNOWN),
            (b"x.html.br", UNKNOWN),
            (b"x.exe", UNKNOWN),
            (b"x.htmlx", UNKNOWN),
            (b"x.htm ", UNKNOWN),
            (b"x. htm", UNKNOWN),
            (b"x.ht", UNKNOWN),
            (b"x.webmanifestx", UNKNOWN),
            (b"x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", UNKNOWN),
            (b"x.png\0", UNKNOWN),
            (b"x.\xffpng", UNKNOWN),
            (b"x.p\xc3\xa9ng", UNKNOWN),
            // Backslash is an ordinary byte in a Linux file name.
            (b"a.png\\b", UNKNOWN),
            (b"a\\b.png", "image/png"),
            // Non-ASCII bytes in the name do not disturb the extension.
            (b"caf\xc3\xa9.PDF", "application/pdf"),
        ];
        for &(path, ty) in table {
            assert_eq!(
                content_type(path),
                ty,
                "{:?}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn textual_types_carry_utf8_and_others_do_not() {
        for &(ext, ty) in KNOWN {
            assert_eq!(
                ty.starts_with("text/"),
                ty.ends_with("; charset=utf-8"),
                "{ext}"
            );
        }
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        // Every path of up to three bytes over an alphabet with the
        // separators, and some long ones.
        let alphabet = b"./aZ\xff\0";
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    let ty = content_type(&[*a, *b, *c]);
                    assert!(ty.contains('/'));
                }
            }
        }
        let long = [b'.'; 10_000];
        assert_eq!(content_type(&long), UNKNOWN);
        let mut long = vec![b'a'; 10_000];
        long.extend_from_slice(b".css");
        assert_eq!(content_type(&long), "text/css; charset=utf-8");
    }
}
