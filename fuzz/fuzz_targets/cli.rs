//! `cli::parse` and the address text it reads (`addr`). Input: the
//! arguments, separated by NUL bytes (an argv string cannot hold one), at
//! most 64 of them as `_start` allows.
//!
//! Properties:
//! - `cli::parse` never panics and agrees with a reference parser written
//!   from the usage text and the docs of `cli.rs`: the same accept/reject,
//!   and for an accepted command line the same values, all in their
//!   documented ranges (port 0..=65535, workers 0 = auto or 1..=1024,
//!   max-connections 1..=`MAX_CONNECTIONS_LIMIT`, timeout 1..=86400 s, at
//!   most `MAX_HEADERS` headers of `MAX_HEADER_BYTES` in all, counting
//!   CRLF, each a `Name: value` line without CR or LF; `--user` a
//!   `USER[:GROUP]` spec, `--sandbox` one of on, off, log);
//! - an error names (a part of) one of the arguments;
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
use httpd::sandbox::Mode;
use httpd::sandbox::user::{UserSpec, parse_spec};
use httpd_fuzz::show;
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The most arguments `_start` passes on (`rt::entry::MAX_ARGS`).
const MAX_ARGS: usize = 64;

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
enum Want<'a> {
    Serve(Settings<'a>),
    Help,
    Version,
}

#[derive(Debug, PartialEq)]
struct Settings<'a> {
    port: u16,
    bind: Bind,
    directory: Vec<u8>,
    workers: usize,
    max_connections: usize,
    timeout_secs: u32,
    headers: Vec<Vec<u8>>,
    /// listing, hide_dotfiles, cors, spa, quiet
    flags: [bool; 5],
    user: Option<UserSpec<'a>>,
    sandbox: Mode,
    /// `--auth-file`, `--auth`; `--upload`, `--upload-overwrite`,
    /// `--max-upload`.
    auth: (Option<Vec<u8>>, Option<Vec<u8>>),
    upload: (bool, bool, u64),
}

fn command_line(args: &[&[u8]]) {
    let shown: Vec<_> = args.iter().map(|a| show(a)).collect();
    let got = parse(args);
    let want = reference(args);
    match (&got, &want) {
        (Ok(Command::Help), Some(Want::Help)) | (Ok(Command::Version), Some(Want::Version)) => {}
        (Ok(Command::Serve(c)), Some(Want::Serve(w))) => {
            assert!(c.header_count <= MAX_HEADERS, "{shown:?}");
            let used = &c.headers[..c.header_count];
            assert!(c.headers[c.header_count..].iter().all(|h| h.is_empty()));
            let total: usize = used.iter().map(|h| h.len() + 2).sum();
            assert!(total <= MAX_HEADER_BYTES, "{shown:?}");
            assert!(c.workers <= 1024 && (1..=MAX_CONNECTIONS_LIMIT).contains(&c.max_connections));
            assert!((1..=86_400).contains(&c.timeout_secs) && !c.directory.is_empty());
            let o = c.options;
            let have = Settings {
                port: c.port,
                bind: c.bind,
                directory: c.directory.to_vec(),
                workers: c.workers,
                max_connections: c.max_connections,
                timeout_secs: c.timeout_secs,
                headers: used.iter().map(|h| h.to_vec()).collect(),
                flags: [o.listing, o.hide_dotfiles, o.cors, o.spa, c.quiet],
                user: c.user,
                sandbox: c.sandbox,
                auth: (c.auth_file.map(<[u8]>::to_vec), c.auth.map(<[u8]>::to_vec)),
                upload: (o.upload, o.overwrite, o.max_upload),
            };
            assert_eq!(&have, w, "{shown:?}");
        }
        (Err(e), None) => {
            let inside = args.iter().any(|a| {
                let range = a.as_ptr_range();
                range.start <= e.arg.as_ptr() && e.arg.as_ptr_range().end <= range.end
            });
            assert!(inside, "error {:?} names no argument: {shown:?}", e.message);
        }
        _ => {
            let got = got.map_err(|e| (e.message, show(e.arg)));
            panic!("ours {got:?}, reference {want:?}: {shown:?}")
        }
    }
}

/// The command line as the usage text and `cli.rs` describe it.
fn reference<'a>(args: &[&'a [u8]]) -> Option<Want<'a>> {
    let mut s = Settings {
        port: DEFAULT_PORT,
        bind: Bind::V4([0; 4]),
        directory: b".".to_vec(),
        workers: 0,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        headers: Vec::new(),
        flags: [true, false, false, false, false],
        user: None,
        sandbox: Mode::On,
        auth: (None, None),
        upload: (false, false, DEFAULT_MAX_UPLOAD_BYTES),
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
            b"--no-listing" => "no-listing",
            b"--hide-dotfiles" => "hide-dotfiles",
            b"-q" | b"--quiet" => "quiet",
            b"--user" => "user",
            b"--sandbox" => "sandbox",
            b"--auth-file" => "auth-file",
            b"--auth" => "auth",
            b"--upload" => "upload",
            b"--upload-overwrite" => "upload-overwrite",
            b"--max-upload" => "max-upload",
            _ if inline.is_none() && !port_seen && arg.first().is_some_and(u8::is_ascii_digit) => {
                s.port = number(arg, 0, 65_535)? as u16;
                port_seen = true;
                continue;
            }
            _ => return None,
        };
        let flag = [
            "help",
            "version",
            "cors",
            "spa",
            "no-listing",
            "hide-dotfiles",
            "quiet",
            "upload",
            "upload-overwrite",
        ];
        let value = match inline {
            _ if flag.contains(&name) && inline.is_some() => return None,
            _ if flag.contains(&name) => &b""[..],
            Some(v) => v,
            None => *rest.next()?,
        };
        match name {
            "help" => return Some(Want::Help),
            "version" => return Some(Want::Version),
            "bind" => {
                let text = std::str::from_utf8(value).ok()?;
                s.bind = match (text.parse::<Ipv4Addr>(), text.parse::<Ipv6Addr>()) {
                    (Ok(ip), _) => Bind::V4(ip.octets()),
                    (_, Ok(ip)) => Bind::V6(ip.octets()),
                    _ => return None,
                };
            }
            "directory" if value.is_empty() => return None,
            "directory" => s.directory = value.to_vec(),
            "workers" => s.workers = number(value, 1, 1024)?,
            "max-connections" => s.max_connections = number(value, 1, MAX_CONNECTIONS_LIMIT)?,
            "timeout" => s.timeout_secs = number(value, 1, 86_400)? as u32,
            "header" => {
                let colon = value.iter().position(|&b| b == b':')?;
                let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
                let field = |b: &u8| *b == b'\t' || (*b >= b' ' && *b != 0x7f);
                let (name, rest) = value.split_at(colon);
                if name.is_empty() || !name.iter().all(tchar) || !rest.iter().all(field) {
                    return None;
                }
                s.headers.push(value.to_vec());
                let n = s.headers.len();
                let total: usize = s.headers.iter().map(|h| h.len() + 2).sum();
                if n > MAX_HEADERS || total > MAX_HEADER_BYTES {
                    return None;
                }
            }
            "cors" => s.flags[2] = true,
            "spa" => s.flags[3] = true,
            "no-listing" => s.flags[0] = false,
            "hide-dotfiles" => s.flags[1] = true,
            "quiet" => s.flags[4] = true,
            // The spec grammar itself is the passwd target's business.
            "user" => s.user = Some(parse_spec(value)?),
            "sandbox" => {
                s.sandbox = match value {
                    b"on" => Mode::On,
                    b"off" => Mode::Off,
                    b"log" => Mode::Log,
                    _ => return None,
                }
            }
            "auth-file" => s.auth.0 = Some(value.to_vec()),
            "auth" if !value.contains(&b':') => return None,
            "auth" => s.auth.1 = Some(value.to_vec()),
            "upload" => s.upload.0 = true,
            "upload-overwrite" => (s.upload.0, s.upload.1) = (true, true),
            "max-upload" => s.upload.2 = size(value)?,
            _ => unreachable!(),
        }
    }
    Some(Want::Serve(s))
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
