//! HTTPS start-up, in the supervisor before it drops privileges: reads
//! the certificate chain and the private key named by `--tls-cert`,
//! `--tls-key` and `--tls-password-file` (or makes both with
//! `--tls-self-signed`), checks that they belong together by signing and
//! verifying once, and says what is wrong in one line, exit 1. The key
//! never touches the disk and lives only in memory that cannot be dumped
//! (`PR_SET_DUMPABLE` 0, see `sandbox`).

use crate::buf::Buf;
use crate::cli::{Bind, TlsFiles};
use crate::http::date;
use crate::rt::out::{self, MAX_LINE_BYTES};
use crate::rt::sys::{self, BorrowedFd};
use crate::tls::cert::{self, Chain};
use crate::tls::key;
use crate::tls::server::Credentials;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroize;

/// The largest PEM file read (certificate chain or key): a chain of
/// `cert::MAX_CERTS` certificates in base64 with room for comments.
pub const MAX_PEM_BYTES: usize = 32 * 1024;

/// The largest password file.
const MAX_PASSWORD_BYTES: usize = 1024;

/// How long a `--tls-self-signed` certificate is valid, in seconds.
pub const SELF_SIGNED_SECS: i64 = 30 * 86_400;

/// The most names and addresses in a self-signed certificate.
const MAX_SANS: usize = 4;

/// The key and chain `files` name, or a fresh self-signed pair; exits 1
/// on any problem. `now` is the wall clock, in Unix seconds.
pub fn load(files: &TlsFiles, bind: Bind, now: i64) -> Credentials {
    if files.self_signed {
        return self_signed(bind, now);
    }
    let cert_path = files.cert.unwrap_or_default();
    let mut pem = [0u8; MAX_PEM_BYTES];
    let len = super::read_file(cert_path, &mut pem);
    let text = pem.get(..len).unwrap_or_default();
    let bad_cert = |e: cert::CertError| -> ! {
        out::fail(
            &[
                b"cannot use the certificate in '",
                cert_path,
                b"': ",
                e.message().as_bytes(),
            ],
            None,
        )
    };
    let mut chain = Chain::new();
    if let Err(e) = chain.load(text) {
        bad_cert(e);
    }
    let mut password_mem = [0u8; MAX_PASSWORD_BYTES];
    let password = files.password_file.map(|path| {
        let len = super::read_file(path, &mut password_mem);
        let text = password_mem.get(..len).unwrap_or_default();
        // The file's last line ending is not part of the password.
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        text.strip_suffix(b"\r").unwrap_or(text).len()
    });
    let key_path = files.key.unwrap_or(cert_path);
    let mut key_mem = [0u8; MAX_PEM_BYTES];
    let key_text = match files.key {
        Some(path) => {
            let len = super::read_file(path, &mut key_mem);
            key_mem.get(..len).unwrap_or_default()
        }
        None => text,
    };
    let key = key::load(
        key_text,
        password.map(|len| password_mem.get(..len).unwrap_or_default()),
    );
    key_mem.zeroize();
    password_mem.zeroize();
    pem.zeroize();
    let key = key.unwrap_or_else(|e| {
        out::fail(
            &[
                b"cannot use the key in '",
                key_path,
                b"': ",
                e.message().as_bytes(),
            ],
            None,
        )
    });
    let leaf = cert::leaf(chain.leaf()).unwrap_or_else(|e| bad_cert(e));
    if !matches(&key, leaf.public_key) {
        out::fail(
            &[
                b"the certificate in '",
                cert_path,
                b"' and the key in '",
                key_path,
                b"' do not match",
            ],
            None,
        );
    }
    if leaf.not_after < now {
        let mut mem = [0u8; 40];
        let mut when = Buf::new(&mut mem);
        date::imf_fixdate(&mut when, leaf.not_after);
        out::line(
            &[
                b"warning: the certificate in '",
                cert_path,
                b"' expired on ",
                when.as_bytes(),
            ],
            None,
        );
    }
    Credentials { key, chain }
}

/// The key signs, and the certificate's public key verifies, one
/// message: they are a pair.
fn matches(key: &SigningKey, public_key: &[u8]) -> bool {
    let message = b"httpd: does this key belong to this certificate?";
    let signature: Signature = key.sign(message);
    crate::tls::server::p256_point(public_key)
        .and_then(|point| VerifyingKey::from_affine(point).ok())
        .is_some_and(|v| v.verify(message, &signature).is_ok())
}

/// A fresh P-256 key and a certificate for it, signed by itself, for
/// `localhost`, the host name, 127.0.0.1, ::1 and the bind address,
/// valid from now for `SELF_SIGNED_SECS`.
fn self_signed(bind: Bind, now: i64) -> Credentials {
    let mut seed = [0u8; 32];
    let key = loop {
        if let Err(e) = sys::getrandom(&mut seed) {
            out::die(b"cannot get random bytes", e);
        }
        // A value at or above the group order (chance 2^-32) is drawn again.
        if let Ok(key) = SigningKey::from_slice(&seed) {
            break key;
        }
    };
    seed.zeroize();
    let mut serial = [0u8; 16];
    if let Err(e) = sys::getrandom(&mut serial) {
        out::die(b"cannot get random bytes", e);
    }
    let mut host = [0u8; sys::UTSNAME_FIELD_BYTES];
    let host_len = sys::uname(&mut host).unwrap_or(0);
    let host = host.get(..host_len).unwrap_or_default();
    let mut dns: [&[u8]; 2] = [b"localhost", b""];
    let mut dns_len = 1;
    if !host.is_empty() && host != b"localhost" {
        dns[1] = host;
        dns_len = 2;
    }
    let mut ips: [&[u8]; MAX_SANS] = [&[127, 0, 0, 1], &[0; 15], &[], &[]];
    let loopback6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    ips[1] = &loopback6;
    let mut ips_len = 2;
    let bound: &[u8] = match &bind {
        Bind::V4(ip) => ip,
        Bind::V6(ip) => ip,
    };
    if bound.iter().any(|&b| b != 0) && !ips.iter().take(ips_len).any(|&ip| ip == bound) {
        ips[2] = bound;
        ips_len = 3;
    }
    let mut chain = Chain::new();
    let mut der = [0u8; 1024];
    let made = cert::self_signed(
        &key,
        dns.get(..dns_len).unwrap_or_default(),
        ips.get(..ips_len).unwrap_or_default(),
        now,
        now + SELF_SIGNED_SECS,
        &serial,
        &mut der,
    )
    .and_then(|len| chain.push_der(der.get(..len).unwrap_or_default()));
    if let Err(e) = made {
        out::fail(
            &[
                b"cannot make a self-signed certificate: ",
                e.message().as_bytes(),
            ],
            None,
        );
    }
    Credentials { key, chain }
}

/// Prints the leaf certificate's SHA-256 fingerprint, as browsers show
/// it, under the banner.
pub fn print_fingerprint(cred: &Credentials) {
    let mut hex = [0u8; 95];
    cert::fingerprint(cred.chain.leaf(), &mut hex);
    let mut mem = [0u8; MAX_LINE_BYTES];
    let mut line = Buf::new(&mut mem);
    line.str("Certificate SHA-256 fingerprint: ")
        .push(&hex)
        .byte(b'\n');
    out::write_all(BorrowedFd::STDOUT, line.as_bytes());
}
