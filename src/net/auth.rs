//! Start-up of `--auth-file` and `--auth` (the checking itself is the
//! pure `crate::auth`): read the password file while still root (it may
//! be root-only), hash `--auth`'s password with a random salt so only the
//! hash stays in memory, parse them, and say at once what is wrong, one
//! line with the line number, exit 1. Also the warnings an exposed
//! sharing server deserves: passwords over plain HTTP, uploads without a
//! password, on an address other than loopback.

use crate::auth::{self, MAX_AUTH_FILE_BYTES, Users};
use crate::buf::Buf;
use crate::cli::{Bind, Config};
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys;

/// Room for `--auth`'s line after the file: the user, a SHA-crypt hash.
const AUTH_LINE_BYTES: usize = 512;

/// The users of `--auth-file` and `--auth`, or None when neither is
/// given. Exits 1 on any error.
pub fn load(config: &Config) -> Option<&'static Users<'static>> {
    if config.auth_file.is_none() && config.auth.is_none() {
        return None;
    }
    let fail = |what: &[u8], e| -> ! { out::die(what, e) };
    let mem = sys::mmap_anonymous(MAX_AUTH_FILE_BYTES + AUTH_LINE_BYTES)
        .unwrap_or_else(|e| fail(b"cannot map memory for --auth", e));
    let (file, spare) = mem
        .split_at_mut_checked(MAX_AUTH_FILE_BYTES)
        .unwrap_or_else(|| fail(b"cannot map memory for --auth", sys::Errno::ENOMEM));
    let file_len = config
        .auth_file
        .map_or(0, |path| super::read_file(path, file));
    let file_lines = file
        .get(..file_len)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let mut line = Buf::new(spare);
    if let Some(pair) = config.auth {
        // The CLI checked the colon; the password may hold more of them.
        let at = pair.iter().position(|&b| b == b':').unwrap_or(pair.len());
        let user = pair.get(..at).unwrap_or_default();
        let password = pair.get(at + 1..).unwrap_or_default();
        let mut salt = [0u8; 16];
        if let Err(e) = sys::getrandom(&mut salt) {
            fail(b"cannot get random bytes for --auth", e);
        }
        line.byte(b'\n');
        auth::hash_line(user, password, &salt, &mut line);
        line.byte(b'\n');
    }
    let added = line.len();
    // The file and the line, one text: move the line to follow the file.
    let mut text_len = file_len;
    for i in 0..added {
        let b = mem.get(MAX_AUTH_FILE_BYTES + i).copied().unwrap_or(0);
        if let Some(dst) = mem.get_mut(text_len) {
            *dst = b;
        }
        text_len += 1;
    }
    let text: &'static [u8] = mem.get(..text_len).unwrap_or_default();
    match auth::parse(text) {
        Ok(users) => {
            let mut users = Some(users);
            match sys::mmap_array(1, |_| users.take()) {
                Ok([Some(users)]) => Some(&*users),
                Ok(_) => None,
                Err(e) => fail(b"cannot map memory for --auth", e),
            }
        }
        Err(e) => {
            let mut mem = [0u8; MAX_LINE_BYTES];
            let mut msg = Buf::new(&mut mem);
            if e.line > file_lines + 1 || config.auth_file.is_none() {
                msg.str("--auth: ");
            } else {
                msg.str("--auth-file '")
                    .push(config.auth_file.unwrap_or_default())
                    .str("' line ")
                    .u64(e.line as u64)
                    .str(": ");
            }
            msg.str(e.reason);
            out::fail(&[msg.as_bytes()], None)
        }
    }
}

/// The start-up warnings of an exposed server (not on loopback):
/// passwords in clear text, or uploads open to anyone.
pub fn warn(config: &Config, https: bool, auth: bool) {
    let loopback = match config.bind {
        Bind::V4([a, ..]) => a == 127,
        Bind::V6(ip) => ip == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    };
    if loopback {
        return;
    }
    if auth && !https {
        out::stderr(if cfg!(feature = "tls") {
            b"httpd: warning: passwords travel in clear text over HTTP; serve HTTPS with --tls-cert or --tls-self-signed\n"
        } else {
            b"httpd: warning: passwords travel in clear text over HTTP; put HTTPS in front\n"
        });
    }
    if config.options.upload && !auth {
        out::stderr(b"httpd: warning: --upload without --auth: anyone who can reach this server can write files\n");
    }
}
