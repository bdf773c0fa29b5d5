//! `cli::parse` and the address text it reads (`addr`). Input: the
//! arguments, separated by NUL bytes (an argv string cannot hold one), at
//! most 64 of them as `_start` allows.
//!
//! Properties:
//! - `cli::parse` never panics and agrees with a reference parser written
//!   from the usage text and the docs of `cli.rs`: the same command
//!   (serve, `--help`, `--version`, or `--check URL` with the same URL:
//!   these three end the parse at once, whatever follows), and for an
//!   accepted command line the same values, all in their documented
//!   ranges (port 0..=65535, workers 0 = auto or 1..=1024,
//!   max-connections 1..=`MAX_CONNECTIONS_LIMIT`, timeout 1..=86400 s, at
//!   most `MAX_HEADERS` headers of `MAX_HEADER_BYTES` in all, counting
//!   CRLF, each a `Name: value` line without CR or LF; `--user` a
//!   `USER[:GROUP]` spec, `--sandbox` one of on, off, log; `--max-upload`
//!   1 byte to 2^50; `--bind unix:PATH` a path of 1 to 107 bytes that an
//!   IP `--bind` after it clears again, while a Unix path leaves the IP
//!   as it was; `--404 FILE` and `--log FILE` not empty; `--max-age`
//!   0..=31536000 s (a year); `--log-format` one of python, common,
//!   combined, json; `--clean-urls`, `--immutable-hashed`, `--no-cache`
//!   switches; the
//!   `--tls-*` files, and `--tls-self-signed` only without `--tls-cert`
//!   and `--tls-key`, which `--tls-key` and `--tls-password-file` need);
//!   `--name=value` is `--name value` for every long option that takes a
//!   value, and an error for a switch;
//! - a rejected command line is rejected with the reference's message,
//!   naming the same argument (the option, or its value): a part of one
//!   of the arguments, except for the `--tls-*` combinations, which name
//!   none;
//! - `parse_ipv4` / `parse_ipv6` accept exactly what std's
//!   `Ipv4Addr` / `Ipv6Addr` `FromStr` accept, with the same address (the
//!   module's contract; its unit tests show no intended difference);
//! - `format_ipv4` / `format_ipv6` write what std's `Display` writes, and
//!   the text parses back to the address (input bytes taken as addresses).
//!

#![no_main]

use httpd::addr::{format_ipv4, format_ipv6, parse_ipv4, parse_ipv6};
use httpd::buf::Buf;
use httpd::cli::{
    Bind, Command, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_PORT,
    DEFAULT_TIMEOUT_SECS, MAX_CONNECTIONS_LIMIT, MAX_HEADER_BYTES, MAX_HEADERS, parse,
};
use httpd::log::Format;
use httpd::sandbox::Mode;
use httpd::sandbox::user::{UserSpec, parse_spec};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The most arguments `_start` passes on (`rt::entry::MAX_ARGS`).
const MAX_ARGS: usize = 64;

/// The longest `--bind unix:PATH` path: `sun_path` is 108 bytes with the
/// NUL (unix(7)).
const UNIX_PATH_MAX: usize = 107;

/// The largest `--max-age`: a year of seconds.
const YEAR_SECS: usize = 365 * 86_400;

fuzz_target!(|data: &[u8]| {
    let args: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        data.split(|&b| b == 0).take(MAX_ARGS).collect()
    };
    command_line(&args);
    for arg in &args {
        addresses(arg);
    }
    if let Some(bytes) = data.first_chunk::<16>() {
        formats(*bytes);
    }
});

/// What the reference parser expects.
#[derive(Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per input, as `cli::Command`
enum Want<'a> {
    Serve(Settings<'a>),
    /// `--check URL`.
    Check(Vec<u8>),
    Help,
    Version,
}

#[derive(Debug, PartialEq)]
struct Settings<'a> {
    port: u16,
    bind: Bind,
    /// `--bind unix:PATH`: the path.
    unix: Option<Vec<u8>>,
    directory: Vec<u8>,
    workers: usize,
    max_connections: usize,
    timeout_secs: u32,
    headers: Vec<Vec<u8>>,
    /// listing, hide_dotfiles, cors, spa, quiet, clean_urls,
    /// immutable_hashed, file_cache
    flags: [bool; 8],
    user: Option<UserSpec<'a>>,
    sandbox: Mode,
    /// `--auth-file`, `--auth`; `--upload`, `--upload-overwrite`,
    /// `--max-upload`.
    auth: (Option<Vec<u8>>, Option<Vec<u8>>),
    upload: (bool, bool, u64),
    /// `--404`, `--max-age`.
    not_found: Option<Vec<u8>>,
    max_age: Option<u32>,
    /// `--log`, `--log-format`.
    log: (Option<Vec<u8>>, Format),
    tls: Tls,
}

/// `--tls-cert`, `--tls-key`, `--tls-password-file`, `--tls-self-signed`.
#[derive(Debug, Default, PartialEq)]
struct Tls {
    cert: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
    password_file: Option<Vec<u8>>,
    self_signed: bool,
}

/// A rejection: the message and the argument (or part of one) it names.
type Reject<'a> = (&'static str, &'a [u8]);

fn command_line(args: &[&[u8]]) {
    let shown: Vec<_> = args.iter().map(|a| show(a)).collect();
    let got = parse(args);
    let want = reference(args);
    match (&got, &want) {
        (Ok(Command::Help), Ok(Want::Help)) | (Ok(Command::Version), Ok(Want::Version)) => {}
        (Ok(Command::Check(url)), Ok(Want::Check(w))) => {
            assert_eq!(show(url), show(w), "{shown:?}");
            assert!(inside(args, url), "--check URL is no argument: {shown:?}");
        }
        (Ok(Command::Serve(c)), Ok(Want::Serve(w))) => {
            assert!(c.header_count <= MAX_HEADERS, "{shown:?}");
            let used = &c.headers[..c.header_count];
            assert!(c.headers[c.header_count..].iter().all(|h| h.is_empty()));
            let total: usize = used.iter().map(|h| h.len() + 2).sum();
            assert!(total <= MAX_HEADER_BYTES, "{shown:?}");
            assert!(c.workers <= 1024 && (1..=MAX_CONNECTIONS_LIMIT).contains(&c.max_connections));
            assert!((1..=86_400).contains(&c.timeout_secs) && !c.directory.is_empty());
            assert!(
                c.unix
                    .is_none_or(|p| (1..=UNIX_PATH_MAX).contains(&p.len()))
            );
            assert!(c.not_found.is_none_or(|f| !f.is_empty()));
            assert!(c.log_file.is_none_or(|f| !f.is_empty()));
            let o = c.options;
            assert!(o.max_age.is_none_or(|s| s as usize <= YEAR_SECS));
            let t = c.tls;
            let have = Settings {
                port: c.port,
                bind: c.bind,
                unix: c.unix.map(<[u8]>::to_vec),
                directory: c.directory.to_vec(),
                workers: c.workers,
                max_connections: c.max_connections,
                timeout_secs: c.timeout_secs,
                headers: used.iter().map(|h| h.to_vec()).collect(),
                flags: [
                    o.listing,
                    o.hide_dotfiles,
                    o.cors,
                    o.spa,
                    c.quiet,
                    o.clean_urls,
                    o.immutable_hashed,
                    o.file_cache,
                ],
                user: c.user,
                sandbox: c.sandbox,
                auth: (c.auth_file.map(<[u8]>::to_vec), c.auth.map(<[u8]>::to_vec)),
                upload: (o.upload, o.overwrite, o.max_upload),
                not_found: c.not_found.map(<[u8]>::to_vec),
                max_age: o.max_age,
                log: (c.log_file.map(<[u8]>::to_vec), c.log_format),
                tls: Tls {
                    cert: t.cert.map(<[u8]>::to_vec),
                    key: t.key.map(<[u8]>::to_vec),
                    password_file: t.password_file.map(<[u8]>::to_vec),
                    self_signed: t.self_signed,
                },
            };
            assert_eq!(&have, w, "{shown:?}");
        }
        (Err(e), Err((message, arg))) => {
            assert_eq!((e.message, show(e.arg)), (*message, show(arg)), "{shown:?}");
            // The `--tls-*` combinations name no argument (`main` then
            // prints the message alone); every other error names the very
            // bytes the reference does, not equal ones elsewhere.
            if !e.message.starts_with("--tls-") {
                assert_eq!(e.arg.as_ptr(), arg.as_ptr(), "{:?}: {shown:?}", e.message);
                assert!(
                    inside(args, e.arg),
                    "{:?} names no argument: {shown:?}",
                    e.message
                );
            }
        }
        _ => {
            let got = got.map_err(|e| (e.message, show(e.arg)));
            let want = want.map_err(|(m, a)| (m, show(a)));
            panic!("ours {got:?}, reference {want:?}: {shown:?}")
        }
    }
}

/// `part` lies within one of `args`.
fn inside(args: &[&[u8]], part: &[u8]) -> bool {
    args.iter().any(|a| {
        let range = a.as_ptr_range();
        range.start <= part.as_ptr() && part.as_ptr_range().end <= range.end
    })
}

/// The command line as the usage text and `cli.rs` describe it.
fn reference<'a>(args: &[&'a [u8]]) -> Result<Want<'a>, Reject<'a>> {
    let mut s = Settings {
        port: DEFAULT_PORT,
        bind: Bind::V4([0; 4]),
        unix: None,
        directory: b".".to_vec(),
        workers: 0,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        headers: Vec::new(),
        flags: [true, false, false, false, false, false, false, true],
        user: None,
        sandbox: Mode::On,
        auth: (None, None),
        upload: (false, false, DEFAULT_MAX_UPLOAD_BYTES),
        not_found: None,
        max_age: None,
        log: (None, Format::Python),
        tls: Tls::default(),
    };
    let mut port_seen = false;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        // `--name=value` is `--name value`; short options take no `=`.
        let (name, inline) = match arg.iter().position(|&b| b == b'=') {
            Some(eq) if arg.starts_with(b"--") => (&arg[..eq], Some(&arg[eq + 1..])),
            _ => (arg, None),
        };
        let name = match name {
            b"-h" | b"--help" => "help",
            b"-V" | b"--version" => "version",
            b"-b" | b"--bind" => "bind",
            b"-d" | b"--directory" => "directory",
            b"-w" | b"--workers" => "workers",
            b"--max-connections" => "max-connections",
            b"--timeout" => "timeout",
            b"-H" | b"--header" => "header",
            b"--cors" => "cors",
            b"--spa" => "spa",
            b"--404" => "404",
            b"--clean-urls" => "clean-urls",
            b"--no-listing" => "no-listing",
            b"--hide-dotfiles" => "hide-dotfiles",
            b"--max-age" => "max-age",
            b"--immutable-hashed" => "immutable-hashed",
            b"--no-cache" => "no-cache",
            b"-q" | b"--quiet" => "quiet",
            b"--user" => "user",
            b"--sandbox" => "sandbox",
            b"--auth-file" => "auth-file",
            b"--auth" => "auth",
            b"--upload" => "upload",
            b"--upload-overwrite" => "upload-overwrite",
            b"--max-upload" => "max-upload",
            b"--log" => "log",
            b"--log-format" => "log-format",
            b"--tls-cert" => "tls-cert",
            b"--tls-key" => "tls-key",
            b"--tls-password-file" => "tls-password-file",
            b"--tls-self-signed" => "tls-self-signed",
            b"--check" => "check",
            _ if inline.is_none() && !port_seen && arg.first().is_some_and(u8::is_ascii_digit) => {
                s.port = number(arg, 0, 65_535).ok_or(("not a number in range", arg))? as u16;
                port_seen = true;
                continue;
            }
            _ => return Err(("unknown argument", arg)),
        };
        let flag = [
            "help",
            "version",
            "cors",
            "spa",
            "clean-urls",
            "no-listing",
            "hide-dotfiles",
            "immutable-hashed",
            "no-cache",
            "quiet",
            "upload",
            "upload-overwrite",
            "tls-self-signed",
        ];
        let value = match inline {
            _ if flag.contains(&name) && inline.is_some() => return Err(("takes no value", arg)),
            _ if flag.contains(&name) => &b""[..],
            Some(v) => v,
            None => *rest.next().ok_or(("missing value for", arg))?,
        };
        let range = ("not a number in range", value);
        match name {
            "help" => return Ok(Want::Help),
            "version" => return Ok(Want::Version),
            "check" => return Ok(Want::Check(value.to_vec())),
            "bind" => match value.strip_prefix(b"unix:") {
                Some(path) if (1..=UNIX_PATH_MAX).contains(&path.len()) => {
                    s.unix = Some(path.to_vec())
                }
                Some(_) => return Err(("not a Unix socket path (1 to 107 bytes)", value)),
                None => {
                    let text = std::str::from_utf8(value).ok();
                    s.bind = match text.map(|t| (t.parse::<Ipv4Addr>(), t.parse::<Ipv6Addr>())) {
                        Some((Ok(ip), _)) => Bind::V4(ip.octets()),
                        Some((_, Ok(ip))) => Bind::V6(ip.octets()),
                        _ => return Err(("not an IP address", value)),
                    };
                    s.unix = None;
                }
            },
            "directory" if value.is_empty() => return Err(("empty directory", arg)),
            "directory" => s.directory = value.to_vec(),
            "workers" => s.workers = number(value, 1, 1024).ok_or(range)?,
            "max-connections" => {
                s.max_connections = number(value, 1, MAX_CONNECTIONS_LIMIT).ok_or(range)?
            }
            "timeout" => s.timeout_secs = number(value, 1, 86_400).ok_or(range)? as u32,
            "header" => {
                let bad = ("not a header line 'Name: value'", value);
                let colon = value.iter().position(|&b| b == b':').ok_or(bad)?;
                let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
                let field = |b: &u8| *b == b'\t' || (*b >= b' ' && *b != 0x7f);
                let (name, rest) = value.split_at(colon);
                if name.is_empty() || !name.iter().all(tchar) || !rest.iter().all(field) {
                    return Err(bad);
                }
                s.headers.push(value.to_vec());
                let total: usize = s.headers.iter().map(|h| h.len() + 2).sum();
                if total > MAX_HEADER_BYTES {
                    return Err(("headers longer than 1024 bytes in all", value));
                }
                if s.headers.len() > MAX_HEADERS {
                    return Err(("too many headers", value));
                }
            }
            "cors" => s.flags[2] = true,
            "spa" => s.flags[3] = true,
            "no-listing" => s.flags[0] = false,
            "hide-dotfiles" => s.flags[1] = true,
            "quiet" => s.flags[4] = true,
            "clean-urls" => s.flags[5] = true,
            "immutable-hashed" => s.flags[6] = true,
            "no-cache" => s.flags[7] = false,
            "404" | "log" if value.is_empty() => return Err(("empty file name", arg)),
            "404" => s.not_found = Some(value.to_vec()),
            "log" => s.log.0 = Some(value.to_vec()),
            "max-age" => s.max_age = Some(number(value, 0, YEAR_SECS).ok_or(range)? as u32),
            "log-format" => {
                s.log.1 = match value {
                    b"python" => Format::Python,
                    b"common" => Format::Common,
                    b"combined" => Format::Combined,
                    b"json" => Format::Json,
                    _ => return Err(("not python, common, combined or json", value)),
                }
            }
            // The spec grammar itself is the passwd target's business.
            "user" => s.user = Some(parse_spec(value).ok_or(("not a user 'USER[:GROUP]'", value))?),
            "sandbox" => {
                s.sandbox = match value {
                    b"on" => Mode::On,
                    b"off" => Mode::Off,
                    b"log" => Mode::Log,
                    _ => return Err(("not on, off or log", value)),
                }
            }
            "auth-file" => s.auth.0 = Some(value.to_vec()),
            "auth" if !value.contains(&b':') => return Err(("not 'USER:PASSWORD'", value)),
            "auth" => s.auth.1 = Some(value.to_vec()),
            "upload" => s.upload.0 = true,
            "upload-overwrite" => (s.upload.0, s.upload.1) = (true, true),
            "max-upload" => {
                s.upload.2 = size(value).ok_or(("not a size like 500M or 2G", value))?
            }
            "tls-cert" => s.tls.cert = Some(value.to_vec()),
            "tls-key" => s.tls.key = Some(value.to_vec()),
            "tls-password-file" => s.tls.password_file = Some(value.to_vec()),
            "tls-self-signed" => s.tls.self_signed = true,
            _ => unreachable!(),
        }
    }
    // Checked once the whole line is read: the order of the options
    // does not matter.
    let t = &s.tls;
    if t.self_signed && (t.cert.is_some() || t.key.is_some()) {
        return Err((
            "--tls-self-signed goes without --tls-cert and --tls-key",
            b"",
        ));
    }
    if t.cert.is_none() && (t.key.is_some() || t.password_file.is_some()) {
        return Err(("--tls-key and --tls-password-file need --tls-cert", b""));
    }
    Ok(Want::Serve(s))
}

/// `--max-upload`: digits, then an optional K, M, G or T (either case,
/// powers of 1024) and an optional `B`/`iB`/`b`; 1 byte to 2^50.
fn size(s: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(s).ok()?;
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let mut chars = unit.chars();
    let shift = match chars.next().map(|c| c.to_ascii_uppercase()) {
        None => 0,
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        _ => return None,
    };
    if !["", "B", "iB", "b"].contains(&chars.as_str()) || digits == 0 {
        return None;
    }
    let n: u128 = number.parse().ok()?;
    let bytes = n.checked_shl(shift)?;
    (1..=1u128 << 50).contains(&bytes).then_some(bytes as u64)
}

/// A decimal (digits only) in `min..=max`.
fn number(s: &[u8], min: usize, max: usize) -> Option<usize> {
    httpd_fuzz::digits::<usize>(s).filter(|n| (min..=max).contains(n))
}

fn addresses(s: &[u8]) {
    let text = std::str::from_utf8(s).ok();
    let std4 = text
        .and_then(|t| t.parse::<Ipv4Addr>().ok())
        .map(|a| a.octets());
    let std6 = text
        .and_then(|t| t.parse::<Ipv6Addr>().ok())
        .map(|a| a.octets());
    assert_eq!(parse_ipv4(s), std4, "ipv4 {:?}", show(s));
    assert_eq!(parse_ipv6(s), std6, "ipv6 {:?}", show(s));
}

fn formats(bytes: [u8; 16]) {
    let mut mem = [0u8; 64];
    let mut b = Buf::new(&mut mem);
    format_ipv6(&mut b, bytes);
    let text = b.as_bytes().to_vec();
    assert_eq!(text, Ipv6Addr::from(bytes).to_string().as_bytes());
    assert_eq!(parse_ipv6(&text), Some(bytes), "{:?}", show(&text));
    let v4 = [bytes[0], bytes[1], bytes[2], bytes[3]];
    b.truncate(0);
    format_ipv4(&mut b, v4);
    assert_eq!(b.as_bytes(), Ipv4Addr::from(v4).to_string().as_bytes());
    assert_eq!(parse_ipv4(b.as_bytes()), Some(v4));
}
