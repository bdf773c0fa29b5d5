//! Content-Type by file extension for the files the server sends (RFC 9110
//! §8.3). The values are the common IANA / WHATWG ones, as in nginx's
//! `mime.types` and python's `mimetypes`. `text/*` types carry
//! `; charset=utf-8` so browsers do not guess an encoding; source and config
//! files are served as `text/plain` so browsers show them instead of
//! downloading them. Anything unknown is `application/octet-stream`, which
//! RFC 9110 §8.3 suggests when the type is not known.

/// Longest extension in the table (`webmanifest`); anything longer is
/// unknown without being looked at, which also bounds the stack buffer the
/// extension is lowercased into.
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
    let ext = name.get(dot + 1..).unwrap_or_default();
    let mut lower = [0u8; MAX_EXTENSION_BYTES];
    let Some(dst) = lower.get_mut(..ext.len()) else {
        return UNKNOWN;
    };
    for (d, s) in dst.iter_mut().zip(ext) {
        *d = s.to_ascii_lowercase();
    }
    by_extension(dst)
}

/// The table: `text/javascript` is the one JavaScript type (RFC 9239);
/// JSON has no charset parameter (RFC 8259 §11); source and config files
/// are `text/plain` so browsers show them. One line per type, its extensions (lowercase, separated by
/// spaces), `=`, the type. Text scanned by a loop is a fraction of the
/// size of a `match` on byte strings, which compiles to a compare per arm.
const TABLE: &str = "\
html htm=text/html; charset=utf-8\n\
css=text/css; charset=utf-8\n\
js mjs=text/javascript; charset=utf-8\n\
json map=application/json\n\
webmanifest=application/manifest+json\n\
wasm=application/wasm\n\
xml=text/xml; charset=utf-8\n\
txt=text/plain; charset=utf-8\n\
md=text/markdown; charset=utf-8\n\
csv=text/csv; charset=utf-8\n\
vtt=text/vtt; charset=utf-8\n\
ics=text/calendar; charset=utf-8\n\
sh py rs c h toml yaml yml ini log conf=text/plain; charset=utf-8\n\
svg=image/svg+xml\n\
png=image/png\n\
jpg jpeg=image/jpeg\n\
gif=image/gif\n\
webp=image/webp\n\
avif=image/avif\n\
ico=image/x-icon\n\
bmp=image/bmp\n\
woff=font/woff\n\
woff2=font/woff2\n\
ttf=font/ttf\n\
otf=font/otf\n\
mp4=video/mp4\n\
m4v=video/x-m4v\n\
webm=video/webm\n\
ogv=video/ogg\n\
mov=video/quicktime\n\
mkv=video/x-matroska\n\
mp3=audio/mpeg\n\
m4a=audio/mp4\n\
aac=audio/aac\n\
ogg oga opus=audio/ogg\n\
flac=audio/flac\n\
wav=audio/wav\n\
pdf=application/pdf\n\
rtf=application/rtf\n\
epub=application/epub+zip\n\
zip=application/zip\n\
gz=application/gzip\n\
tar=application/x-tar\n\
bz2=application/x-bzip2\n\
xz=application/x-xz\n\
7z=application/x-7z-compressed\n\
zst=application/zstd\n\
jar=application/java-archive\n\
apk=application/vnd.android.package-archive\n\
deb=application/vnd.debian.binary-package\n\
iso=application/x-iso9660-image";

/// The type for a lowercase extension, from `TABLE`.
fn by_extension(ext: &[u8]) -> &'static str {
    let table = TABLE.as_bytes();
    let mut start = 0;
    while start < table.len() {
        let line = table.get(start..).unwrap_or_default();
        let end = start + line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
        let line = table.get(start..end).unwrap_or_default();
        let eq = line.iter().position(|&b| b == b'=').unwrap_or(line.len());
        let exts = line.get(..eq).unwrap_or_default();
        if exts.split(|&b| b == b' ').any(|e| e == ext) {
            return TABLE.get(start + eq + 1..end).unwrap_or(UNKNOWN);
        }
        start = end + 1;
    }
    UNKNOWN
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
