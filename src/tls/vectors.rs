//! Known-answer tests for the TLS 1.3 code against RFC 8448 ("Example
//! Handshake Traces for TLS 1.3"), section 3, "Simple 1-RTT Handshake"
//! (TLS_AES_128_GCM_SHA256 with X25519): every secret of the key schedule,
//! the traffic keys and IVs, both Finished MACs, every protected record of
//! the trace sealed and opened byte for byte, and the ClientHello parsed.
//! What the RFC has no vector for (KeyUpdate, SHA-384, ChaCha20-Poly1305)
//! is checked against an oracle built here from the `hkdf`, `sha2`, `hmac`
//! and AEAD crates with the `HkdfLabel` bytes laid out by hand, the
//! ChaCha20-Poly1305 oracle itself first checked against RFC 8439 §2.8.2.
//! The hex is the RFC's, octet for octet, with its line breaks.

use crate::tls::Alert;
use crate::tls::hello::{self, Alpn};
use crate::tls::record::{
    self, ALERT, APPLICATION_DATA, HANDSHAKE, HEADER_BYTES, Keys, MAX_PLAINTEXT_BYTES,
    OVERHEAD_BYTES, Suite, TAG_BYTES,
};
use crate::tls::schedule::{
    self, Hash, Schedule, Secret, Transcript, derive_secret, expand_label, expand_secret, extract,
};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit as _};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::digest::Digest;
use sha2::{Sha256, Sha384};

// ---------------------------------------------------------------------
// RFC 8448 §3, in the order the trace gives it.

/// {client} create an ephemeral x25519 key pair.
const CLIENT_PRIVATE: &str = "49 af 42 ba 7f 79 94 85 2d 71 3e f2 78
    4b cb ca a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05";
const CLIENT_PUBLIC: &str = "99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d
    ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c";

/// {client} construct a ClientHello handshake message (196 octets).
const CLIENT_HELLO: &str = "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63
    ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83
    02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b
    00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00
    12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23
    00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2
    3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a
    af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
    02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06
    02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01";

/// {server} extract secret "early": the secret.
const EARLY_SECRET: &str = "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c
    e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a";

/// {server} create an ephemeral x25519 key pair.
const SERVER_PRIVATE: &str = "b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56
    52 57 8c c8 10 e9 98 01 91 ec 8d 05 83 08 ce a2 16 a2 1e";
const SERVER_PUBLIC: &str = "c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6
    72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f";

/// {server} construct a ServerHello handshake message (90 octets).
const SERVER_HELLO: &str = "02 00 00 56 03 03 a6 af 06 a4 12 18 60
    dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e
    d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88
    76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1
    dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";

/// {server} derive secret for handshake "tls13 derived": the hash (of
/// no messages), the HkdfLabel, and the result.
const EMPTY_HASH: &str = "e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24
    27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55";
const DERIVED_INFO: &str = "00 20 0d 74 6c 73 31 33 20 64 65 72 69 76 65 64
    20 e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4
    64 9b 93 4c a4 95 99 1b 78 52 b8 55";
const DERIVED_EARLY: &str = "6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba
    b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba";

/// {server} extract secret "handshake": the IKM (the X25519 shared
/// secret) and the secret.
const SHARED_SECRET: &str = "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d
    35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d";
const HANDSHAKE_SECRET: &str = "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b
    01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac";

/// {server} derive secret "tls13 c hs traffic" / "tls13 s hs traffic":
/// the hash of ClientHello..ServerHello and the two secrets.
const HELLO_HASH: &str = "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed
    d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8";
const CLIENT_HS_TRAFFIC: &str = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e
    2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
const SERVER_HS_TRAFFIC: &str = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d
    37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";

/// {server} derive secret for master "tls13 derived", and extract
/// secret "master".
const DERIVED_HANDSHAKE: &str = "43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25
    90 b5 31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4";
const MASTER_SECRET: &str = "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a
    47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19";

/// {server} derive write traffic keys for handshake data.
const KEY_INFO: &str = "00 10 09 74 6c 73 31 33 20 6b 65 79 00";
const IV_INFO: &str = "00 0c 08 74 6c 73 31 33 20 69 76 00";
const SERVER_HS_KEY: &str = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e
    e4 03 bc";
const SERVER_HS_IV: &str = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";

/// {server} construct an EncryptedExtensions handshake message.
const ENCRYPTED_EXTENSIONS: &str = "08 00 00 24 00 22 00 0a 00 14 00
    12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c
    00 02 40 01 00 00 00 00";

/// {server} construct a Certificate handshake message (445 octets).
const CERTIFICATE: &str = "0b 00 01 b9 00 00 01 b5 00 01 b0 30 82
    01 ac 30 82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a 86 48
    86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03
    72 73 61 30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17
    0d 32 36 30 37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a 06
    03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7
    0d 01 01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f
    82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
    d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c
    1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52
    4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74
    80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93
    ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 03
    01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06
    03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01
    01 0b 05 00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a
    72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea
    e8 f8 a5 8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01
    51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be
    c1 fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b
    1c 3b 84 e0 a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8
    96 12 29 ac 91 87 b4 2b 4d e1 00 00";

/// {server} construct a CertificateVerify handshake message (136
/// octets).
const CERTIFICATE_VERIFY: &str = "0f 00 00 84 08 04 00 80 5a 74 7c
    5d 88 fa 9b d2 e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a
    b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07
    86 53 fa 6b ef 78 0c 5e a2 48 ee aa a7 85 c4 f3 94 ca b6 d3 0b
    be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44
    5c 9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a
    3d a5 04 3e 06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3";

/// {server} calculate finished "tls13 finished": the finished key
/// ("expanded") and the verify_data.
const SERVER_FINISHED_KEY: &str = "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85
    c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8";
const SERVER_VERIFY_DATA: &str = "9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4
    de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18";

/// {server} construct a Finished handshake message.
const SERVER_FINISHED: &str = "14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb
    dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07
    18";

/// {server} send handshake record: EncryptedExtensions..Finished under
/// the server handshake keys (complete record, 679 octets).
const SERVER_FLIGHT_RECORD: &str = "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf
    f6 59 4a 07 cc 87 b5 80 23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e df
    78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45
    cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd 05 d2 a3
    89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b
    d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9
    b1 18 3e f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf
    51 42 73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d
    2e d6 5b 0e 3c dd 0c ba e8 bf 2d 0b 22 78 12 cb b3 60 98 72 55
    cc 74 41 10 c4 53 ba a4 fc d6 10 92 8d 80 98 10 e4 b7 ed 1a 8f
    d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70 a2 55 9c 09 ea d6
    86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac
    66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea
    52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e
    a5 e2 2f 44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6
    54 0c 84 83 8d 89 f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb
    31 7b 66 d9 02 f4 f2 92 a3 6a c1 b6 39 c6 37 ce 34 31 17 b6 59
    62 22 45 31 7b 49 ee da 0c 62 58 f1 00 d7 d9 61 ff b1 38 64 7e
    92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e 1b 7a 6c 71 78 af
    36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84 c8 b0 37
    8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c
    f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88
    2b d8 9f c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80
    f8 5d f8 81 ed be 5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69
    18 a3 96 fa 48 a1 81 d6 b6 fa 4f 9d 62 d5 13 af bb 99 2f 2b 99
    2f 67 f8 af e6 7f 76 91 3f a3 88 cb 56 30 c8 ca 01 e0 c6 5d 11
    c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51
    56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38 eb ba 42
    f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f
    60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd
    d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af
    93 98 28 fd 4a e3 79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da
    bf 02 53 fe 51 75 be 89 8e 75 0e dc 53 37 0d 2b";

/// {server} derive secret "tls13 c ap traffic" / "tls13 s ap traffic":
/// the hash of ClientHello..server Finished and the two secrets; and
/// {server} derive secret "tls13 exp master" over the same hash.
const FINISHED_HASH: &str = "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a
    00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13";
const CLIENT_AP_TRAFFIC: &str = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce
    65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
const SERVER_AP_TRAFFIC: &str = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9
    50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
const EXPORTER_MASTER: &str = "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67
    92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50";

/// {server} derive write traffic keys for application data.
const SERVER_AP_KEY: &str = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac
    92 e3 56";
const SERVER_AP_IV: &str = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";

/// {server} derive read traffic keys for handshake data.
const CLIENT_HS_KEY: &str = "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50
    25 8d 01";
const CLIENT_HS_IV: &str = "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f";

/// {client} calculate finished "tls13 finished".
const CLIENT_FINISHED_KEY: &str = "b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d
    6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4";
const CLIENT_VERIFY_DATA: &str = "a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1
    1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61";

/// {client} construct a Finished handshake message.
const CLIENT_FINISHED: &str = "14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a
    c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce
    61";

/// {client} send handshake record: the client Finished under the client
/// handshake keys (complete record, 58 octets).
const CLIENT_FINISHED_RECORD: &str = "17 03 03 00 35 75 ec 4d c2 38 cc e6
    0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc 44
    d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7
    26 c4 05 46";

/// {client} derive write traffic keys for application data.
const CLIENT_AP_KEY: &str = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6
    3f 50 51";
const CLIENT_AP_IV: &str = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";

/// {server} derive secret "tls13 res master": the hash of
/// ClientHello..client Finished and the secret; {server} generate
/// resumption secret "tls13 resumption" with the ticket nonce 00 00.
const CLIENT_FINISHED_HASH: &str = "20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26
    84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d";
const RESUMPTION_MASTER: &str = "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41
    b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c";
const RESUMPTION_PSK: &str = "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c
    a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3";

/// {server} construct a NewSessionTicket handshake message (205
/// octets).
const NEW_SESSION_TICKET: &str = "04 00 00 c9 00 00 00 1e fa d6 aa
    c5 02 00 00 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00
    00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c
    49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11
    72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28
    27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37 25
    a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c
    5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6
    17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50
    5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00
    04 00 00 04 00";

/// {server} send handshake record: the NewSessionTicket, the first
/// record under the server application keys (227 octets).
const NEW_SESSION_TICKET_RECORD: &str = "17 03 03 00 de 3a 6b 8f 90 41 4a 97
    d6 95 9c 34 87 68 0d e5 13 4a 2b 24 0e 6c ff ac 11 6e 95 d4 1d
    6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a 01 59 40 25 2f 55
    71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1 70 ad 3c
    73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0
    9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13
    06 46 15 13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84
    00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86
    51 9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02
    3e 70 e9 52 ca 49 fe 51 37 12 1c 74 bc 26 97 68 7e 24 87 46 d6
    df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b
    f1 59 85 68 4f";

/// {client} send application_data record: 50 octets, 00 01 .. 31, under
/// the client application keys (72 octets).
const CLIENT_DATA_RECORD: &str = "17 03 03 00 43 a2 3f 70 54 b6 2c 94
    d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f 2b
    98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62
    92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4";

/// {server} send application_data record: the same 50 octets back, the
/// server's second application record (72 octets).
const SERVER_DATA_RECORD: &str = "17 03 03 00 43 2e 93 7e 11 ef 4a c7
    40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36 e3
    0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5
    f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d";

/// {client} send alert record / {server} send alert record:
/// close_notify (24 octets each).
const CLIENT_ALERT_RECORD: &str = "17 03 03 00 13 c9 87 27 60 65 56 66
    b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3";
const SERVER_ALERT_RECORD: &str = "17 03 03 00 13 b5 8f d6 71 66 eb f5
    99 d2 47 20 cf be 7e fa 7a 88 64 a9";

// RFC 8439 §2.8.2, the ChaCha20-Poly1305 AEAD example.
const RFC8439_KEY: &str = "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
    90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f";
const RFC8439_NONCE: &str = "07 00 00 00 40 41 42 43 44 45 46 47";
const RFC8439_AAD: &str = "50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7";
const RFC8439_PLAINTEXT: &[u8] = b"Ladies and Gentlemen of the class of '99: \
    If I could offer you only one tip for the future, sunscreen would be it.";
const RFC8439_CIPHERTEXT: &str = "d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2
    a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
    3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b
    1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
    92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58
    fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
    3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b
    61 16";
const RFC8439_TAG: &str = "1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91";

// ---------------------------------------------------------------------
// Helpers.

/// Bytes from hex digits, whitespace ignored.
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(
        digits.len().is_multiple_of(2),
        "odd number of hex digits in {s:?}"
    );
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("ASCII");
            u8::from_str_radix(text, 16).unwrap_or_else(|_| panic!("not hex: {text:?}"))
        })
        .collect()
}

/// The transcript hash of `messages` (each hex), with our `Transcript`.
fn transcript(hash: Hash, messages: &[&str]) -> Transcript {
    let mut t = Transcript::new(hash);
    for m in messages {
        t.update(&hex(m));
    }
    t
}

/// The messages of ClientHello..ServerHello, ..CertificateVerify,
/// ..server Finished and ..client Finished.
const TO_SERVER_HELLO: &[&str] = &[CLIENT_HELLO, SERVER_HELLO];
const TO_CERTIFICATE_VERIFY: &[&str] = &[
    CLIENT_HELLO,
    SERVER_HELLO,
    ENCRYPTED_EXTENSIONS,
    CERTIFICATE,
    CERTIFICATE_VERIFY,
];
const TO_SERVER_FINISHED: &[&str] = &[
    CLIENT_HELLO,
    SERVER_HELLO,
    ENCRYPTED_EXTENSIONS,
    CERTIFICATE,
    CERTIFICATE_VERIFY,
    SERVER_FINISHED,
];
const TO_CLIENT_FINISHED: &[&str] = &[
    CLIENT_HELLO,
    SERVER_HELLO,
    ENCRYPTED_EXTENSIONS,
    CERTIFICATE,
    CERTIFICATE_VERIFY,
    SERVER_FINISHED,
    CLIENT_FINISHED,
];

/// The four traffic secrets of the trace, derived by our `Schedule` from
/// the RFC's shared secret and messages: (client hs, server hs, client
/// ap, server ap).
fn rfc_traffic_secrets() -> (Secret, Secret, Secret, Secret) {
    let mut schedule = Schedule::handshake(Hash::Sha256, &hex(SHARED_SECRET));
    let hello = transcript(Hash::Sha256, TO_SERVER_HELLO).current();
    let (client_hs, server_hs) = schedule.traffic(b"hs", &hello);
    schedule.to_master();
    let finished = transcript(Hash::Sha256, TO_SERVER_FINISHED).current();
    let (client_ap, server_ap) = schedule.traffic(b"ap", &finished);
    (client_hs, server_hs, client_ap, server_ap)
}

/// `plaintext` sealed as one record of `kind` by `keys`.
fn seal(keys: &mut Keys, plaintext: &[u8], kind: u8) -> Vec<u8> {
    let mut buf = vec![0u8; HEADER_BYTES + plaintext.len() + OVERHEAD_BYTES];
    buf[HEADER_BYTES..HEADER_BYTES + plaintext.len()].copy_from_slice(plaintext);
    let n = keys.seal(&mut buf, plaintext.len(), kind);
    assert_eq!(n, buf.len());
    buf
}

/// The record `rec` opened by `keys`: its content type and plaintext.
fn open(keys: &mut Keys, rec: &[u8]) -> Result<(u8, Vec<u8>), Alert> {
    let mut buf = rec.to_vec();
    let (kind, len) = keys.open(&mut buf)?;
    Ok((kind, buf[HEADER_BYTES..HEADER_BYTES + len].to_vec()))
}

// The oracle: RFC 8446 §7.1 written out again from RFC 5869 HKDF, with
// none of `schedule.rs`.

/// The `HkdfLabel` structure (§7.1), byte by byte.
fn hkdf_label(label: &str, context: &[u8], len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = Vec::new();
    info.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
    info.push(u8::try_from(full.len()).unwrap());
    info.extend_from_slice(full.as_bytes());
    info.push(u8::try_from(context.len()).unwrap());
    info.extend_from_slice(context);
    info
}

fn oracle_extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha256 => Hkdf::<Sha256>::extract(Some(salt), ikm).0.to_vec(),
        Hash::Sha384 => Hkdf::<Sha384>::extract(Some(salt), ikm).0.to_vec(),
    }
}

fn oracle_expand_label(
    hash: Hash,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let info = hkdf_label(label, context, len);
    let mut out = vec![0u8; len];
    match hash {
        Hash::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .unwrap()
            .expand(&info, &mut out),
        Hash::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .unwrap()
            .expand(&info, &mut out),
    }
    .unwrap();
    out
}

fn oracle_hash(hash: Hash, data: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha256 => Sha256::digest(data).to_vec(),
        Hash::Sha384 => Sha384::digest(data).to_vec(),
    }
}

/// Derive-Secret(secret, label, messages).
fn oracle_derive(hash: Hash, secret: &[u8], label: &str, messages: &[u8]) -> Vec<u8> {
    let context = oracle_hash(hash, messages);
    oracle_expand_label(hash, secret, label, &context, hash.len())
}

fn oracle_hmac(hash: Hash, key: &[u8], data: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha256 => {
            let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Hash::Sha384 => {
            let mut mac = <Hmac<Sha384> as hmac::KeyInit>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

/// A protected record built straight from the AEAD crates (§5.2, §5.3):
/// `content | kind | padding zeros`, nonce = IV xor sequence number,
/// the header as additional data.
fn oracle_seal(
    suite: Suite,
    key: &[u8],
    iv: &[u8],
    seq: u64,
    content: &[u8],
    kind: u8,
    padding: usize,
) -> Vec<u8> {
    let mut inner = content.to_vec();
    inner.push(kind);
    inner.resize(inner.len() + padding, 0);
    let length = u16::try_from(inner.len() + TAG_BYTES).unwrap();
    let mut header = vec![APPLICATION_DATA, 3, 3];
    header.extend_from_slice(&length.to_be_bytes());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(iv);
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let tag: [u8; 16] = match suite {
        Suite::Aes128Gcm => Aes128Gcm::new_from_slice(key)
            .unwrap()
            .encrypt_in_place_detached(&nonce.into(), &header, &mut inner)
            .unwrap()
            .into(),
        Suite::Aes256Gcm => Aes256Gcm::new_from_slice(key)
            .unwrap()
            .encrypt_in_place_detached(&nonce.into(), &header, &mut inner)
            .unwrap()
            .into(),
        Suite::ChaCha20Poly1305 => ChaCha20Poly1305::new_from_slice(key)
            .unwrap()
            .encrypt_inout_detached(&nonce.into(), &header, inner.as_mut_slice().into())
            .unwrap()
            .into(),
    };
    let mut rec = header;
    rec.extend_from_slice(&inner);
    rec.extend_from_slice(&tag);
    rec
}

// ---------------------------------------------------------------------
// 1. The key schedule.

#[test]
fn shared_secret_is_x25519_of_the_trace_keys() {
    let client: [u8; 32] = hex(CLIENT_PRIVATE).try_into().unwrap();
    let server: [u8; 32] = hex(SERVER_PRIVATE).try_into().unwrap();
    let client = x25519_dalek::StaticSecret::from(client);
    let server = x25519_dalek::StaticSecret::from(server);
    let client_public = x25519_dalek::PublicKey::from(&client);
    let server_public = x25519_dalek::PublicKey::from(&server);
    assert_eq!(client_public.as_bytes().to_vec(), hex(CLIENT_PUBLIC));
    assert_eq!(server_public.as_bytes().to_vec(), hex(SERVER_PUBLIC));
    let shared = server.diffie_hellman(&client_public);
    assert_eq!(shared.as_bytes().to_vec(), hex(SHARED_SECRET));
    assert_eq!(
        client.diffie_hellman(&server_public).as_bytes(),
        shared.as_bytes()
    );
}

#[test]
fn messages_are_consistent_with_their_headers() {
    for (message, kind) in [
        (CLIENT_HELLO, 1),
        (SERVER_HELLO, 2),
        (ENCRYPTED_EXTENSIONS, 8),
        (CERTIFICATE, 11),
        (CERTIFICATE_VERIFY, 15),
        (SERVER_FINISHED, 20),
        (CLIENT_FINISHED, 20),
        (NEW_SESSION_TICKET, 4),
    ] {
        let m = hex(message);
        assert_eq!(m[0], kind);
        let len = usize::from(m[1]) << 16 | usize::from(m[2]) << 8 | usize::from(m[3]);
        assert_eq!(len + 4, m.len(), "message of type {kind}");
    }
    assert_eq!(hex(SERVER_FINISHED)[4..], hex(SERVER_VERIFY_DATA)[..]);
    assert_eq!(hex(CLIENT_FINISHED)[4..], hex(CLIENT_VERIFY_DATA)[..]);
}

#[test]
fn transcript_hashes() {
    let h = Hash::Sha256;
    assert_eq!(Transcript::new(h).current().as_bytes(), hex(EMPTY_HASH));
    let hello = transcript(h, TO_SERVER_HELLO);
    assert_eq!(hello.hash(), h);
    assert_eq!(hello.current().as_bytes(), hex(HELLO_HASH));
    // `current` leaves the transcript running.
    let mut running = hello.clone();
    for m in &TO_SERVER_FINISHED[2..] {
        running.update(&hex(m));
    }
    assert_eq!(running.current().as_bytes(), hex(FINISHED_HASH));
    assert_eq!(
        transcript(h, TO_SERVER_FINISHED).current().as_bytes(),
        hex(FINISHED_HASH)
    );
    assert_eq!(
        transcript(h, TO_CLIENT_FINISHED).current().as_bytes(),
        hex(CLIENT_FINISHED_HASH)
    );
}

/// Each step of §7.1 through `extract` and `derive_secret`, including the
/// secrets `Schedule` keeps to itself.
#[test]
fn key_schedule_step_by_step() {
    let h = Hash::Sha256;
    let zero = Secret::zero(h);
    assert_eq!(zero.as_bytes(), [0u8; 32]);
    let early = extract(h, zero.as_bytes(), zero.as_bytes());
    assert_eq!(early.as_bytes(), hex(EARLY_SECRET));

    let empty = Transcript::new(h).current();
    let derived = derive_secret(h, early.as_bytes(), b"derived", &empty);
    assert_eq!(derived.as_bytes(), hex(DERIVED_EARLY));

    let handshake = extract(h, derived.as_bytes(), &hex(SHARED_SECRET));
    assert_eq!(handshake.as_bytes(), hex(HANDSHAKE_SECRET));

    let hello = transcript(h, TO_SERVER_HELLO).current();
    let c_hs = derive_secret(h, handshake.as_bytes(), b"c hs traffic", &hello);
    let s_hs = derive_secret(h, handshake.as_bytes(), b"s hs traffic", &hello);
    assert_eq!(c_hs.as_bytes(), hex(CLIENT_HS_TRAFFIC));
    assert_eq!(s_hs.as_bytes(), hex(SERVER_HS_TRAFFIC));

    let derived = derive_secret(h, handshake.as_bytes(), b"derived", &empty);
    assert_eq!(derived.as_bytes(), hex(DERIVED_HANDSHAKE));
    let master = extract(h, derived.as_bytes(), zero.as_bytes());
    assert_eq!(master.as_bytes(), hex(MASTER_SECRET));

    let finished = transcript(h, TO_SERVER_FINISHED).current();
    let c_ap = derive_secret(h, master.as_bytes(), b"c ap traffic", &finished);
    let s_ap = derive_secret(h, master.as_bytes(), b"s ap traffic", &finished);
    let exporter = derive_secret(h, master.as_bytes(), b"exp master", &finished);
    assert_eq!(c_ap.as_bytes(), hex(CLIENT_AP_TRAFFIC));
    assert_eq!(s_ap.as_bytes(), hex(SERVER_AP_TRAFFIC));
    assert_eq!(exporter.as_bytes(), hex(EXPORTER_MASTER));

    let all = transcript(h, TO_CLIENT_FINISHED).current();
    let resumption = derive_secret(h, master.as_bytes(), b"res master", &all);
    assert_eq!(resumption.as_bytes(), hex(RESUMPTION_MASTER));
    let psk = expand_secret(h, resumption.as_bytes(), b"resumption", &[0, 0]);
    assert_eq!(psk.as_bytes(), hex(RESUMPTION_PSK));
}

/// The same secrets through `Schedule`, as `server.rs` derives them.
#[test]
fn schedule_matches_the_trace() {
    let (client_hs, server_hs, client_ap, server_ap) = rfc_traffic_secrets();
    assert_eq!(client_hs.as_bytes(), hex(CLIENT_HS_TRAFFIC));
    assert_eq!(server_hs.as_bytes(), hex(SERVER_HS_TRAFFIC));
    assert_eq!(client_ap.as_bytes(), hex(CLIENT_AP_TRAFFIC));
    assert_eq!(server_ap.as_bytes(), hex(SERVER_AP_TRAFFIC));
}

// ---------------------------------------------------------------------
// 2. Traffic keys and IVs.

#[test]
fn traffic_keys_and_ivs() {
    let (client_hs, server_hs, client_ap, server_ap) = rfc_traffic_secrets();
    for (secret, key, iv) in [
        (&server_hs, SERVER_HS_KEY, SERVER_HS_IV),
        (&client_hs, CLIENT_HS_KEY, CLIENT_HS_IV),
        (&server_ap, SERVER_AP_KEY, SERVER_AP_IV),
        (&client_ap, CLIENT_AP_KEY, CLIENT_AP_IV),
    ] {
        let mut k = [0u8; 16];
        let mut i = [0u8; 12];
        expand_label(Hash::Sha256, secret.as_bytes(), b"key", b"", &mut k);
        expand_label(Hash::Sha256, secret.as_bytes(), b"iv", b"", &mut i);
        assert_eq!(k.to_vec(), hex(key));
        assert_eq!(i.to_vec(), hex(iv));
    }
}

// ---------------------------------------------------------------------
// 3. Finished.

#[test]
fn finished_verify_data() {
    let h = Hash::Sha256;
    let (client_hs, server_hs, _, _) = rfc_traffic_secrets();

    let key = expand_secret(h, server_hs.as_bytes(), b"finished", b"");
    assert_eq!(key.as_bytes(), hex(SERVER_FINISHED_KEY));
    let through_cv = transcript(h, TO_CERTIFICATE_VERIFY).current();
    let verify = schedule::finished(h, &server_hs, &through_cv);
    assert_eq!(verify.as_bytes(), hex(SERVER_VERIFY_DATA));

    // The client's, over the transcript through the server Finished: what
    // `Session` expects back.
    let key = expand_secret(h, client_hs.as_bytes(), b"finished", b"");
    assert_eq!(key.as_bytes(), hex(CLIENT_FINISHED_KEY));
    let through_sf = transcript(h, TO_SERVER_FINISHED).current();
    let verify = schedule::finished(h, &client_hs, &through_sf);
    assert_eq!(verify.as_bytes(), hex(CLIENT_VERIFY_DATA));

    // `hmac` alone, as the Finished MAC.
    let mac = schedule::hmac(h, &hex(SERVER_FINISHED_KEY), through_cv.as_bytes());
    assert_eq!(mac.as_bytes(), hex(SERVER_VERIFY_DATA));
}

// ---------------------------------------------------------------------
// 4. Record protection.

/// EncryptedExtensions..Finished: the plaintext of the server's
/// protected handshake record (657 octets).
fn server_flight() -> Vec<u8> {
    TO_SERVER_FINISHED[2..]
        .iter()
        .flat_map(|m| hex(m))
        .collect()
}

#[test]
fn record_headers() {
    let sh_record = {
        let mut r = record::header(HANDSHAKE, 90).to_vec();
        r.extend_from_slice(&hex(SERVER_HELLO));
        r
    };
    assert_eq!(sh_record[..5], [0x16, 3, 3, 0, 0x5a]);
    assert_eq!(record::peek(&sh_record), Some(Ok((HANDSHAKE, 95))));
    for (rec, len) in [
        (SERVER_FLIGHT_RECORD, 679),
        (CLIENT_FINISHED_RECORD, 58),
        (NEW_SESSION_TICKET_RECORD, 227),
        (CLIENT_DATA_RECORD, 72),
        (SERVER_DATA_RECORD, 72),
        (CLIENT_ALERT_RECORD, 24),
        (SERVER_ALERT_RECORD, 24),
    ] {
        let rec = hex(rec);
        assert_eq!(rec.len(), len);
        assert_eq!(record::peek(&rec), Some(Ok((APPLICATION_DATA, len))));
        assert_eq!(record::peek(&rec[..5]), Some(Ok((APPLICATION_DATA, len))));
        assert_eq!(rec[..5], record::header(APPLICATION_DATA, len - 5));
    }
    assert_eq!(record::peek(&[0x17, 3, 3, 0]), None);
}

#[test]
fn server_handshake_record_seals_byte_for_byte() {
    let (_, server_hs, _, _) = rfc_traffic_secrets();
    let flight = server_flight();
    assert_eq!(flight.len(), 657);
    let mut keys = Keys::new(Suite::Aes128Gcm, &server_hs);
    assert_eq!(keys.records(), 0);
    let rec = seal(&mut keys, &flight, HANDSHAKE);
    assert_eq!(rec, hex(SERVER_FLIGHT_RECORD));
    assert_eq!(keys.records(), 1);

    // And back, as the client would.
    let mut keys = Keys::new(Suite::Aes128Gcm, &server_hs);
    assert_eq!(
        open(&mut keys, &hex(SERVER_FLIGHT_RECORD)),
        Ok((HANDSHAKE, flight))
    );
    assert_eq!(keys.records(), 1);
}

#[test]
fn client_finished_record_opens() {
    let (client_hs, _, _, _) = rfc_traffic_secrets();
    let mut keys = Keys::new(Suite::Aes128Gcm, &client_hs);
    assert_eq!(
        open(&mut keys, &hex(CLIENT_FINISHED_RECORD)),
        Ok((HANDSHAKE, hex(CLIENT_FINISHED)))
    );
    let mut keys = Keys::new(Suite::Aes128Gcm, &client_hs);
    assert_eq!(
        seal(&mut keys, &hex(CLIENT_FINISHED), HANDSHAKE),
        hex(CLIENT_FINISHED_RECORD)
    );
}

/// The server's application records in order: NewSessionTicket (sequence
/// 0), the data (1), close_notify (2); the client's: data (0),
/// close_notify (1).
#[test]
fn application_records_open_and_seal_in_sequence() {
    let (_, _, client_ap, server_ap) = rfc_traffic_secrets();
    let data: Vec<u8> = (0..50).collect();
    let server = [
        (
            NEW_SESSION_TICKET_RECORD,
            HANDSHAKE,
            hex(NEW_SESSION_TICKET),
        ),
        (SERVER_DATA_RECORD, APPLICATION_DATA, data.clone()),
        (SERVER_ALERT_RECORD, ALERT, vec![1, 0]),
    ];
    let client = [
        (CLIENT_DATA_RECORD, APPLICATION_DATA, data.clone()),
        (CLIENT_ALERT_RECORD, ALERT, vec![1, 0]),
    ];
    for (secret, records) in [(&server_ap, &server[..]), (&client_ap, &client[..])] {
        let mut opener = Keys::new(Suite::Aes128Gcm, secret);
        let mut sealer = Keys::new(Suite::Aes128Gcm, secret);
        for (n, (rec, kind, text)) in records.iter().enumerate() {
            let rec = hex(rec);
            assert_eq!(open(&mut opener, &rec), Ok((*kind, text.clone())), "{n}");
            assert_eq!(seal(&mut sealer, text, *kind), rec, "{n}");
            assert_eq!(opener.records(), n as u64 + 1);
            assert_eq!(sealer.records(), n as u64 + 1);
        }
    }
}

/// Out of sequence, a record does not open; the failure leaves the
/// sequence number alone.
#[test]
fn records_open_only_at_their_sequence_number() {
    let (_, _, _, server_ap) = rfc_traffic_secrets();
    let mut keys = Keys::new(Suite::Aes128Gcm, &server_ap);
    let data = hex(SERVER_DATA_RECORD);
    assert_eq!(open(&mut keys, &data), Err(Alert::BadRecordMac));
    assert_eq!(keys.records(), 0);
    let ticket = hex(NEW_SESSION_TICKET_RECORD);
    assert_eq!(open(&mut keys, &ticket).map(|r| r.0), Ok(HANDSHAKE));
    assert_eq!(open(&mut keys, &data).map(|r| r.0), Ok(APPLICATION_DATA));
    // Wrong direction's keys.
    let (client_hs, _, _, _) = rfc_traffic_secrets();
    let mut keys = Keys::new(Suite::Aes128Gcm, &client_hs);
    assert_eq!(
        open(&mut keys, &hex(SERVER_FLIGHT_RECORD)),
        Err(Alert::BadRecordMac)
    );
}

// ---------------------------------------------------------------------
// 5. The ClientHello.

#[test]
fn client_hello_parses() {
    let message = hex(CLIENT_HELLO);
    let hello = hello::parse(&message[4..]).expect("the RFC's ClientHello");
    assert_eq!(hello.suite, Some(Suite::Aes128Gcm));
    assert_eq!(hello.x25519, Some(&hex(CLIENT_PUBLIC)[..]));
    assert_eq!(hello.p256, None);
    assert!(hello.groups_x25519);
    assert!(hello.groups_p256);
    assert!(hello.signs_p256);
    assert_eq!(hello.alpn, Alpn::Absent);
    assert!(hello.session_id.is_empty());
    assert!(!hello.early_data);
}

// ---------------------------------------------------------------------
// 6. KeyUpdate, and the oracle itself.

/// The hand-built `HkdfLabel` is the RFC's `info`, so the oracle is an
/// oracle.
#[test]
fn oracle_reproduces_the_trace() {
    let h = Hash::Sha256;
    assert_eq!(hkdf_label("key", b"", 16), hex(KEY_INFO));
    assert_eq!(hkdf_label("iv", b"", 12), hex(IV_INFO));
    assert_eq!(
        hkdf_label("derived", &hex(EMPTY_HASH), 32),
        hex(DERIVED_INFO)
    );
    let early = oracle_extract(h, &[0; 32], &[0; 32]);
    assert_eq!(early, hex(EARLY_SECRET));
    let derived = oracle_derive(h, &early, "derived", b"");
    let handshake = oracle_extract(h, &derived, &hex(SHARED_SECRET));
    assert_eq!(handshake, hex(HANDSHAKE_SECRET));
    let messages: Vec<u8> = TO_SERVER_HELLO.iter().flat_map(|m| hex(m)).collect();
    let s_hs = oracle_derive(h, &handshake, "s hs traffic", &messages);
    assert_eq!(s_hs, hex(SERVER_HS_TRAFFIC));
    assert_eq!(
        oracle_expand_label(h, &s_hs, "key", b"", 16),
        hex(SERVER_HS_KEY)
    );
    let key = oracle_expand_label(h, &s_hs, "finished", b"", 32);
    let messages: Vec<u8> = TO_CERTIFICATE_VERIFY.iter().flat_map(|m| hex(m)).collect();
    assert_eq!(
        oracle_hmac(h, &key, &oracle_hash(h, &messages)),
        hex(SERVER_VERIFY_DATA)
    );
    let rec = oracle_seal(
        Suite::Aes128Gcm,
        &hex(SERVER_HS_KEY),
        &hex(SERVER_HS_IV),
        0,
        &server_flight(),
        HANDSHAKE,
        0,
    );
    assert_eq!(rec, hex(SERVER_FLIGHT_RECORD));
}

/// RFC 8448 has no KeyUpdate: `next_traffic` against the oracle's
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length), three
/// generations deep from the RFC's application secrets.
#[test]
fn next_traffic_sha256() {
    let h = Hash::Sha256;
    assert_eq!(
        hkdf_label("traffic upd", b"", 32),
        hex("00 20 11 74 6c 73 31 33 20 74 72 61 66 66 69 63 20 75 70 64 00")
    );
    let (_, _, client_ap, server_ap) = rfc_traffic_secrets();
    for start in [client_ap, server_ap] {
        let mut ours = start;
        let mut theirs = ours.as_bytes().to_vec();
        for _ in 0..3 {
            ours = schedule::next_traffic(h, &ours);
            theirs = oracle_expand_label(h, &theirs, "traffic upd", b"", 32);
            assert_eq!(ours.as_bytes(), theirs);
        }
        // The keys follow the secret.
        let mut keys = Keys::new(Suite::Aes128Gcm, &ours);
        let key = oracle_expand_label(h, &theirs, "key", b"", 16);
        let iv = oracle_expand_label(h, &theirs, "iv", b"", 12);
        assert_eq!(
            seal(&mut keys, b"after update", APPLICATION_DATA),
            oracle_seal(Suite::Aes128Gcm, &key, &iv, 0, b"after update", 23, 0)
        );
    }
}

// ---------------------------------------------------------------------
// 7. SHA-384.

/// A whole TLS_AES_256_GCM_SHA384 handshake's secrets through our code
/// against the oracle (RFC 8448's messages and shared secret, hashed
/// with SHA-384; there is no published SHA-384 trace).
#[test]
fn sha384_schedule_matches_the_oracle() {
    let h = Hash::Sha384;
    let suite = Suite::Aes256Gcm;
    assert_eq!(suite.hash(), h);
    assert_eq!(h.len(), 48);
    let shared = hex(SHARED_SECRET);
    let hello: Vec<u8> = TO_SERVER_HELLO.iter().flat_map(|m| hex(m)).collect();
    let through_cv: Vec<u8> = TO_CERTIFICATE_VERIFY.iter().flat_map(|m| hex(m)).collect();
    let through_sf: Vec<u8> = TO_SERVER_FINISHED.iter().flat_map(|m| hex(m)).collect();

    // The oracle.
    let early = oracle_extract(h, &[0; 48], &[0; 48]);
    let derived = oracle_derive(h, &early, "derived", b"");
    let handshake = oracle_extract(h, &derived, &shared);
    let c_hs = oracle_derive(h, &handshake, "c hs traffic", &hello);
    let s_hs = oracle_derive(h, &handshake, "s hs traffic", &hello);
    let derived = oracle_derive(h, &handshake, "derived", b"");
    let master = oracle_extract(h, &derived, &[0; 48]);
    let c_ap = oracle_derive(h, &master, "c ap traffic", &through_sf);
    let s_ap = oracle_derive(h, &master, "s ap traffic", &through_sf);
    let s_finished = oracle_hmac(
        h,
        &oracle_expand_label(h, &s_hs, "finished", b"", 48),
        &oracle_hash(h, &through_cv),
    );
    let c_finished = oracle_hmac(
        h,
        &oracle_expand_label(h, &c_hs, "finished", b"", 48),
        &oracle_hash(h, &through_sf),
    );

    // Ours, step by step ...
    let zero = Secret::zero(h);
    assert_eq!(zero.as_bytes(), [0u8; 48]);
    let ours_early = extract(h, zero.as_bytes(), zero.as_bytes());
    assert_eq!(ours_early.as_bytes(), early);
    let empty = Transcript::new(h).current();
    assert_eq!(empty.as_bytes(), oracle_hash(h, b""));
    let ours_derived = derive_secret(h, ours_early.as_bytes(), b"derived", &empty);
    let ours_handshake = extract(h, ours_derived.as_bytes(), &shared);
    assert_eq!(ours_handshake.as_bytes(), handshake);
    let ours_derived = derive_secret(h, ours_handshake.as_bytes(), b"derived", &empty);
    assert_eq!(ours_derived.as_bytes(), derived);
    let ours_master = extract(h, ours_derived.as_bytes(), zero.as_bytes());
    assert_eq!(ours_master.as_bytes(), master);

    // ... and through `Schedule`, as the server runs it.
    let t_hello = transcript(h, TO_SERVER_HELLO).current();
    assert_eq!(t_hello.as_bytes(), oracle_hash(h, &hello));
    let mut schedule = Schedule::handshake(h, &shared);
    assert_eq!(schedule.hash, h);
    let (client_hs, server_hs) = schedule.traffic(b"hs", &t_hello);
    assert_eq!(client_hs.as_bytes(), c_hs);
    assert_eq!(server_hs.as_bytes(), s_hs);
    let t_cv = transcript(h, TO_CERTIFICATE_VERIFY).current();
    let t_sf = transcript(h, TO_SERVER_FINISHED).current();
    assert_eq!(
        schedule::finished(h, &server_hs, &t_cv).as_bytes(),
        s_finished
    );
    assert_eq!(
        schedule::finished(h, &client_hs, &t_sf).as_bytes(),
        c_finished
    );
    schedule.to_master();
    let (client_ap, server_ap) = schedule.traffic(b"ap", &t_sf);
    assert_eq!(client_ap.as_bytes(), c_ap);
    assert_eq!(server_ap.as_bytes(), s_ap);

    // KeyUpdate with SHA-384.
    let next = schedule::next_traffic(h, &server_ap);
    let next_oracle = oracle_expand_label(h, &s_ap, "traffic upd", b"", 48);
    assert_eq!(next.as_bytes(), next_oracle);
    assert_eq!(
        hkdf_label("traffic upd", b"", 48)[..2],
        [0, 48],
        "the length in the label is SHA-384's"
    );

    // AES-256-GCM records under the SHA-384 secrets: a 32-byte key.
    for (secret, raw) in [
        (&server_hs, &s_hs),
        (&server_ap, &s_ap),
        (&next, &next_oracle),
    ] {
        let key = oracle_expand_label(h, raw, "key", b"", 32);
        let iv = oracle_expand_label(h, raw, "iv", b"", 12);
        let mut sealer = Keys::new(suite, secret);
        let mut opener = Keys::new(suite, secret);
        for seq in 0..3 {
            let text = server_flight();
            let rec = seal(&mut sealer, &text, HANDSHAKE);
            assert_eq!(rec, oracle_seal(suite, &key, &iv, seq, &text, HANDSHAKE, 0));
            assert_eq!(open(&mut opener, &rec), Ok((HANDSHAKE, text)));
        }
    }
}

// ---------------------------------------------------------------------
// 8. ChaCha20-Poly1305 and the record layer's edges.

/// The ChaCha20-Poly1305 oracle on RFC 8439 §2.8.2's example.
#[test]
fn chacha20poly1305_rfc8439_example() {
    let cipher = ChaCha20Poly1305::new_from_slice(&hex(RFC8439_KEY)).unwrap();
    let nonce: [u8; 12] = hex(RFC8439_NONCE).try_into().unwrap();
    let mut text = RFC8439_PLAINTEXT.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &hex(RFC8439_AAD), text.as_mut_slice().into())
        .unwrap();
    assert_eq!(text, hex(RFC8439_CIPHERTEXT));
    assert_eq!(tag.to_vec(), hex(RFC8439_TAG));
}

/// The key and IV of a ChaCha20-Poly1305 suite from a traffic secret, by
/// the oracle.
fn chacha_key_iv(secret: &Secret) -> (Vec<u8>, Vec<u8>) {
    let h = Hash::Sha256;
    (
        oracle_expand_label(h, secret.as_bytes(), "key", b"", 32),
        oracle_expand_label(h, secret.as_bytes(), "iv", b"", 12),
    )
}

/// `Keys` with TLS_CHACHA20_POLY1305_SHA256 against the oracle for 300
/// records, so the sequence number carries into a second byte of the
/// nonce; each opens in turn.
#[test]
fn chacha20poly1305_records_match_the_oracle() {
    let suite = Suite::ChaCha20Poly1305;
    assert_eq!(suite.hash(), Hash::Sha256);
    let (_, _, _, secret) = rfc_traffic_secrets();
    let (key, iv) = chacha_key_iv(&secret);
    let mut sealer = Keys::new(suite, &secret);
    let mut opener = Keys::new(suite, &secret);
    for seq in 0..300u64 {
        let text: Vec<u8> = (0..seq % 40).map(|b| b as u8 ^ 0x5a).collect();
        let kind = [APPLICATION_DATA, HANDSHAKE, ALERT][(seq % 3) as usize];
        let rec = seal(&mut sealer, &text, kind);
        assert_eq!(
            rec,
            oracle_seal(suite, &key, &iv, seq, &text, kind, 0),
            "{seq}"
        );
        assert_eq!(open(&mut opener, &rec), Ok((kind, text)), "{seq}");
    }
    assert_eq!(sealer.records(), 300);
    assert_eq!(opener.records(), 300);
}

/// Flipping any one bit of any byte, header included, makes a record fail
/// to open, for every suite.
#[test]
fn tampered_records_fail_to_open() {
    let (_, server_hs, _, _) = rfc_traffic_secrets();
    for suite in [Suite::Aes128Gcm, Suite::Aes256Gcm, Suite::ChaCha20Poly1305] {
        let rec = seal(&mut Keys::new(suite, &server_hs), b"GET / HTTP/1.1\r\n", 23);
        let mut opener = Keys::new(suite, &server_hs);
        for at in 0..rec.len() {
            for bit in [0x01, 0x80] {
                let mut bad = rec.clone();
                bad[at] ^= bit;
                assert_eq!(
                    open(&mut opener, &bad),
                    Err(Alert::BadRecordMac),
                    "{suite:?} byte {at}"
                );
            }
        }
        // Cut short, or no room for a tag at all.
        assert_eq!(
            open(&mut opener, &rec[..rec.len() - 1]),
            Err(Alert::BadRecordMac)
        );
        assert_eq!(
            open(&mut opener, &rec[..HEADER_BYTES + TAG_BYTES - 1]),
            Err(Alert::BadRecordMac)
        );
        assert_eq!(open(&mut opener, &rec[..3]), Err(Alert::BadRecordMac));
        // None of that moved the sequence number.
        assert_eq!(opener.records(), 0);
        assert_eq!(
            open(&mut opener, &rec),
            Ok((23, b"GET / HTTP/1.1\r\n".to_vec()))
        );
    }
}

/// Zero padding after the content type is stripped (§5.4); a record of
/// zeros alone has no content type and is an unexpected_message.
#[test]
fn padding_and_missing_content_type() {
    let suite = Suite::ChaCha20Poly1305;
    let (_, _, client_ap, _) = rfc_traffic_secrets();
    let (key, iv) = chacha_key_iv(&client_ap);
    let mut opener = Keys::new(suite, &client_ap);
    let mut seq = 0;
    for (content, padding) in [
        (&b"hello"[..], 1),
        (&b"hello\0\0"[..], 10),
        (&b""[..], 200),
        (&b"\0"[..], 0),
    ] {
        let rec = oracle_seal(suite, &key, &iv, seq, content, 23, padding);
        assert_eq!(open(&mut opener, &rec), Ok((23, content.to_vec())));
        seq += 1;
    }
    // All zeros, padded or not, from the oracle and from `seal`.
    for padding in [0, 5] {
        let rec = oracle_seal(suite, &key, &iv, seq, &[0, 0, 0], 0, padding);
        assert_eq!(open(&mut opener, &rec), Err(Alert::UnexpectedMessage));
        seq += 1;
    }
    let mut sealer = Keys::new(suite, &client_ap);
    let mut opener = Keys::new(suite, &client_ap);
    let rec = seal(&mut sealer, &[], 0);
    assert_eq!(rec.len(), HEADER_BYTES + OVERHEAD_BYTES);
    assert_eq!(open(&mut opener, &rec), Err(Alert::UnexpectedMessage));
}

/// Content of 2^14 bytes opens; one more is a record_overflow (§5.1).
#[test]
fn oversized_plaintext_is_record_overflow() {
    let suite = Suite::Aes128Gcm;
    let (_, _, _, server_ap) = rfc_traffic_secrets();
    let mut sealer = Keys::new(suite, &server_ap);
    let mut opener = Keys::new(suite, &server_ap);
    let full = vec![0x41u8; MAX_PLAINTEXT_BYTES];
    let rec = seal(&mut sealer, &full, APPLICATION_DATA);
    assert_eq!(open(&mut opener, &rec), Ok((APPLICATION_DATA, full)));
    let over = vec![0x41u8; MAX_PLAINTEXT_BYTES + 1];
    let rec = seal(&mut sealer, &over, APPLICATION_DATA);
    assert_eq!(open(&mut opener, &rec), Err(Alert::RecordOverflow));
}
