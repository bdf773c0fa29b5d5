//! A rustls client that tests/tls.rs drives through its standard streams.
//!
//! `rustls-probe HOST PORT [options]` connects, handshakes and prints one
//! line, then follows commands read from standard input, one a line, and
//! reports what the server sends, one event a line:
//!
//! ```text
//! options   --ca FILE          trust this PEM certificate (else: any
//!                              certificate; the handshake signature is
//!                              still checked)
//!           --name NAME        the server name to send (SNI) and verify
//!                              (default HOST)
//!           --suite NAME       offer this suite (repeatable; default all
//!                              three TLS 1.3 suites), e.g.
//!                              TLS13_AES_128_GCM_SHA256
//!           --group NAME       offer this group (repeatable, in order; a
//!                              key share goes for the first only), e.g.
//!                              X25519, secp256r1, secp384r1
//!           --alpn PROTO       offer this protocol (repeatable)
//!           --tls12            offer TLS 1.2 only
//!           --max-fragment N   records of at most N bytes (32 or more),
//!                              the ClientHello split across several
//!           --no-p256-signatures  accept every signature scheme but
//!                              ecdsa_secp256r1_sha256 (and any certificate)
//!           --hello-only       print `hello HEX` (the ClientHello records)
//!                              and exit, without connecting
//!           --ccs-after-hello N  send the ClientHello followed by N
//!                              ChangeCipherSpec records, then never write
//!                              again; only report how the server ends
//! first     handshake ok version=.. suite=.. group=.. kind=.. alpn=.. certs=N
//!           handshake failed END
//! commands  send HEX           application data
//!           raw HEX            bytes straight onto the socket
//!           flip HEX           application data whose first record has one
//!                              bit flipped in its ciphertext
//!           keyupdate          a KeyUpdate asking for one back
//!           close              close_notify
//!           sequences          print `sequences tx=N rx=M` (records under
//!                              the current keys each way) and stop
//! events    data HEX           plaintext from the server
//!           end END            the connection is over
//! END       clean (close_notify, then EOF) | eof (EOF without it) |
//!           alert:NAME (received) | tls:ERROR | io:ERROR
//! ```

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring::{ALL_CIPHER_SUITES, cipher_suite, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    SupportedCipherSuite,
};

struct Options {
    host: String,
    port: u16,
    ca: Option<String>,
    name: Option<String>,
    suites: Vec<SupportedCipherSuite>,
    groups: Vec<&'static dyn SupportedKxGroup>,
    alpn: Vec<Vec<u8>>,
    tls12: bool,
    max_fragment: Option<usize>,
    no_p256_signatures: bool,
    hello_only: bool,
    ccs_after_hello: Option<usize>,
}

fn usage(why: &str) -> ! {
    eprintln!("rustls-probe: {why}; see the top of tests/rustls-probe/src/main.rs");
    std::process::exit(2)
}

fn parse() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        usage("HOST PORT needed");
    }
    let mut o = Options {
        host: args[0].clone(),
        port: args[1].parse().unwrap_or_else(|_| usage("bad PORT")),
        ca: None,
        name: None,
        suites: Vec::new(),
        groups: Vec::new(),
        alpn: Vec::new(),
        tls12: false,
        max_fragment: None,
        no_p256_signatures: false,
        hello_only: false,
        ccs_after_hello: None,
    };
    let suites = [
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    let groups = [kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1];
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .unwrap_or_else(|| usage("value missing"))
                .clone()
        };
        match flag.as_str() {
            "--ca" => o.ca = Some(value()),
            "--name" => o.name = Some(value()),
            "--suite" => {
                let name = value();
                let suite = suites
                    .iter()
                    .find(|s| format!("{:?}", s.suite()) == name)
                    .unwrap_or_else(|| usage("unknown suite"));
                o.suites.push(*suite);
            }
            "--group" => {
                let name = value();
                let group = groups
                    .iter()
                    .find(|g| format!("{:?}", g.name()) == name)
                    .unwrap_or_else(|| usage("unknown group"));
                o.groups.push(*group);
            }
            "--alpn" => o.alpn.push(value().into_bytes()),
            "--tls12" => o.tls12 = true,
            "--max-fragment" => {
                o.max_fragment = Some(value().parse().unwrap_or_else(|_| usage("bad N")))
            }
            "--no-p256-signatures" => o.no_p256_signatures = true,
            "--hello-only" => o.hello_only = true,
            "--ccs-after-hello" => {
                o.ccs_after_hello = Some(value().parse().unwrap_or_else(|_| usage("bad N")))
            }
            _ => usage("unknown option"),
        }
    }
    if o.suites.is_empty() {
        o.suites = if o.tls12 {
            ALL_CIPHER_SUITES.to_vec()
        } else {
            suites.to_vec()
        };
    }
    if o.groups.is_empty() {
        o.groups = vec![kx_group::X25519, kx_group::SECP256R1];
    }
    o
}

fn config(o: &Options) -> Arc<ClientConfig> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = o.suites.clone();
    provider.kx_groups = o.groups.clone();
    let versions: &[&rustls::SupportedProtocolVersion] = if o.tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .expect("protocol versions");
    let mut config = match &o.ca {
        Some(file) if !o.no_p256_signatures => {
            let mut roots = RootCertStore::empty();
            let cert = CertificateDer::from_pem_file(file).expect("read --ca");
            roots.add(cert).expect("trust --ca");
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(
                rustls::crypto::ring::default_provider(),
                o.no_p256_signatures,
            )))
            .with_no_client_auth(),
    };
    config.max_fragment_size = o.max_fragment;
    config.alpn_protocols = o.alpn.clone();
    config.resumption = Resumption::disabled();
    config.enable_secret_extraction = true;
    Arc::new(config)
}

/// Accepts any certificate but checks the handshake signature; true: not
/// one made with ecdsa_secp256r1_sha256.
#[derive(Debug)]
struct AnyCertificate(CryptoProvider, bool);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.0.signature_verification_algorithms.supported_schemes();
        if self.1 {
            schemes.retain(|s| *s != SignatureScheme::ECDSA_NISTP256_SHA256);
        }
        schemes
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// One event line, flushed.
fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn describe_tls(e: &rustls::Error) -> String {
    match e {
        rustls::Error::AlertReceived(a) => format!("alert:{a:?}"),
        e => format!("tls:{e:?}"),
    }
}

fn describe_io(e: &io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(tls) => describe_tls(tls),
        None => format!("io:{:?}", e.kind()),
    }
}

/// Sends whatever rustls has queued.
fn flush(conn: &mut ClientConnection, sock: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

/// Feeds `bytes` from the server to rustls; the plaintext as `data`
/// events. Err: how it ended.
fn absorb(conn: &mut ClientConnection, sock: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    let mut rest = bytes;
    while !rest.is_empty() {
        conn.read_tls(&mut rest).map_err(|e| describe_io(&e))?;
        if let Err(e) = conn.process_new_packets() {
            let _ = flush(conn, sock);
            return Err(describe_tls(&e));
        }
        let mut plain = Vec::new();
        match conn.reader().read_to_end(&mut plain) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(describe_io(&e)),
        }
        if !plain.is_empty() {
            say(&format!("data {}", hex(&plain)));
        }
        // What rustls answers on its own (a KeyUpdate the server asked for).
        flush(conn, sock).map_err(|e| describe_io(&e))?;
    }
    Ok(())
}

/// How the connection ended at EOF: clean only after close_notify.
fn at_eof(conn: &mut ClientConnection) -> String {
    let _ = conn.read_tls(&mut &[][..]);
    match conn.process_new_packets() {
        Ok(state) if state.peer_has_closed() => "clean".into(),
        Ok(_) => "eof".into(),
        Err(e) => describe_tls(&e),
    }
}

fn main() {
    let o = parse();
    let config = config(&o);
    let name = o.name.clone().unwrap_or_else(|| o.host.clone());
    let name = ServerName::try_from(name).expect("server name");
    let mut conn = ClientConnection::new(config, name).expect("client connection");

    if o.hello_only {
        let mut hello = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut hello).unwrap();
        }
        say(&format!("hello {}", hex(&hello)));
        return;
    }

    let mut sock = TcpStream::connect((o.host.as_str(), o.port)).expect("connect");
    let mut buf = vec![0u8; 1 << 16];

    if let Some(n) = o.ccs_after_hello {
        let mut wire = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut wire).unwrap();
        }
        for _ in 0..n {
            wire.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        }
        let _ = sock.write_all(&wire);
        // Never write again: no Finished, no alert of ours.
        let end = loop {
            match sock.read(&mut buf) {
                Ok(0) => break at_eof(&mut conn),
                Ok(k) => {
                    let mut rest = &buf[..k];
                    let mut failed = None;
                    while !rest.is_empty() {
                        if let Err(e) = conn.read_tls(&mut rest) {
                            failed = Some(describe_io(&e));
                            break;
                        }
                        if let Err(e) = conn.process_new_packets() {
                            failed = Some(describe_tls(&e));
                            break;
                        }
                    }
                    if let Some(end) = failed {
                        break end;
                    }
                }
                Err(e) => break describe_io(&e),
            }
        };
        say(&format!("end {end}"));
        return;
    }

    // The handshake.
    let handshake = (|| -> Result<(), String> {
        while conn.is_handshaking() {
            flush(&mut conn, &mut sock).map_err(|e| describe_io(&e))?;
            if !conn.is_handshaking() {
                break;
            }
            let k = sock.read(&mut buf).map_err(|e| describe_io(&e))?;
            if k == 0 {
                return Err(at_eof(&mut conn));
            }
            absorb(&mut conn, &mut sock, &buf[..k])?;
        }
        flush(&mut conn, &mut sock).map_err(|e| describe_io(&e))
    })();
    if let Err(end) = handshake {
        say(&format!("handshake failed {end}"));
        return;
    }
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "none".into());
    say(&format!(
        "handshake ok version={:?} suite={:?} group={:?} kind={:?} alpn={alpn} certs={}",
        conn.protocol_version().unwrap(),
        conn.negotiated_cipher_suite().unwrap().suite(),
        conn.negotiated_key_exchange_group().unwrap().name(),
        conn.handshake_kind().unwrap(),
        conn.peer_certificates().map_or(0, <[_]>::len),
    ));

    // The server's side, in a thread; commands here.
    let shared = Arc::new(Mutex::new(Some(conn)));
    let reader = {
        let shared = shared.clone();
        let mut read_sock = sock.try_clone().unwrap();
        let mut write_sock = sock.try_clone().unwrap();
        std::thread::spawn(move || {
            let end = loop {
                let k = match read_sock.read(&mut buf) {
                    Ok(k) => k,
                    Err(e) => break describe_io(&e),
                };
                let mut guard = shared.lock().unwrap();
                let Some(conn) = guard.as_mut() else {
                    return;
                };
                if k == 0 {
                    break at_eof(conn);
                }
                if let Err(end) = absorb(conn, &mut write_sock, &buf[..k]) {
                    break end;
                }
            };
            say(&format!("end {end}"));
        })
    };

    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (command, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let mut guard = shared.lock().unwrap();
        let Some(conn) = guard.as_mut() else { break };
        let result = match command {
            "send" => conn
                .writer()
                .write_all(&unhex(arg))
                .and_then(|_| flush(conn, &mut sock)),
            "raw" => sock.write_all(&unhex(arg)),
            "flip" => {
                conn.writer().write_all(&unhex(arg)).unwrap();
                let mut wire = Vec::new();
                while conn.wants_write() {
                    conn.write_tls(&mut wire).unwrap();
                }
                let len = u16::from_be_bytes([wire[3], wire[4]]) as usize;
                wire[5 + len / 2] ^= 0x04;
                sock.write_all(&wire)
            }
            "keyupdate" => conn
                .refresh_traffic_keys()
                .map_err(io::Error::other)
                .and_then(|_| flush(conn, &mut sock)),
            "close" => {
                conn.send_close_notify();
                flush(conn, &mut sock)
            }
            "sequences" => {
                let conn = guard.take().unwrap();
                let secrets = conn.dangerous_extract_secrets().expect("extract secrets");
                say(&format!(
                    "sequences tx={} rx={}",
                    secrets.tx.0, secrets.rx.0
                ));
                std::process::exit(0);
            }
            _ => usage("unknown command"),
        };
        drop(guard);
        if let Err(e) = result {
            // The reader reports how the server ended; this is ours.
            eprintln!("rustls-probe: {command}: {e}");
        }
    }
    // Standard input closed: wait for the server's end, if it comes.
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let _ = reader.join();
}
