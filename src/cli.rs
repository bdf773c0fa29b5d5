//! Command-line arguments, shaped like `python -m http.server`:
//! `httpd [PORT] [-b ADDR] [-d DIR] ...`. Parsing is pure; the caller
//! prints `USAGE` and exits 2 on an error.

use crate::addr;
use crate::http::syntax::is_tchar;
use crate::log::Format as LogFormat;
use crate::rt::sys::UNIX_PATH_BYTES;
use crate::sandbox::Mode;
use crate::sandbox::user::{self, UserSpec};
use crate::serve::Options;

/// The most `--header` options; each is copied into every response head,
/// which must fit in a connection's output buffer.
pub const MAX_HEADERS: usize = 16;

/// The most bytes of all `--header` lines together: with the server's own
/// headers and an error page they must fit a connection's 4 KiB output
/// buffer.
pub const MAX_HEADER_BYTES: usize = 1024;

/// Port served when none is given, as python's http.server.
pub const DEFAULT_PORT: u16 = 8080;

/// Connection slots per worker when `--max-connections` is not given.
/// Enough for thousands of idle keep-alive clients per core; each slot
/// costs about 12 KiB of address space, and memory only when used.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8192;

/// Upper bound of `--max-connections`: far above what one process's file
/// descriptor limit usually allows.
pub const MAX_CONNECTIONS_LIMIT: usize = 1 << 20;

/// Seconds a client has to send a request head, and to make progress
/// while receiving a response, when `--timeout` is not given.
pub const DEFAULT_TIMEOUT_SECS: u32 = 30;

/// The largest upload when `--max-upload` is not given: 1 GiB, what a
/// phone's videos need, and far from filling a disk by accident.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 1 << 30;

/// `--bind unix:PATH`: the prefix that names a Unix socket.
pub const UNIX_PREFIX: &[u8] = b"unix:";

/// The largest `--max-age`: one year, the longest a cache keeps anything
/// (RFC 9111 §5.2.2.1 advises no more; `immutable` names get exactly this).
pub const MAX_AGE_LIMIT_SECS: usize = 31_536_000;

/// The usage text with the HTTPS options (`$tls`) or without.
macro_rules! usage {
    ($tls:literal) => {
        concat!(
            "\
usage: httpd [PORT] [-b ADDR] [-d DIR] [options]

Serve the files of DIR over HTTP, like `python3 -m http.server`.

  PORT                    port to listen on (default 8080; 0 picks a free one)
  -b, --bind ADDR         address to listen on (default 0.0.0.0; :: for IPv6 and IPv4;
                          unix:PATH for a Unix socket)
  -d, --directory DIR     directory to serve (default: the current directory)
  -w, --workers N         worker processes (default: the CPUs this process may use)
  --max-connections N     open connections per worker (default 8192)
  --timeout SECS          request and transfer timeout (default 30); idle keep-alive
                          connections are closed after half of it
  -H, --header 'N: V'     add a header to every response (repeatable)
  --cors                  allow any origin (Access-Control-Allow-Origin: *) and
                          answer OPTIONS preflight requests
  --spa                   serve /index.html for paths that do not exist
  --404 FILE              serve FILE (a path beneath DIR) with status 404 for missing paths
  --clean-urls            serve /about.html for /about; redirect /about.html to /about
  --no-listing            answer 403 for directories without an index.html
  --hide-dotfiles         neither list nor serve names starting with '.' (404),
                          except beneath /.well-known/
  --max-age SECS          Cache-Control: max-age=SECS on files (listings and errors: no-cache)
  --immutable-hashed      names with a content hash (app.3f9a2c1e.js) are cached for a year
  --no-cache              open every file for every request (for NFS and FUSE mounts,
                          whose changes inotify does not see)
  --auth-file FILE        ask for a password: lines 'user:hash' (htpasswd -B, openssl passwd -6)
  --auth USER:PASSWORD    ask for this user and password (visible in ps: prefer --auth-file)
  --upload                accept uploads: PUT /dir/name, and a form on listings
  --upload-overwrite      let uploads replace existing files (implies --upload)
  --max-upload SIZE       largest upload, e.g. 500M, 2G (default 1G)
  -q, --quiet             no access log
  --log FILE              append the access log to FILE, not stderr (reopened on SIGHUP, SIGUSR1)
  --log-format FORMAT     python (default), common, combined or json
  --user USER[:GROUP]     started as root, serve as this user (default nobody)
  --sandbox on|off|log    Landlock and seccomp for workers (default on; log: log only)
",
            $tls,
            "  --check URL             health check: exit 0 if URL (http://127.0.0.1:PORT/...
                          or unix:PATH) answers 2xx or 3xx, else 1 with the reason
  -h, --help              show this help
  -V, --version           show the version
"
        )
    };
}

/// The usage text, printed for `--help` and after an argument error.
#[cfg(feature = "tls")]
pub const USAGE: &str = usage!(
    "  --tls-cert FILE         serve HTTPS with this PEM certificate (then any chain)
  --tls-key FILE          its PEM private key, ECDSA P-256 (default: from --tls-cert)
  --tls-password-file F   the password of an encrypted --tls-key
  --tls-self-signed       serve HTTPS with a fresh self-signed certificate
"
);
#[cfg(not(feature = "tls"))]
pub const USAGE: &str = usage!("");

/// The listening address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bind {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// Everything `httpd` needs to serve.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    pub port: u16,
    pub bind: Bind,
    pub directory: &'a [u8],
    /// 0: one per CPU in the affinity mask.
    pub workers: usize,
    pub max_connections: usize,
    pub timeout_secs: u32,
    pub headers: [&'a [u8]; MAX_HEADERS],
    pub header_count: usize,
    pub options: Options,
    pub quiet: bool,
    /// `--user`; None: the default user (`nobody`) when started as root.
    pub user: Option<UserSpec<'a>>,
    pub sandbox: Mode,
    /// `--auth-file`: the password file.
    pub auth_file: Option<&'a [u8]>,
    /// `--auth USER:PASSWORD`.
    pub auth: Option<&'a [u8]>,
    /// `--bind unix:PATH`: listen on this Unix stream socket instead.
    pub unix: Option<&'a [u8]>,
    /// `--404 FILE`: the not-found page, a path beneath the root.
    pub not_found: Option<&'a [u8]>,
    /// `--log FILE`: the access log's file; None: standard error.
    pub log_file: Option<&'a [u8]>,
    /// `--log-format`.
    pub log_format: LogFormat,
    /// `--tls-*`: serve HTTPS.
    #[cfg(feature = "tls")]
    pub tls: TlsFiles<'a>,
}

/// Where HTTPS gets its key and certificate (Python 3.14's flags).
#[cfg(feature = "tls")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TlsFiles<'a> {
    pub cert: Option<&'a [u8]>,
    /// None: the key is in the certificate file.
    pub key: Option<&'a [u8]>,
    pub password_file: Option<&'a [u8]>,
    /// `--tls-self-signed`: make a key and certificate at start-up.
    pub self_signed: bool,
}

#[cfg(feature = "tls")]
impl TlsFiles<'_> {
    /// HTTPS is asked for.
    pub fn on(&self) -> bool {
        self.cert.is_some() || self.self_signed
    }
}

/// What the command line asks for.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once, at start
pub enum Command<'a> {
    Serve(Config<'a>),
    /// `--check URL`: the health-check client.
    Check(&'a [u8]),
    Help,
    Version,
}

/// An argument error: what was wrong and the argument it was about.
#[derive(Debug, PartialEq, Eq)]
pub struct Error<'a> {
    pub message: &'static str,
    pub arg: &'a [u8],
}

/// The options, by what they set.
#[derive(Clone, Copy)]
enum Opt {
    Help,
    Version,
    Bind,
    Directory,
    Workers,
    MaxConnections,
    Timeout,
    Header,
    Cors,
    Spa,
    NoListing,
    HideDotfiles,
    Quiet,
    User,
    Sandbox,
    AuthFile,
    Auth,
    Upload,
    UploadOverwrite,
    MaxUpload,
    NotFound,
    CleanUrls,
    MaxAge,
    ImmutableHashed,
    NoCache,
    Log,
    LogFormat,
    Check,
    #[cfg(feature = "tls")]
    TlsCert,
    #[cfg(feature = "tls")]
    TlsKey,
    #[cfg(feature = "tls")]
    TlsPasswordFile,
    #[cfg(feature = "tls")]
    TlsSelfSigned,
}

/// Short name (or empty), long name, and meaning of every option. A table
/// scanned by a loop is a fraction of the code of a `match` on strings.
const OPTIONS: [(&str, &str, Opt); 28] = [
    ("-h", "--help", Opt::Help),
    ("-V", "--version", Opt::Version),
    ("-b", "--bind", Opt::Bind),
    ("-d", "--directory", Opt::Directory),
    ("-w", "--workers", Opt::Workers),
    ("", "--max-connections", Opt::MaxConnections),
    ("", "--timeout", Opt::Timeout),
    ("-H", "--header", Opt::Header),
    ("", "--cors", Opt::Cors),
    ("", "--spa", Opt::Spa),
    ("", "--no-listing", Opt::NoListing),
    ("", "--hide-dotfiles", Opt::HideDotfiles),
    ("-q", "--quiet", Opt::Quiet),
    ("", "--user", Opt::User),
    ("", "--sandbox", Opt::Sandbox),
    ("", "--auth-file", Opt::AuthFile),
    ("", "--auth", Opt::Auth),
    ("", "--upload", Opt::Upload),
    ("", "--upload-overwrite", Opt::UploadOverwrite),
    ("", "--max-upload", Opt::MaxUpload),
    ("", "--404", Opt::NotFound),
    ("", "--clean-urls", Opt::CleanUrls),
    ("", "--max-age", Opt::MaxAge),
    ("", "--immutable-hashed", Opt::ImmutableHashed),
    ("", "--no-cache", Opt::NoCache),
    ("", "--log", Opt::Log),
    ("", "--log-format", Opt::LogFormat),
    ("", "--check", Opt::Check),
];

/// The HTTPS options.
#[cfg(feature = "tls")]
const TLS_OPTIONS: [(&str, &str, Opt); 4] = [
    ("", "--tls-cert", Opt::TlsCert),
    ("", "--tls-key", Opt::TlsKey),
    ("", "--tls-password-file", Opt::TlsPasswordFile),
    ("", "--tls-self-signed", Opt::TlsSelfSigned),
];
#[cfg(not(feature = "tls"))]
const TLS_OPTIONS: [(&str, &str, Opt); 0] = [];

fn error<'a>(message: &'static str, arg: &'a [u8]) -> Error<'a> {
    Error { message, arg }
}

/// Parses `args` (without the program name).
pub fn parse<'a>(args: &[&'a [u8]]) -> Result<Command<'a>, Error<'a>> {
    let mut config = Config {
        port: DEFAULT_PORT,
        bind: Bind::V4([0, 0, 0, 0]),
        directory: b".",
        workers: 0,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        headers: [b""; MAX_HEADERS],
        header_count: 0,
        options: Options {
            listing: true,
            hide_dotfiles: false,
            cors: false,
            spa: false,
            upload: false,
            overwrite: false,
            max_upload: DEFAULT_MAX_UPLOAD_BYTES,
            clean_urls: false,
            max_age: None,
            immutable_hashed: false,
            file_cache: true,
        },
        quiet: false,
        user: None,
        sandbox: Mode::On,
        auth_file: None,
        auth: None,
        unix: None,
        not_found: None,
        log_file: None,
        log_format: LogFormat::Python,
        #[cfg(feature = "tls")]
        tls: TlsFiles::default(),
    };
    let mut port_seen = false;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        // `--name=value` is the same as `--name value`.
        let (name, inline) = match arg.iter().position(|&b| b == b'=') {
            Some(eq) if arg.starts_with(b"--") => {
                let (name, value) = arg.split_at_checked(eq).unwrap_or((arg, b"="));
                (name, value.get(1..))
            }
            _ => (arg, None),
        };
        let known = OPTIONS.iter().chain(&TLS_OPTIONS).find(|(short, long, _)| {
            !name.is_empty() && (name == short.as_bytes() || name == long.as_bytes())
        });
        let Some(&(_, _, opt)) = known else {
            if inline.is_none() && !port_seen && arg.first().is_some_and(u8::is_ascii_digit) {
                config.port = number(arg, 0, 65_535)? as u16;
                port_seen = true;
                continue;
            }
            return Err(error("unknown argument", arg));
        };
        let takes_value = !matches!(
            opt,
            Opt::Help
                | Opt::Version
                | Opt::Cors
                | Opt::Spa
                | Opt::NoListing
                | Opt::HideDotfiles
                | Opt::Quiet
                | Opt::Upload
                | Opt::UploadOverwrite
                | Opt::CleanUrls
                | Opt::ImmutableHashed
                | Opt::NoCache
        ) && !is_switch(opt);
        let v = match (takes_value, inline) {
            (true, Some(v)) => v,
            (true, None) => rest
                .next()
                .copied()
                .ok_or(error("missing value for", arg))?,
            (false, Some(_)) => return Err(error("takes no value", arg)),
            (false, None) => b"",
        };
        match opt {
            Opt::Help => return Ok(Command::Help),
            Opt::Version => return Ok(Command::Version),
            Opt::Bind if v.starts_with(UNIX_PREFIX) => {
                let path = v.get(UNIX_PREFIX.len()..).unwrap_or_default();
                if path.is_empty() || path.len() > UNIX_PATH_BYTES {
                    return Err(error("not a Unix socket path (1 to 107 bytes)", v));
                }
                config.unix = Some(path);
            }
            Opt::Bind => {
                config.unix = None;
                config.bind = match (addr::parse_ipv4(v), addr::parse_ipv6(v)) {
                    (Some(ip), _) => Bind::V4(ip),
                    (None, Some(ip)) => Bind::V6(ip),
                    _ => return Err(error("not an IP address", v)),
                };
            }
            Opt::Directory if v.is_empty() => return Err(error("empty directory", arg)),
            Opt::Directory => config.directory = v,
            Opt::Workers => config.workers = number(v, 1, 1024)?,
            Opt::MaxConnections => config.max_connections = number(v, 1, MAX_CONNECTIONS_LIMIT)?,
            Opt::Timeout => config.timeout_secs = number(v, 1, 86_400)? as u32,
            Opt::Header => {
                if !valid_header(v) {
                    return Err(error("not a header line 'Name: value'", v));
                }
                let used: usize = config
                    .headers
                    .iter()
                    .take(config.header_count)
                    .map(|h| h.len() + 2)
                    .sum();
                if used + v.len() + 2 > MAX_HEADER_BYTES {
                    return Err(error("headers longer than 1024 bytes in all", v));
                }
                let Some(slot) = config.headers.get_mut(config.header_count) else {
                    return Err(error("too many headers", v));
                };
                *slot = v;
                config.header_count += 1;
            }
            Opt::Cors => config.options.cors = true,
            Opt::Spa => config.options.spa = true,
            Opt::NoListing => config.options.listing = false,
            Opt::HideDotfiles => config.options.hide_dotfiles = true,
            Opt::Quiet => config.quiet = true,
            Opt::User => {
                config.user =
                    Some(user::parse_spec(v).ok_or(error("not a user 'USER[:GROUP]'", v))?);
            }
            Opt::Sandbox => {
                config.sandbox = match v {
                    b"on" => Mode::On,
                    b"off" => Mode::Off,
                    b"log" => Mode::Log,
                    _ => return Err(error("not on, off or log", v)),
                };
            }
            Opt::AuthFile => config.auth_file = Some(v),
            Opt::Auth if !v.contains(&b':') => return Err(error("not 'USER:PASSWORD'", v)),
            Opt::Auth => config.auth = Some(v),
            Opt::Upload => config.options.upload = true,
            Opt::UploadOverwrite => {
                (config.options.upload, config.options.overwrite) = (true, true)
            }
            Opt::MaxUpload => {
                config.options.max_upload =
                    size(v).ok_or(error("not a size like 500M or 2G", v))?;
            }
            Opt::NotFound if v.is_empty() => return Err(error("empty file name", arg)),
            Opt::NotFound => config.not_found = Some(v),
            Opt::CleanUrls => config.options.clean_urls = true,
            Opt::MaxAge => config.options.max_age = Some(number(v, 0, MAX_AGE_LIMIT_SECS)? as u32),
            Opt::ImmutableHashed => config.options.immutable_hashed = true,
            Opt::NoCache => config.options.file_cache = false,
            Opt::Log if v.is_empty() => return Err(error("empty file name", arg)),
            Opt::Log => config.log_file = Some(v),
            Opt::LogFormat => {
                config.log_format = match v {
                    b"python" => LogFormat::Python,
                    b"common" => LogFormat::Common,
                    b"combined" => LogFormat::Combined,
                    b"json" => LogFormat::Json,
                    _ => return Err(error("not python, common, combined or json", v)),
                };
            }
            Opt::Check => return Ok(Command::Check(v)),
            #[cfg(feature = "tls")]
            Opt::TlsCert => config.tls.cert = Some(v),
            #[cfg(feature = "tls")]
            Opt::TlsKey => config.tls.key = Some(v),
            #[cfg(feature = "tls")]
            Opt::TlsPasswordFile => config.tls.password_file = Some(v),
            #[cfg(feature = "tls")]
            Opt::TlsSelfSigned => config.tls.self_signed = true,
        }
    }
    #[cfg(feature = "tls")]
    {
        let t = config.tls;
        if t.self_signed && (t.cert.is_some() || t.key.is_some()) {
            return Err(error(
                "--tls-self-signed goes without --tls-cert and --tls-key",
                b"",
            ));
        }
        if t.cert.is_none() && (t.key.is_some() || t.password_file.is_some()) {
            return Err(error(
                "--tls-key and --tls-password-file need --tls-cert",
                b"",
            ));
        }
    }
    Ok(Command::Serve(config))
}

/// Options that take no value besides those listed in `parse`.
#[cfg(feature = "tls")]
fn is_switch(opt: Opt) -> bool {
    matches!(opt, Opt::TlsSelfSigned)
}
#[cfg(not(feature = "tls"))]
fn is_switch(_: Opt) -> bool {
    false
}

/// A decimal in `min..=max` (leading zeros allowed).
fn number(s: &[u8], min: usize, max: usize) -> Result<usize, Error<'_>> {
    let err = error("not a number in range", s);
    if s.is_empty() {
        return Err(err);
    }
    let mut n = 0usize;
    for &b in s {
        // Stopping past `max` keeps `n` far from overflow.
        if !b.is_ascii_digit() || n > max {
            return Err(err);
        }
        n = n * 10 + usize::from(b - b'0');
    }
    if n < min || n > max {
        return Err(err);
    }
    Ok(n)
}

/// A size in bytes: digits, then optionally `K`, `M`, `G` or `T` (powers
/// of 1024, either case, `KiB`/`KB`/`K` alike); at least 1, at most 2^50.
pub fn size(s: &[u8]) -> Option<u64> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, unit) = s.split_at_checked(digits)?;
    let shift = match unit.first().map(u8::to_ascii_uppercase) {
        None => 0,
        Some(b'K') => 10,
        Some(b'M') => 20,
        Some(b'G') => 30,
        Some(b'T') => 40,
        _ => return None,
    };
    if !matches!(unit.get(1..).unwrap_or_default(), b"" | b"B" | b"iB" | b"b") {
        return None;
    }
    let n = number.iter().try_fold(0u64, |n, &b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })?;
    let bytes = n.checked_mul(1 << shift)?;
    (digits > 0 && (1..=1 << 50).contains(&bytes)).then_some(bytes)
}

/// `Name: value`: a token, a colon, a value of visible bytes and spaces
/// (no CR or LF, so no header can smuggle another line).
fn valid_header(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (name, value) = line.split_at_checked(colon).unwrap_or((line, b""));
    !name.is_empty()
        && name.iter().all(|&b| is_tchar(b))
        && value
            .iter()
            .all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Config<'static> {
        let args: Vec<&'static [u8]> = args
            .iter()
            .map(|a| a.to_string().leak().as_bytes())
            .collect();
        match parse(Box::leak(args.into_boxed_slice())) {
            Ok(Command::Serve(c)) => c,
            other => panic!("{other:?}"),
        }
    }

    fn fails(args: &[&str]) -> &'static str {
        let args: Vec<&'static [u8]> = args
            .iter()
            .map(|a| a.to_string().leak().as_bytes())
            .collect();
        parse(Box::leak(args.into_boxed_slice()))
            .unwrap_err()
            .message
    }

    #[test]
    fn sizes() {
        for (text, bytes) in [
            ("1", Some(1)),
            ("1024", Some(1024)),
            ("1K", Some(1024)),
            ("500M", Some(500 << 20)),
            ("2g", Some(2 << 30)),
            ("2GiB", Some(2 << 30)),
            ("3GB", Some(3 << 30)),
            ("1T", Some(1 << 40)),
            ("0", None),
            ("", None),
            ("G", None),
            ("1X", None),
            ("1Gx", None),
            ("-1", None),
            ("99999999999999999999", None),
            ("2000T", None),
        ] {
            assert_eq!(size(text.as_bytes()), bytes, "{text}");
        }
        let c = serve(&["--max-upload", "10M", "--upload-overwrite"]);
        assert_eq!(c.options.max_upload, 10 << 20);
        assert!(c.options.upload && c.options.overwrite);
        let c = serve(&["--auth", "a:b:c", "--auth-file=/x"]);
        assert_eq!(
            (c.auth, c.auth_file),
            (Some(&b"a:b:c"[..]), Some(&b"/x"[..]))
        );
        assert_eq!(serve(&[]).options.max_upload, DEFAULT_MAX_UPLOAD_BYTES);
        assert_eq!(fails(&["--auth", "nocolon"]), "not 'USER:PASSWORD'");
        assert_eq!(
            fails(&["--max-upload", "lots"]),
            "not a size like 500M or 2G"
        );
    }

    #[test]
    fn usage_options_line_up() {
        for line in USAGE.lines().skip(1) {
            assert!(
                line.is_empty() || line.starts_with("  ") || line.starts_with("Serve"),
                "{line:?}"
            );
        }
    }

    #[test]
    fn defaults_like_python() {
        let c = serve(&[]);
        assert_eq!(
            (c.port, c.bind, c.directory),
            (8080, Bind::V4([0; 4]), &b"."[..])
        );
        assert!(c.options.listing && !c.options.cors && !c.quiet);
    }

    #[test]
    fn every_option() {
        let c = serve(&[
            "0",
            "-b",
            "::1",
            "--directory=/srv",
            "-w",
            "3",
            "--max-connections",
            "100",
            "--timeout=5",
            "-H",
            "Cache-Control: no-store",
            "--header",
            "X-A: b",
            "--cors",
            "--spa",
            "--no-listing",
            "--hide-dotfiles",
            "-q",
            "--user=www-data:100",
            "--sandbox",
            "log",
        ]);
        assert_eq!(c.port, 0);
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(c.bind, Bind::V6(v6));
        assert_eq!(c.directory, b"/srv");
        assert_eq!((c.workers, c.max_connections, c.timeout_secs), (3, 100, 5));
        assert_eq!(
            &c.headers[..c.header_count],
            &[&b"Cache-Control: no-store"[..], b"X-A: b"]
        );
        assert!(
            c.options.cors
                && c.options.spa
                && !c.options.listing
                && c.options.hide_dotfiles
                && c.quiet
        );
        assert_eq!(
            c.user,
            Some(UserSpec {
                user: user::Id::Name(b"www-data"),
                group: Some(user::Id::Number(100))
            })
        );
        assert_eq!(c.sandbox, Mode::Log);
        let d = serve(&[]);
        assert_eq!((d.user, d.sandbox), (None, Mode::On));
        assert_eq!(
            serve(&["8000", "--bind", "127.0.0.1"]).bind,
            Bind::V4([127, 0, 0, 1])
        );
    }

    #[test]
    fn errors() {
        assert_eq!(fails(&["65536"]), "not a number in range");
        assert_eq!(fails(&["80", "81"]), "unknown argument");
        assert_eq!(fails(&["-b"]), "missing value for");
        assert_eq!(fails(&["-b", "localhost"]), "not an IP address");
        assert_eq!(fails(&["--workers", "0"]), "not a number in range");
        assert_eq!(fails(&["--bogus"]), "unknown argument");
        assert_eq!(fails(&["-H", "NoColon"]), "not a header line 'Name: value'");
        assert_eq!(
            fails(&["-H", "Bad Name: x"]),
            "not a header line 'Name: value'"
        );
        assert_eq!(
            fails(&["-H", "A: b\r\nSet-Cookie: x"]),
            "not a header line 'Name: value'"
        );
        assert_eq!(fails(&["--cors=1"]), "takes no value");
        assert_eq!(fails(&["--user", "a:b:c"]), "not a user 'USER[:GROUP]'");
        assert_eq!(fails(&["--user="]), "not a user 'USER[:GROUP]'");
        assert_eq!(fails(&["--sandbox", "maybe"]), "not on, off or log");
        let long = format!("X-Long: {}", "v".repeat(1100));
        assert_eq!(
            fails(&["-H", &long]),
            "headers longer than 1024 bytes in all"
        );
        // Found by fuzzing: one header may use the whole 1024-byte budget
        // (with its CRLF), and leading zeros do not count as digits.
        let full = format!("X-Long: {}", "v".repeat(1014));
        assert_eq!(serve(&["-H", &full]).header_count, 1);
        let over = format!("X-Long: {}", "v".repeat(1015));
        assert_eq!(
            fails(&["-H", &over]),
            "headers longer than 1024 bytes in all"
        );
        assert_eq!(serve(&["0000008080"]).port, 8080);
        assert_eq!(serve(&["0000000000"]).port, 0);
        assert_eq!(fails(&["0000065536"]), "not a number in range");
        assert_eq!(fails(&["1000000000000"]), "not a number in range");
        assert!(matches!(parse(&[b"-h"]), Ok(Command::Help)));
        assert!(matches!(parse(&[b"--version"]), Ok(Command::Version)));
    }
}
