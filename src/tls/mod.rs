//! TLS 1.3 (RFC 8446), server side, without heap or syscalls: the record
//! layer, the key schedule, the handshake, and the PEM/DER/PKCS#8/X.509
//! fields a server needs. Cryptographic primitives come from RustCrypto
//! crates; `net/tls.rs` moves the bytes.

pub mod cert;
pub mod der;
pub mod hello;
pub mod key;
pub mod message;
pub mod pem;
pub mod record;
pub mod schedule;
pub mod server;

/// The alerts we send (RFC 8446 §6): each ends the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    CloseNotify = 0,
    UnexpectedMessage = 10,
    BadRecordMac = 20,
    RecordOverflow = 22,
    HandshakeFailure = 40,
    IllegalParameter = 47,
    DecodeError = 50,
    DecryptError = 51,
    ProtocolVersion = 70,
    InternalError = 80,
    MissingExtension = 109,
    NoApplicationProtocol = 120,
}

/// Alert levels (§6): close_notify is a warning, the rest fatal.
pub const WARNING: u8 = 1;
pub const FATAL: u8 = 2;

impl Alert {
    /// The two bytes of its alert message.
    pub fn message(self) -> [u8; 2] {
        let level = if self == Alert::CloseNotify {
            WARNING
        } else {
            FATAL
        };
        [level, self as u8]
    }
}

#[cfg(test)]
mod vectors;
