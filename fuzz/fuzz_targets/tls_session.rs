//! The TLS server state machine (`tls::server::Session`) on arbitrary
//! bytes from a client: the input is cut into records as `net::tls` cuts
//! them (`record::peek`), and each whole record is handed to
//! `read_record` until it answers with an alert. Properties: no panic;
//! what it writes stays inside the send buffer; application data is only
//! ever reported inside the record; once an alert is returned, the
//! alert record itself can be written. Seeds are real ClientHellos
//! (openssl with X25519, with P-256 and ALPN, one that needs a
//! HelloRetryRequest; curl), so the fuzzer starts past the parser.

#![no_main]

use httpd::tls::record::{self, HEADER_BYTES, MAX_RECORD_BYTES};
use httpd::tls::server::{Credentials, Event, Out, Session, fixed_credentials};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn credentials() -> &'static Credentials {
    static CRED: OnceLock<Credentials> = OnceLock::new();
    CRED.get_or_init(fixed_credentials)
}

fuzz_target!(|data: &[u8]| {
    let cred = credentials();
    let mut session = Session::new();
    let mut tx = vec![0u8; MAX_RECORD_BYTES + 512];
    let mut rest = data;
    let mut counter = 0u8;
    let mut entropy = |buf: &mut [u8]| {
        for b in buf {
            counter = counter.wrapping_add(1);
            *b = counter;
        }
        true
    };
    while let Some(Ok((_, len))) = record::peek(rest) {
        let Some(rec) = rest.get(..len) else { break };
        rest = &rest[len..];
        let mut rec = rec.to_vec();
        let mut out = Out {
            buf: &mut tx,
            len: 0,
        };
        let event = session.read_record(&mut rec, cred, &mut entropy, &mut out);
        assert!(out.len <= tx.len());
        match event {
            Ok(Event::Data(n)) => assert!(HEADER_BYTES + n <= len),
            Ok(_) => {}
            Err(alert) => {
                let mut out = Out {
                    buf: &mut tx,
                    len: 0,
                };
                session.alert(alert, &mut out);
                assert!(out.len > 0, "no alert record for {alert:?}");
                break;
            }
        }
    }
});
