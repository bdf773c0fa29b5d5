//! The start-up parsers of HTTPS on arbitrary files: PEM blocks and
//! base64 (`tls::pem`), private keys (`tls::key::load`: PKCS#8, SEC1,
//! encrypted PKCS#8 without a password, so no PBKDF2 runs), certificate
//! chains (`tls::cert::Chain::load`) and the leaf's fields
//! (`tls::cert::leaf`). Properties: no panic, no hang; a chain that loads
//! holds at most `MAX_CERTS` certificates within `MAX_CHAIN_BYTES`.

#![no_main]

use httpd::tls::cert::{self, Chain, MAX_CERTS, MAX_CHAIN_BYTES};
use httpd::tls::key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = key::load(data, None);
    let mut chain = Chain::new();
    if chain.load(data).is_ok() {
        assert!(chain.count() <= MAX_CERTS);
        assert!(chain.certs().map(<[u8]>::len).sum::<usize>() <= MAX_CHAIN_BYTES);
        let _ = cert::leaf(chain.leaf());
    }
    let _ = cert::leaf(data);
});
