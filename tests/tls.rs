//! HTTPS (TLS 1.3) end to end: the real binary started with `--tls-cert`/
//! `--tls-key` (keys and certificates made at test time by the `openssl`
//! command into a temporary directory) or `--tls-self-signed`, and driven
//! by rustls (tests/rustls-probe, a small program of its own, built on
//! first use: every suite with every group, HelloRetryRequest, KeyUpdate,
//! close_notify, ALPN, fragmented and trickled records, many connections
//! at once), Python's `ssl`, curl (a 64 MiB download and a resumed one),
//! wget, `openssl s_client` (TLS 1.2 and foreign suites refused, KeyUpdate
//! both kinds, no tickets) and headless Chromium; start-up checks of the
//! key and certificate files; hostile clients (garbage, a ClientHello cut
//! short or breaking RFC 8446's rules, a flipped bit, an oversized record,
//! a ChangeCipherSpec flood, plain HTTP), each followed by a normal client
//! that must still be served; HTTP answers and the access log, which read
//! the same as over plain HTTP.

mod common;
use common::*;

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Fixtures: keys and certificates by the openssl command
// ---------------------------------------------------------------------------

/// Twenty distinct bytes: the small file every test fetches.
const TWENTY: &[u8] = b"0123456789abcdefghij";

/// True if `program ARG` runs (the program is installed).
fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Returns from the test, with a note, when a program is not installed.
macro_rules! require {
    ($program:expr, $arg:expr) => {
        if !have($program, $arg) {
            println!("{} not installed; skipping", $program);
            return;
        }
    };
}

/// Runs `openssl ARGS` in `dir`; its stdout. Panics with stderr on failure.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    run_ok(Command::new("openssl").args(args).current_dir(dir)).stdout
}

/// A directory of keys and certificates: `cert.pem` (self-signed, for
/// localhost and 127.0.0.1, valid two days, not a CA) and `key.pem` (its
/// ECDSA P-256 key in PKCS#8), plus whatever a test adds.
struct Pki {
    dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = TempDir::new(&format!("pki-{tag}"));
        openssl(
            dir.path(),
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-days",
                "2",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ],
        );
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        Pki { dir, cert, key }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs openssl in this directory.
    fn openssl(&self, args: &[&str]) -> Vec<u8> {
        openssl(self.dir.path(), args)
    }

    /// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as
    /// Chromium's `--ignore-certificate-errors-spki-list` wants it.
    fn spki_sha256_base64(&self) -> String {
        let out = Command::new("sh")
            .arg("-c")
            .arg(
                "openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der \
                 | openssl dgst -sha256 -binary | base64",
            )
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// A served directory: `a.txt` (TWENTY), `big.bin` (200 000 bytes, a dozen
/// records), `page.html`, `sub/` (no index: a listing) and `sub/inner.txt`.
fn docroot(tag: &str) -> (TempDir, Vec<u8>) {
    let dir = TempDir::new(&format!("root-{tag}"));
    dir.write("a.txt", TWENTY);
    let big = pseudo_random(200_000, 1);
    dir.write("big.bin", &big);
    dir.write(
        "page.html",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>tls page</title></head>\
<body><p id=\"greeting\">Hello over TLS 1.3</p></body></html>\n",
    );
    dir.write("sub/inner.txt", "inner\n");
    dir.write("sub/second file.txt", "second\n");
    (dir, big)
}

/// `n` bytes of an xorshift stream: incompressible, different per seed.
fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    xorshift_bytes(n, 0x9e37_79b9_7f4a_7c15u64 ^ seed)
}

/// Starts `httpd 0 -b 127.0.0.1 -d ROOT --tls-cert CERT --tls-key KEY EXTRA...`
/// and checks the HTTPS banner.
fn start_tls(pki: &Pki, root: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--tls-cert",
        pki.cert.to_str().unwrap(),
        "--tls-key",
        pki.key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let server = Server::start(root, &args);
    assert_https_banner(&server);
    server
}

/// The banner says HTTPS and an https:// URL with the real port.
fn assert_https_banner(server: &Server) {
    let p = server.port;
    assert_eq!(
        server.banner,
        format!("Serving HTTPS on 127.0.0.1 port {p} (https://127.0.0.1:{p}/) ...\n")
    );
}

// ---------------------------------------------------------------------------
// The rustls client: tests/rustls-probe, a program of its own
// ---------------------------------------------------------------------------

/// The rustls client program, built on first use into
/// target/rustls-probe (see its Cargo.toml for why it is not a
/// dev-dependency).
fn probe() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let target = root.join("target").join("rustls-probe");
        let mut cargo = Command::new(env!("CARGO"));
        // Not this package's variables: ring's build script reruns when
        // CARGO_MANIFEST_DIR or OUT_DIR changes, so the probe would be
        // rebuilt whenever it was last built from a shell.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if (name.starts_with("CARGO_") && name != "CARGO_HOME") || name == "OUT_DIR" {
                cargo.env_remove(&*name);
            }
        }
        // Nor the server's crypto tuning (.cargo/config.toml rustflags).
        cargo.env("CARGO_ENCODED_RUSTFLAGS", "");
        let out = cargo
            .args(["build", "--quiet", "--manifest-path"])
            .arg(root.join("tests/rustls-probe/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .stdin(Stdio::null())
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building tests/rustls-probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        target.join("debug").join("rustls-probe")
    })
}

const ALL_SUITES: [&str; 3] = [
    "TLS13_AES_128_GCM_SHA256",
    "TLS13_AES_256_GCM_SHA384",
    "TLS13_CHACHA20_POLY1305_SHA256",
];

const BOTH_GROUPS: [&str; 2] = ["X25519", "secp256r1"];

/// What a client offers (empty lists: the probe's defaults, all three
/// suites and X25519 then secp256r1).
#[derive(Clone, Copy, Default)]
struct Offer<'a> {
    /// The certificate to trust; `None`: any (the handshake signature is
    /// still checked).
    trust: Option<&'a Path>,
    /// The name to send (SNI) and verify; `None`: the address.
    name: Option<&'a str>,
    suites: &'a [&'a str],
    /// In order of preference: rustls sends a key share for the first only.
    groups: &'a [&'a str],
    alpn: &'a [&'a str],
    /// TLS 1.2 only.
    tls12: bool,
    /// Records of at most this many bytes (the ClientHello split too).
    max_fragment: Option<usize>,
    /// Signature schemes offered: all but ecdsa_secp256r1_sha256 (and any
    /// certificate is accepted).
    no_p256_signatures: bool,
}

impl Offer<'_> {
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(ca) = self.trust {
            args.extend(["--ca".to_string(), ca.display().to_string()]);
        }
        if let Some(name) = self.name {
            args.extend(["--name".to_string(), name.to_string()]);
        }
        for (flag, values) in [
            ("--suite", self.suites),
            ("--group", self.groups),
            ("--alpn", self.alpn),
        ] {
            for v in values {
                args.extend([flag.to_string(), v.to_string()]);
            }
        }
        if self.tls12 {
            args.push("--tls12".into());
        }
        if let Some(n) = self.max_fragment {
            args.extend(["--max-fragment".to_string(), n.to_string()]);
        }
        if self.no_p256_signatures {
            args.push("--no-p256-signatures".into());
        }
        args
    }
}

/// Offers everything, trusting the certificate of `pki`.
fn trusting(pki: &Pki) -> Offer<'_> {
    Offer {
        trust: Some(&pki.cert),
        ..Offer::default()
    }
}

/// Runs the probe against `server` with `offer` and `extra` arguments;
/// the child and its lines (stdout) as they come.
fn spawn_probe(server: &Server, offer: &Offer, extra: &[&str]) -> (Child, Receiver<String>) {
    spawn_probe_at(&server.host, server.port, offer, extra)
}

/// The probe against `host`:`port` (a proxy, say).
fn spawn_probe_at(
    host: &str,
    port: u16,
    offer: &Offer,
    extra: &[&str],
) -> (Child, Receiver<String>) {
    let mut child = Command::new(probe())
        .arg(host)
        .arg(port.to_string())
        .args(offer.args())
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rustls-probe");
    let (tx, rx) = mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// A rustls connection to the server, through the probe: `Read` gives the
/// plaintext the server sends and ends with `Ok(0)` only after its
/// close_notify (a bare EOF is `UnexpectedEof`, an alert an error naming
/// it); `Write` sends application data.
struct Client {
    child: Child,
    events: Receiver<String>,
    /// `handshake ok` fields: version, suite, group, kind, alpn, certs.
    info: HashMap<String, String>,
    data: VecDeque<u8>,
    /// How the connection ended (`clean`, `eof`, `alert:NAME`, ...).
    end: Option<String>,
}

impl Client {
    /// Connects and handshakes; Err: how the handshake failed
    /// (`alert:HandshakeFailure`, `tls:InvalidCertificate(..)`, `eof`).
    fn connect(server: &Server, offer: &Offer) -> Result<Client, String> {
        Client::connect_at(&server.host, server.port, offer)
    }

    /// Connects to `host`:`port` (a proxy, say) and handshakes.
    fn connect_at(host: &str, port: u16, offer: &Offer) -> Result<Client, String> {
        let (child, events) = spawn_probe_at(host, port, offer, &[]);
        let mut c = Client {
            child,
            events,
            info: HashMap::new(),
            data: VecDeque::new(),
            end: None,
        };
        let first = c
            .next_line()
            .unwrap_or_else(|| "no answer from the probe".into());
        if let Some(fields) = first.strip_prefix("handshake ok ") {
            for field in fields.split(' ') {
                let (k, v) = field.split_once('=').unwrap();
                c.info.insert(k.to_string(), v.to_string());
            }
            Ok(c)
        } else {
            Err(first
                .strip_prefix("handshake failed ")
                .unwrap_or(&first)
                .to_string())
        }
    }

    /// Connects trusting `pki`; panics if the handshake fails.
    fn to(server: &Server, pki: &Pki) -> Client {
        Client::connect(server, &trusting(pki)).unwrap_or_else(|f| panic!("handshake: {f}"))
    }

    /// A `handshake ok` field.
    fn info(&self, key: &str) -> &str {
        self.info.get(key).map_or("", String::as_str)
    }

    fn next_line(&mut self) -> Option<String> {
        self.events.recv_timeout(WAIT).ok()
    }

    /// Takes the next event into `data` or `end`; false if none came.
    fn pump(&mut self) -> bool {
        match self.next_line() {
            Some(line) => {
                if let Some(hex) = line.strip_prefix("data ") {
                    self.data.extend(unhex(hex));
                } else if let Some(end) = line.strip_prefix("end ") {
                    self.end = Some(end.to_string());
                } else {
                    panic!("unexpected probe line {line:?}");
                }
                true
            }
            None => false,
        }
    }

    fn command(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("probe stdin");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends `raw` as application data.
    fn send(&mut self, raw: &[u8]) {
        self.command(&format!("send {}", hex(raw)));
    }

    /// Writes `raw` straight onto the socket, outside TLS.
    fn raw(&mut self, raw: &[u8]) {
        self.command(&format!("raw {}", hex(raw)));
    }

    /// Sends `plain` as application data with one bit of the record's
    /// ciphertext flipped.
    fn flip(&mut self, plain: &[u8]) {
        self.command(&format!("flip {}", hex(plain)));
    }

    /// A KeyUpdate with update_requested.
    fn key_update(&mut self) {
        self.command("keyupdate");
    }

    fn close_notify(&mut self) {
        self.command("close");
    }

    /// `GET path` on this (keep-alive) connection; the response.
    fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes());
        read_response(self, false)
    }

    /// Everything until the end; how it ended.
    fn until_end(&mut self) -> String {
        while self.end.is_none() {
            assert!(self.pump(), "the connection did not end within {WAIT:?}");
        }
        self.end.clone().unwrap()
    }

    /// The record sequence numbers (sent, received) since the last key
    /// change of each direction; ends the probe.
    fn sequences(mut self) -> (u64, u64) {
        self.command("sequences");
        loop {
            let line = self.next_line().expect("sequences");
            if let Some(rest) = line.strip_prefix("sequences ") {
                let n = |k: &str| -> u64 {
                    rest.split(' ')
                        .find_map(|f| f.strip_prefix(k))
                        .unwrap()
                        .parse()
                        .unwrap()
                };
                return (n("tx="), n("rx="));
            }
        }
    }
}

impl Read for Client {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.data.is_empty() {
            match &self.end {
                Some(end) if end == "clean" => return Ok(0),
                Some(end) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, end.clone())),
                None => {
                    if !self.pump() {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
            }
        }
        let n = buf.len().min(self.data.len());
        for (i, b) in self.data.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A new client trusting `pki` gets `/a.txt` from the server: it still
/// serves after whatever came before.
fn assert_still_serves(server: &Server, pki: &Pki) {
    let mut c = Client::to(server, pki);
    let r = c.get("/a.txt");
    assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
}

// ---------------------------------------------------------------------------
// Raw sockets: records and alerts by hand
// ---------------------------------------------------------------------------

const CHANGE_CIPHER_SPEC: u8 = 20;
const FATAL: u8 = 2;
const UNEXPECTED_MESSAGE: u8 = 10;
const RECORD_OVERFLOW: u8 = 22;
const DECODE_ERROR: u8 = 50;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

/// Everything the server sends until it closes (true) or `WAIT` passes
/// without a byte (false).
fn drain(s: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (all, true),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return (all, true),
            Err(_) => return (all, false),
        }
    }
}

/// The records in `bytes`: (content type, payload); a cut last record
/// is left out.
fn records(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
        if bytes.len() < 5 + len {
            break;
        }
        out.push((bytes[0], bytes[5..5 + len].to_vec()));
        bytes = &bytes[5 + len..];
    }
    out
}

/// The (level, description) of the first alert record in clear.
fn clear_alert(bytes: &[u8]) -> Option<(u8, u8)> {
    records(bytes)
        .into_iter()
        .find(|(kind, body)| *kind == ALERT && body.len() == 2)
        .map(|(_, body)| (body[0], body[1]))
}

/// The ClientHello record(s) a fresh rustls client with `config` sends.
fn client_hello(server: &Server, offer: &Offer) -> Vec<u8> {
    let (mut child, lines) = spawn_probe(server, offer, &["--hello-only"]);
    let line = lines.recv_timeout(WAIT).expect("a ClientHello");
    let _ = child.wait();
    let hello = unhex(line.strip_prefix("hello ").unwrap());
    assert_eq!(hello[0], HANDSHAKE);
    hello
}

/// Sends raw bytes on a fresh connection; what came back and whether the
/// server closed.
fn raw_exchange(server: &Server, bytes: &[u8]) -> (Vec<u8>, bool) {
    let mut s = server.connect();
    s.write_all(bytes).unwrap();
    drain(&mut s)
}

// ---------------------------------------------------------------------------
// Other programs
// ---------------------------------------------------------------------------

/// `openssl s_client -connect 127.0.0.1:PORT ARGS` with nothing on stdin;
/// (exit status, stdout and stderr together).
fn s_client(server: &Server, args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{}", server.port))
        .args(args);
    let (code, out, err) = run_for(cmd, Duration::from_secs(60));
    (code, format!("{out}\n{err}"))
}

/// `curl -sS --fail --cacert CERT ARGS URL`; panics unless it succeeds.
fn curl(pki: &Pki, args: &[&str], url: &str) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--fail", "--max-time", "100", "--cacert"])
        .arg(&pki.cert)
        .args(args)
        .arg(url);
    let (code, _, err) = run_for(cmd, Duration::from_secs(110));
    assert_eq!(code, Some(0), "curl {args:?} {url} failed: {err}");
}

// ---------------------------------------------------------------------------
// 1. rustls: suites, groups, HelloRetryRequest, KeyUpdate, close, ALPN
// ---------------------------------------------------------------------------

/// Each of the three suites with each of the two groups: the handshake
/// negotiates exactly that pair, and two GETs on one keep-alive connection
/// come back byte for byte (a multi-record file and a small one).
#[test]
fn every_suite_with_every_group_serves_files_over_keep_alive() {
    require!("openssl", "version");
    let pki = Pki::new("matrix");
    let (root, big) = docroot("matrix");
    let server = start_tls(&pki, root.path(), &[]);
    for suite in ALL_SUITES {
        for group in BOTH_GROUPS {
            let offer = Offer {
                suites: &[suite],
                groups: &[group],
                ..trusting(&pki)
            };
            let label = format!("{suite} with {group}");
            let mut c = Client::connect(&server, &offer)
                .unwrap_or_else(|f| panic!("{label}: handshake failed: {f}"));
            assert_eq!(c.info("version"), "TLSv1_3", "{label}");
            assert_eq!(c.info("suite"), suite, "{label}");
            assert_eq!(c.info("group"), group, "{label}");
            assert_eq!(c.info("kind"), "Full", "{label}");
            let r = c.get("/big.bin");
            assert_eq!(r.status, 200, "{label}");
            assert!(r.body == big, "{label}: big.bin differs");
            let r = c.get("/a.txt");
            assert_eq!((r.status, r.body.as_slice()), (200, TWENTY), "{label}");
        }
    }
}

/// A client whose key share is for a group the server lacks (secp384r1)
/// but which also supports X25519, or P-256, gets a HelloRetryRequest for
/// that group and then a working connection.
#[test]
fn hello_retry_request_when_no_key_share_fits() {
    require!("openssl", "version");
    let pki = Pki::new("hrr");
    let (root, _) = docroot("hrr");
    let server = start_tls(&pki, root.path(), &[]);
    for second in BOTH_GROUPS {
        let offer = Offer {
            groups: &["secp384r1", second],
            ..trusting(&pki)
        };
        let mut c = Client::connect(&server, &offer)
            .unwrap_or_else(|f| panic!("{second}: handshake failed: {f}"));
        assert_eq!(c.info("kind"), "FullWithHelloRetryRequest", "{second}");
        assert_eq!(c.info("group"), second);
        let r = c.get("/a.txt");
        assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
    }
    // Only secp384r1: nothing to retry with.
    let offer = Offer {
        groups: &["secp384r1"],
        ..trusting(&pki)
    };
    let failure = Client::connect(&server, &offer)
        .err()
        .expect("a handshake without a common group must fail");
    assert_eq!(failure, "alert:HandshakeFailure");
    assert_still_serves(&server, &pki);
}

/// rustls's KeyUpdate asks for one back (update_requested): after each of
/// three, requests still work, and the server's records are counted from
/// zero again (it changed its keys too: fewer records since the last
/// change than the 13+ of big.bin before it).
#[test]
fn key_update_from_the_client_is_followed_and_answered() {
    require!("openssl", "version");
    let pki = Pki::new("keyupdate");
    let (root, big) = docroot("keyupdate");
    let server = start_tls(&pki, root.path(), &[]);
    let mut c = Client::to(&server, &pki);
    let r = c.get("/big.bin");
    assert!(r.status == 200 && r.body == big);
    for round in 0..3 {
        c.key_update();
        let r = c.get("/a.txt");
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, TWENTY),
            "after key update {round}"
        );
    }
    let r = c.get("/big.bin");
    assert!(r.status == 200 && r.body == big);
    c.key_update();
    let r = c.get("/a.txt");
    assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
    let (sent, received) = c.sequences();
    println!("records under the last keys: {sent} sent, {received} received");
    assert_eq!(sent, 1, "our one request since our last KeyUpdate");
    assert!(
        received < 13,
        "the server's record sequence was not reset: {received} records under one key \
         (it did not answer update_requested with a KeyUpdate of its own)"
    );
}

/// `openssl s_client`'s `k` (KeyUpdate, update_not_requested) is followed
/// silently and `K` (update_requested) answered with the server's own
/// KeyUpdate; a request afterwards is served.
#[test]
fn key_update_both_kinds_with_s_client() {
    require!("openssl", "version");
    let pki = Pki::new("keyupdate-s-client");
    let (root, _) = docroot("keyupdate-s-client");
    let server = start_tls(&pki, root.path(), &[]);
    for (letter, answered) in [("k", false), ("K", true)] {
        let mut child = Command::new("openssl")
            .arg("s_client")
            .arg("-connect")
            .arg(format!("127.0.0.1:{}", server.port))
            .args(["-msg", "-CAfile"])
            .arg(&pki.cert)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openssl");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        let wait_for = |what: &str, count: usize| -> bool {
            let start = Instant::now();
            while start.elapsed() < WAIT {
                if out.lock().unwrap().matches(what).count() >= count {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        };
        let mut stdin = child.stdin.take().unwrap();
        assert!(
            wait_for("Verify return code: 0", 1),
            "no verified handshake: {}{}",
            out.lock().unwrap(),
            err.lock().unwrap()
        );
        stdin.write_all(format!("{letter}\n").as_bytes()).unwrap();
        // s_client -msg shows ">>> ... KeyUpdate" for what it sends.
        assert!(wait_for("KeyUpdate", 1), "{}", out.lock().unwrap());
        stdin
            .write_all(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert!(
            wait_for("0123456789abcdefghij", 1),
            "no response after KeyUpdate {letter}: {}{}",
            out.lock().unwrap(),
            err.lock().unwrap()
        );
        drop(stdin);
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let text = out.lock().unwrap().clone();
        let received: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("<<<") && l.contains("KeyUpdate"))
            .collect();
        if answered {
            assert_eq!(received.len(), 1, "one KeyUpdate back for {letter}: {text}");
        } else {
            assert!(
                received.is_empty(),
                "no KeyUpdate back for {letter}: {text}"
            );
        }
    }
    server.wait_log("\"GET /a.txt HTTP/1.1\" 200 20");
}

/// close_notify both ways: the client's close_notify gets the server's
/// and then the end of the connection; a `Connection: close` response ends
/// with the server's close_notify (a clean end, not a truncation), and so
/// does an idle keep-alive connection that the server times out.
#[test]
fn close_notify_both_ways() {
    require!("openssl", "version");
    let pki = Pki::new("close");
    let (root, _) = docroot("close");
    let server = start_tls(&pki, root.path(), &["--timeout", "2"]);

    // Ours first.
    let mut c = Client::to(&server, &pki);
    let r = c.get("/a.txt");
    assert_eq!(r.body, TWENTY);
    c.close_notify();
    let mut rest = Vec::new();
    let end = c.read_to_end(&mut rest);
    assert!(
        end.is_ok(),
        "the server closed without close_notify after ours: {end:?}"
    );
    assert!(rest.is_empty());

    // The server's, after Connection: close.
    let mut c = Client::to(&server, &pki);
    c.send(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let r = read_response(&mut c, false);
    assert_eq!(r.body, TWENTY);
    let mut rest = Vec::new();
    let end = c.read_to_end(&mut rest);
    assert!(
        end.is_ok(),
        "a Connection: close response ended without close_notify: {end:?}"
    );
    assert!(rest.is_empty());

    // The server's, when an idle keep-alive connection times out.
    let mut c = Client::to(&server, &pki);
    let r = c.get("/a.txt");
    assert_eq!(r.body, TWENTY);
    let mut rest = Vec::new();
    let end = c.read_to_end(&mut rest);
    assert!(
        end.is_ok(),
        "an idle connection was closed without close_notify: {end:?}"
    );
}

/// ALPN: offered h2 and http/1.1 → http/1.1; not offered → none; only h2
/// → the handshake fails with no_application_protocol.
#[test]
fn alpn_answers_http11_and_refuses_h2_only() {
    require!("openssl", "version");
    let pki = Pki::new("alpn");
    let (root, _) = docroot("alpn");
    let server = start_tls(&pki, root.path(), &[]);
    for (alpn, expect) in [
        (&["h2", "http/1.1"][..], "http/1.1"),
        (&["http/1.1"][..], "http/1.1"),
        (&[][..], "none"),
    ] {
        let offer = Offer {
            alpn,
            ..trusting(&pki)
        };
        let mut c =
            Client::connect(&server, &offer).unwrap_or_else(|f| panic!("ALPN {alpn:?}: {f}"));
        assert_eq!(c.info("alpn"), expect, "offered {alpn:?}");
        let r = c.get("/a.txt");
        assert_eq!(r.body, TWENTY);
    }
    let offer = Offer {
        alpn: &["h2"],
        ..trusting(&pki)
    };
    let failure = Client::connect(&server, &offer)
        .err()
        .expect("h2 alone must be refused");
    assert_eq!(failure, "alert:NoApplicationProtocol");
    assert_still_serves(&server, &pki);
}

/// A TLS 1.2 ClientHello (rustls limited to 1.2) gets protocol_version.
#[test]
fn tls12_client_gets_protocol_version_alert() {
    require!("openssl", "version");
    let pki = Pki::new("tls12");
    let (root, _) = docroot("tls12");
    let server = start_tls(&pki, root.path(), &[]);
    let offer = Offer {
        tls12: true,
        ..trusting(&pki)
    };
    let failure = Client::connect(&server, &offer)
        .err()
        .expect("TLS 1.2 must be refused");
    assert_eq!(failure, "alert:ProtocolVersion");
    assert_still_serves(&server, &pki);
}

/// Keep-alive, pipelining, HEAD, ranges, conditionals, listings (HTML and
/// JSON), redirects, errors and the request timeout answer over TLS exactly
/// as over plain HTTP from the same directory (every byte but the Date
/// header), and the end over TLS is always a close_notify.
#[test]
fn http_answers_are_the_same_over_tls() {
    require!("openssl", "version");
    let pki = Pki::new("same");
    let (root, _) = docroot("same");
    let tls = start_tls(&pki, root.path(), &["--timeout", "2"]);
    let plain = Server::start(root.path(), &["--timeout", "2"]);
    let etag = plain
        .get("/a.txt", &[])
        .header("ETag")
        .expect("ETag")
        .to_string();
    let cases: Vec<Vec<u8>> = vec![
        request("GET", "/a.txt", &[]),
        request("HEAD", "/a.txt", &[]),
        request("GET", "/a.txt", &["Range: bytes=2-5"]),
        request("GET", "/big.bin", &["Range: bytes=-100"]),
        request("GET", "/a.txt", &["Range: bytes=100-"]),
        request("GET", "/a.txt", &[&format!("If-None-Match: {etag}")]),
        request("GET", "/sub", &[]),
        request("GET", "/sub/", &[]),
        request("GET", "/sub/", &["Accept: application/json"]),
        request("GET", "/missing", &[]),
        request("GET", "/../../etc/passwd", &[]),
        request("DELETE", "/a.txt", &[]),
        b"GET /a.txt HTTP/1.0\r\n\r\n".to_vec(),
        // Half a request, then silence: the request timeout.
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\n".to_vec(),
        // Pipelined: three requests in one write.
        [
            &b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"HEAD /sub/inner.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /sub/inner.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]
        .concat(),
    ];
    let without_date = |raw: &[u8]| -> String {
        String::from_utf8_lossy(raw)
            .split("\r\n")
            .filter(|l| !l.starts_with("Date: "))
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    for raw in &cases {
        let mut s = plain.connect();
        s.write_all(raw).unwrap();
        let mut expected = Vec::new();
        s.read_to_end(&mut expected).unwrap();
        let mut c = Client::to(&tls, &pki);
        c.send(raw);
        let mut got = Vec::new();
        c.read_to_end(&mut got)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(raw)));
        assert_eq!(
            without_date(&got),
            without_date(&expected),
            "request {:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

// ---------------------------------------------------------------------------
// 2. Other clients
// ---------------------------------------------------------------------------

/// Python's `ssl` with the default context (verifying the certificate and
/// the IP address) fetches a page twice on one connection, over TLS 1.3.
#[test]
fn python_ssl_fetches_a_page() {
    require!("openssl", "version");
    require!("python3", "--version");
    let pki = Pki::new("python");
    let (root, _) = docroot("python");
    let server = start_tls(&pki, root.path(), &[]);
    let script = r#"
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[2]), context=ctx, timeout=20)
for path in ("/page.html", "/a.txt"):
    c.request("GET", path)
    version = c.sock.version()
    r = c.getresponse()
    body = r.read()
    print(r.status, version, len(body), body.decode()[:60].replace("\n", " "))
"#;
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(script)
        .arg(&pki.cert)
        .arg(server.port.to_string());
    let (code, out, err) = run_for(cmd, Duration::from_secs(60));
    assert_eq!(code, Some(0), "python failed: {out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("200 TLSv1.3 "), "{out}");
    assert!(lines[0].contains("<!DOCTYPE html>"), "{out}");
    assert_eq!(lines[1], "200 TLSv1.3 20 0123456789abcdefghij", "{out}");
}

/// curl downloads a 64 MiB file byte for byte, then resumes (`-C -`) a
/// partial copy into an identical one with a range request.
#[test]
fn curl_downloads_64_mib_and_resumes() {
    require!("openssl", "version");
    require!("curl", "--version");
    let pki = Pki::new("curl");
    let root = TempDir::new("root-curl");
    let data = pseudo_random(64 << 20, 7);
    root.write("huge.bin", &data);
    let server = start_tls(&pki, root.path(), &[]);
    let url = format!("https://127.0.0.1:{}/huge.bin", server.port);
    let out = TempDir::new("curl-out");

    let whole = out.path().join("whole.bin");
    curl(&pki, &["-o", whole.to_str().unwrap()], &url);
    let got = std::fs::read(&whole).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the 64 MiB download differs");
    drop(got);

    let partial = out.write("partial.bin", &data[..(25 << 20) + 12_345]);
    curl(&pki, &["-C", "-", "-o", partial.to_str().unwrap()], &url);
    let got = std::fs::read(&partial).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the resumed download differs");
    let rest = data.len() - ((25 << 20) + 12_345);
    let needle = format!("\"GET /huge.bin HTTP/1.1\" 206 {rest}");
    let log = server.wait_log(&needle);
    assert!(log.contains(&needle), "{log}");
    assert!(
        log.contains(&format!("\"GET /huge.bin HTTP/1.1\" 200 {}", data.len())),
        "{log}"
    );
}

/// wget with `--ca-certificate` fetches a file.
#[test]
fn wget_fetches_a_file() {
    require!("openssl", "version");
    require!("wget", "--version");
    let pki = Pki::new("wget");
    let (root, big) = docroot("wget");
    let server = start_tls(&pki, root.path(), &[]);
    let out = TempDir::new("wget-out");
    let dest = out.path().join("big.bin");
    let mut cmd = Command::new("wget");
    cmd.args(["-q", "--tries=1", "--timeout=20"])
        .arg(format!("--ca-certificate={}", pki.cert.display()))
        .arg("-O")
        .arg(&dest)
        .arg(format!("https://127.0.0.1:{}/big.bin", server.port));
    let (code, out_text, err) = run_for(cmd, Duration::from_secs(60));
    assert_eq!(code, Some(0), "wget failed: {out_text}{err}");
    assert!(std::fs::read(&dest).unwrap() == big);
}

/// `openssl s_client`: TLS 1.3 works (and says so); `-tls1_2` gets the
/// protocol_version alert; a suite the server lacks (AES-128-CCM) gets
/// handshake_failure.
#[test]
fn s_client_tls13_works_and_tls12_or_foreign_suite_is_refused() {
    require!("openssl", "version");
    let pki = Pki::new("s-client");
    let (root, _) = docroot("s-client");
    let server = start_tls(&pki, root.path(), &[]);
    let cafile = pki.cert.to_str().unwrap();

    let (code, out) = s_client(
        &server,
        &["-CAfile", cafile, "-alpn", "h2,http/1.1", "-msg"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("New, TLSv1.3, Cipher is TLS_"), "{out}");
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    // No resumption: no ticket is ever sent.
    assert!(!out.contains("NewSessionTicket"), "{out}");

    let (code, out) = s_client(&server, &["-CAfile", cafile, "-tls1_2"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("alert protocol version"), "{out}");

    let (code, out) = s_client(
        &server,
        &[
            "-CAfile",
            cafile,
            "-tls1_3",
            "-ciphersuites",
            "TLS_AES_128_CCM_SHA256",
        ],
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("alert handshake failure"), "{out}");
    assert_still_serves(&server, &pki);
}

/// Headless Chromium, told to accept this certificate's key, loads a page
/// and a directory listing over HTTPS.
#[test]
fn chromium_loads_a_page_and_a_listing_over_https() {
    require!("openssl", "version");
    if !Path::new(CHROMIUM).exists() {
        println!("chromium not installed; skipping");
        return;
    }
    let pki = Pki::new("chromium");
    let (root, _) = docroot("chromium");
    let server = start_tls(&pki, root.path(), &[]);
    let pin = format!(
        "--ignore-certificate-errors-spki-list={}",
        pki.spki_sha256_base64()
    );
    let base = format!("https://127.0.0.1:{}", server.port);
    let dom = chromium_dump_dom(&format!("{base}/page.html"), &[&pin]);
    assert!(
        dom.contains("<p id=\"greeting\">Hello over TLS 1.3</p>"),
        "{dom}"
    );
    let dom = chromium_dump_dom(&format!("{base}/sub/"), &[&pin]);
    assert!(dom.contains(">inner.txt</a>"), "{dom}");
    assert!(dom.contains(">second file.txt</a>"), "{dom}");
    let log = server.wait_log("\"GET /sub/ HTTP/1.1\" 200");
    assert!(log.contains("\"GET /page.html HTTP/1.1\" 200"), "{log}");
    assert!(log.contains("\"GET /sub/ HTTP/1.1\" 200"), "{log}");
}

// ---------------------------------------------------------------------------
// 3. Start-up: self-signed, key formats, failures
// ---------------------------------------------------------------------------

/// `--tls-self-signed`: the banner is followed by the fingerprint line,
/// which is the SHA-256 of the certificate the server presents; that
/// certificate is P-256, names localhost, 127.0.0.1, ::1 and the host
/// name, and expires in 30 days; curl trusting it fetches a file.
#[test]
fn self_signed_certificate_matches_its_fingerprint_line() {
    require!("openssl", "version");
    let (root, _) = docroot("self-signed");
    let server = Server::start(root.path(), &["--tls-self-signed"]);
    assert_https_banner(&server);
    let said = server.wait_stdout("\n");
    let line = said
        .lines()
        .next()
        .unwrap_or_else(|| panic!("nothing after the banner: {said:?}"));
    let fingerprint = line
        .strip_prefix("Certificate SHA-256 fingerprint: ")
        .unwrap_or_else(|| panic!("not a fingerprint line: {line:?}"));
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{line}");
    assert!(
        fingerprint.split(':').all(|b| b.len() == 2
            && b.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())),
        "{line}"
    );

    let (code, out) = s_client(&server, &["-showcerts"]);
    assert_eq!(code, Some(0), "{out}");
    let begin = out
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let end = out[begin..].find("-----END CERTIFICATE-----").unwrap() + begin + 25;
    let work = TempDir::new("self-signed-cert");
    work.write("presented.pem", format!("{}\n", &out[begin..end]));
    let dir = work.path();
    let presented = String::from_utf8(openssl(
        dir,
        &[
            "x509",
            "-in",
            "presented.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    ))
    .unwrap();
    assert_eq!(
        presented.trim().split('=').nth(1),
        Some(fingerprint),
        "{presented}"
    );

    let text = String::from_utf8(openssl(
        dir,
        &["x509", "-in", "presented.pem", "-noout", "-text"],
    ))
    .unwrap();
    assert!(text.contains("prime256v1"), "not a P-256 key: {text}");
    let san = String::from_utf8(openssl(
        dir,
        &[
            "x509",
            "-in",
            "presented.pem",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    ))
    .unwrap();
    for name in [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
    ] {
        assert!(san.contains(name), "{name} missing: {san}");
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if !host.is_empty() {
        assert!(
            san.contains(&format!("DNS:{host}")),
            "host name {host} missing: {san}"
        );
    }
    // Valid for 29 days more, not for 31.
    let checkend = |days: u64| {
        Command::new("openssl")
            .args(["x509", "-in", "presented.pem", "-noout", "-checkend"])
            .arg((days * 86_400).to_string())
            .current_dir(dir)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    assert!(checkend(29), "expires within 29 days");
    assert!(!checkend(31), "still valid in 31 days");

    // A client with the presented certificate as its trust anchor.
    let presented = dir.join("presented.pem");
    let offer = Offer {
        trust: Some(&presented),
        ..Offer::default()
    };
    let mut c = Client::connect(&server, &offer).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(c.get("/a.txt").body, TWENTY);
    let mut names = vec!["localhost"];
    let dns_name = |h: &str| {
        h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    if !host.is_empty() && dns_name(host) {
        names.push(host);
    }
    for name in names {
        let offer = Offer {
            name: Some(name),
            ..offer
        };
        let mut c = Client::connect(&server, &offer).unwrap_or_else(|f| panic!("{name}: {f}"));
        assert_eq!(c.get("/a.txt").body, TWENTY, "{name}");
    }
    let offer = Offer {
        name: Some("not-this-host.example"),
        ..offer
    };
    let refused = Client::connect(&server, &offer).err();
    assert!(
        refused
            .as_deref()
            .is_some_and(|f| f.starts_with("tls:InvalidCertificate(NotValidForName")),
        "{refused:?}"
    );
    if have("curl", "--version") {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "--max-time", "20", "--cacert"])
            .arg(dir.join("presented.pem"))
            .arg(format!("https://127.0.0.1:{}/a.txt", server.port));
        let (code, out, err) = run_for(cmd, Duration::from_secs(30));
        assert_eq!(
            (code, out.as_str()),
            (Some(0), "0123456789abcdefghij"),
            "{err}"
        );
    }
}

/// `--tls-self-signed -b ::1`: the certificate names ::1, and a client that
/// verifies it against the address connects over IPv6.
#[test]
fn self_signed_certificate_verifies_over_ipv6() {
    require!("openssl", "version");
    if !std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|t| t.contains(" lo")) {
        println!("no IPv6 loopback; skipping");
        return;
    }
    let (root, _) = docroot("ipv6");
    let dir = root.path().to_str().unwrap();
    let server = Server::start_args(&["0", "-b", "::1", "-d", dir, "--tls-self-signed"], "::1");
    assert!(
        server.banner.starts_with("Serving HTTPS on ::1 port "),
        "{}",
        server.banner
    );
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-showcerts", "-connect"])
        .arg(format!("[::1]:{}", server.port));
    let (code, out, err) = run_for(cmd, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{out}{err}");
    let begin = out
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let end = out[begin..].find("-----END CERTIFICATE-----").unwrap() + begin + 25;
    let work = TempDir::new("ipv6-cert");
    let presented = work.write("presented.pem", format!("{}\n", &out[begin..end]));
    let offer = Offer {
        trust: Some(&presented),
        ..Offer::default()
    };
    let mut c = Client::connect(&server, &offer).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(c.get("/a.txt").body, TWENTY);
    let log = server.wait_log("\"GET /a.txt HTTP/1.1\" 200 20");
    assert!(log.starts_with("::1 - - ["), "{log}");
}

/// The key may be PKCS#8, SEC1 (`EC PRIVATE KEY`), encrypted PKCS#8
/// (PBES2, PBKDF2-SHA256, AES-256-CBC) with the right password, or inside
/// the certificate file (no `--tls-key`); a chain file (leaf then
/// intermediate) is sent whole, so a client trusting only the root
/// accepts it.
#[test]
fn key_formats_and_chains_that_serve() {
    require!("openssl", "version");
    let pki = Pki::new("formats");
    let (root, _) = docroot("formats");
    pki.openssl(&["ec", "-in", "key.pem", "-out", "sec1.pem"]);
    assert!(
        std::fs::read_to_string(pki.path("sec1.pem"))
            .unwrap()
            .contains("BEGIN EC PRIVATE KEY")
    );
    pki.dir
        .write("password.txt", "correct horse battery staple");
    pki.openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        "key.pem",
        "-out",
        "encrypted.pem",
        "-v2",
        "aes-256-cbc",
        "-v2prf",
        "hmacWithSHA256",
        "-passout",
        "pass:correct horse battery staple",
    ]);
    let both = [
        std::fs::read(&pki.cert).unwrap(),
        std::fs::read(&pki.key).unwrap(),
    ]
    .concat();
    pki.dir.write("both.pem", both);

    let cert = pki.cert.to_str().unwrap().to_string();
    let p = |name: &str| pki.path(name).to_str().unwrap().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "PKCS#8",
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                p("key.pem"),
            ],
        ),
        (
            "SEC1",
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                p("sec1.pem"),
            ],
        ),
        (
            "encrypted PKCS#8",
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                p("encrypted.pem"),
                "--tls-password-file".into(),
                p("password.txt"),
            ],
        ),
        (
            "key in the certificate file",
            vec!["--tls-cert".into(), p("both.pem")],
        ),
    ];
    for (what, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start(root.path(), &args);
        assert_https_banner(&server);
        let mut c = Client::connect(&server, &trusting(&pki))
            .unwrap_or_else(|f| panic!("{what}: {f}; log: {}", server.log()));
        assert_eq!(c.get("/a.txt").body, TWENTY, "{what}");
    }

    // root → intermediate → leaf; the server gets leaf + intermediate.
    std::fs::write(
        pki.path("ca.ext"),
        "[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
         [leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    pki.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=Test Root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-days",
        "2",
        "-keyout",
        "root.key",
        "-out",
        "root.pem",
    ]);
    pki.openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=Test Intermediate",
        "-keyout",
        "inter.key",
        "-out",
        "inter.csr",
    ]);
    pki.openssl(&[
        "x509",
        "-req",
        "-in",
        "inter.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        "ca.ext",
        "-extensions",
        "ca",
        "-out",
        "inter.pem",
    ]);
    pki.openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
    ]);
    pki.openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "inter.pem",
        "-CAkey",
        "inter.key",
        "-set_serial",
        "3",
        "-days",
        "2",
        "-extfile",
        "ca.ext",
        "-extensions",
        "leaf",
        "-out",
        "leaf.pem",
    ]);
    let chain = [
        std::fs::read(pki.path("leaf.pem")).unwrap(),
        std::fs::read(pki.path("inter.pem")).unwrap(),
    ]
    .concat();
    pki.dir.write("chain.pem", chain);
    let server = Server::start(
        root.path(),
        &["--tls-cert", &p("chain.pem"), "--tls-key", &p("leaf.key")],
    );
    assert_https_banner(&server);
    let root_pem = pki.path("root.pem");
    let offer = Offer {
        trust: Some(&root_pem),
        ..Offer::default()
    };
    let mut c = Client::connect(&server, &offer)
        .unwrap_or_else(|f| panic!("chain: {f:?}; log: {}", server.log()));
    assert_eq!(c.get("/a.txt").body, TWENTY);
    assert_eq!(c.info("certs"), "2", "leaf and intermediate");
}

/// Start-up refusals, each one line and exit 1: a missing certificate
/// file, a file without a PEM block, a key that is not the certificate's,
/// an RSA, P-384 or Ed25519 key (naming `mkcert -ecdsa` and `openssl
/// ecparam`), an encrypted key with the wrong password or none; the right
/// password serves.
#[test]
fn start_up_failures_are_one_line_and_exit_1() {
    require!("openssl", "version");
    let pki = Pki::new("failures");
    let other = Pki::new("failures-other");
    let (root, _) = docroot("failures");
    let cert = pki.cert.to_str().unwrap();
    let key = pki.key.to_str().unwrap();

    let missing = pki.path("no-such.pem");
    let line = assert_start_refused(
        root.path(),
        &["--tls-cert", missing.to_str().unwrap(), "--tls-key", key],
    );
    println!("missing certificate: {line}");

    let junk = pki.dir.write("junk.pem", "this is not PEM\nat all\n");
    let line = assert_start_refused(
        root.path(),
        &["--tls-cert", junk.to_str().unwrap(), "--tls-key", key],
    );
    println!("no PEM block: {line}");
    let line = assert_start_refused(
        root.path(),
        &["--tls-cert", cert, "--tls-key", junk.to_str().unwrap()],
    );
    println!("key without PEM block: {line}");

    let line = assert_start_refused(
        root.path(),
        &["--tls-cert", cert, "--tls-key", other.key.to_str().unwrap()],
    );
    println!("mismatched key: {line}");

    pki.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "2",
        "-keyout",
        "rsa.key",
        "-out",
        "rsa.pem",
    ]);
    let line = assert_start_refused(
        root.path(),
        &[
            "--tls-cert",
            pki.path("rsa.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("rsa.key").to_str().unwrap(),
        ],
    );
    assert!(line.contains("mkcert -ecdsa"), "{line}");
    assert!(
        line.contains("openssl ecparam -genkey -name prime256v1"),
        "{line}"
    );

    pki.dir.write("password.txt", "right");
    pki.dir.write("wrong.txt", "wrong");
    pki.openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        "key.pem",
        "-out",
        "encrypted.pem",
        "-v2",
        "aes-256-cbc",
        "-v2prf",
        "hmacWithSHA256",
        "-passout",
        "pass:right",
    ]);
    let encrypted = pki.path("encrypted.pem");
    let line = assert_start_refused(
        root.path(),
        &[
            "--tls-cert",
            cert,
            "--tls-key",
            encrypted.to_str().unwrap(),
            "--tls-password-file",
            pki.path("wrong.txt").to_str().unwrap(),
        ],
    );
    println!("wrong password: {line}");
    let line = assert_start_refused(
        root.path(),
        &["--tls-cert", cert, "--tls-key", encrypted.to_str().unwrap()],
    );
    println!("no password: {line}");

    // ECDSA on another curve, and EdDSA.
    for (what, genkey) in [
        (
            "P-384",
            &[
                "ecparam",
                "-genkey",
                "-name",
                "secp384r1",
                "-out",
                "other.key",
            ][..],
        ),
        (
            "Ed25519",
            &["genpkey", "-algorithm", "ed25519", "-out", "other.key"][..],
        ),
    ] {
        pki.openssl(genkey);
        pki.openssl(&[
            "req",
            "-x509",
            "-key",
            "other.key",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
            "-out",
            "other.pem",
        ]);
        let line = assert_start_refused(
            root.path(),
            &[
                "--tls-cert",
                pki.path("other.pem").to_str().unwrap(),
                "--tls-key",
                pki.path("other.key").to_str().unwrap(),
            ],
        );
        assert!(line.contains("mkcert -ecdsa"), "{what}: {line}");
    }

    // The right password, also as `echo` writes it (a final newline).
    pki.dir.write("password-line.txt", "right\n");
    let server = Server::start(
        root.path(),
        &[
            "--tls-cert",
            cert,
            "--tls-key",
            encrypted.to_str().unwrap(),
            "--tls-password-file",
            pki.path("password-line.txt").to_str().unwrap(),
        ],
    );
    assert_still_serves(&server, &pki);
    let server = Server::start(
        root.path(),
        &[
            "--tls-cert",
            cert,
            "--tls-key",
            encrypted.to_str().unwrap(),
            "--tls-password-file",
            pki.path("password.txt").to_str().unwrap(),
        ],
    );
    assert_still_serves(&server, &pki);
}

/// An expired certificate: a warning line at start-up, then it serves.
#[test]
fn expired_certificate_warns_and_serves() {
    require!("openssl", "version");
    let pki = Pki::new("expired");
    let (root, _) = docroot("expired");
    pki.dir.write(
        "ca.cnf",
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = p\nx509_extensions = ext\n[p]\ncommonName = supplied\n\
         [ext]\nbasicConstraints = critical,CA:FALSE\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n",
    );
    pki.dir.write("index.txt", "");
    pki.dir.write("serial", "01\n");
    pki.openssl(&[
        "req",
        "-new",
        "-key",
        "key.pem",
        "-subj",
        "/CN=localhost",
        "-out",
        "req.csr",
    ]);
    pki.openssl(&[
        "ca",
        "-batch",
        "-notext",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "key.pem",
        "-in",
        "req.csr",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200201000000Z",
        "-out",
        "expired.pem",
    ]);
    let server = Server::start(
        root.path(),
        &[
            "--tls-cert",
            pki.path("expired.pem").to_str().unwrap(),
            "--tls-key",
            pki.key.to_str().unwrap(),
        ],
    );
    assert_https_banner(&server);
    let start = Instant::now();
    while !server.log().to_ascii_lowercase().contains("expire") && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("expire"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning line: {log:?}");
    println!("warning: {}", warnings[0]);
    // A client that accepts any certificate is served.
    let mut c = Client::connect(&server, &Offer::default()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(c.get("/a.txt").body, TWENTY);
    // One that checks dates refuses the certificate, as it should.
    let failure = Client::connect(&server, &trusting(&pki)).err();
    assert!(
        failure
            .as_deref()
            .is_some_and(|f| f.starts_with("tls:InvalidCertificate(Expired")),
        "{failure:?}"
    );
}

// ---------------------------------------------------------------------------
// 4. Hostile clients, each followed by a normal one
// ---------------------------------------------------------------------------

/// A hostile client's server: `--timeout 2` so slow ones end soon.
fn hostile_server(tag: &str) -> (Pki, TempDir, Server) {
    let pki = Pki::new(tag);
    let (root, _) = docroot(tag);
    let server = start_tls(&pki, root.path(), &["--timeout", "2"]);
    (pki, root, server)
}

/// Bytes that are no TLS at all, and a handshake record whose ClientHello
/// is four bytes of garbage: an alert (decode_error for the latter) or a
/// close, never a hang.
#[test]
fn garbage_instead_of_a_client_hello() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("garbage");

    let garbage: Vec<u8> = (0..300u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8 | 0x80)
        .collect();
    let (got, closed) = raw_exchange(&server, &garbage);
    assert!(closed, "no close after garbage; got {got:?}");
    if !got.is_empty() {
        assert_eq!(got[0], ALERT, "not an alert record: {got:?}");
        println!("garbage answered with alert {:?}", clear_alert(&got));
    }
    assert_still_serves(&server, &pki);

    let hello = [HANDSHAKE, 3, 1, 0, 8, 1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef];
    let (got, closed) = raw_exchange(&server, &hello);
    assert!(closed, "no close after a garbage ClientHello; got {got:?}");
    assert_eq!(clear_alert(&got), Some((FATAL, DECODE_ERROR)), "{got:?}");
    assert_still_serves(&server, &pki);
}

/// Half a ClientHello, then silence: the server gives up after its request
/// timeout (`--timeout 2`) and closes; others are served meanwhile.
#[test]
fn client_hello_cut_short_then_silence() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("cut");
    let hello = client_hello(&server, &trusting(&pki));
    let mut s = server.connect();
    s.write_all(&hello[..hello.len() / 2]).unwrap();
    assert_still_serves(&server, &pki);
    let (got, closed) = drain(&mut s);
    assert!(
        closed,
        "the half ClientHello was not timed out; got {got:?}"
    );
    assert!(got.is_empty() || got[0] == ALERT, "{got:?}");
    assert_still_serves(&server, &pki);
}

/// One bit flipped in an encrypted application-data record: bad_record_mac
/// and the end of the connection.
#[test]
fn flipped_bit_in_a_record_gets_bad_record_mac() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("bitflip");
    let mut c = Client::to(&server, &pki);
    c.flip(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let end = c.until_end();
    assert_eq!(end, "alert:BadRecordMac");
    assert_still_serves(&server, &pki);
}

/// Records that carry nothing cannot keep a worker busy: a run of more
/// than 32 KeyUpdates (each asking for one back) with no data between
/// them ends the connection with unexpected_message, and a normal client
/// is served meanwhile and after.
#[test]
fn a_run_of_key_updates_gets_unexpected_message() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("keyupdate-flood");
    let mut c = Client::to(&server, &pki);
    for _ in 0..40 {
        c.key_update();
    }
    c.send(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let end = c.until_end();
    assert_eq!(end, "alert:UnexpectedMessage");
    assert_still_serves(&server, &pki);
}

/// A record header announcing 2^14 + 257 bytes, before the handshake (in
/// clear) and after it (protected): record_overflow.
#[test]
fn oversized_record_gets_record_overflow() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("overflow");
    let len = ((1u32 << 14) + 257) as u16;
    let [hi, lo] = len.to_be_bytes();

    let (got, closed) = raw_exchange(&server, &[HANDSHAKE, 3, 1, hi, lo]);
    assert!(closed, "{got:?}");
    assert_eq!(clear_alert(&got), Some((FATAL, RECORD_OVERFLOW)), "{got:?}");
    assert_still_serves(&server, &pki);

    let mut c = Client::to(&server, &pki);
    c.raw(&[APPLICATION_DATA, 3, 3, hi, lo]);
    let end = c.until_end();
    assert_eq!(end, "alert:RecordOverflow");
    assert_still_serves(&server, &pki);
}

/// ChangeCipherSpec records: a flood after the ClientHello (one is
/// allowed for middlebox compatibility) and any before it get
/// unexpected_message and a close.
#[test]
fn change_cipher_spec_flood_gets_unexpected_message() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("ccs");
    let ccs = [CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1];

    // Our Finished is never sent: the server's alert comes protected,
    // after its flight.
    let (mut child, lines) = spawn_probe(&server, &trusting(&pki), &["--ccs-after-hello", "50"]);
    let end = lines.recv_timeout(WAIT);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(end.as_deref(), Ok("end alert:UnexpectedMessage"));
    assert_still_serves(&server, &pki);

    let flood: Vec<u8> = ccs.repeat(50);
    let (got, closed) = raw_exchange(&server, &flood);
    assert!(closed, "{got:?}");
    assert_eq!(
        clear_alert(&got),
        Some((FATAL, UNEXPECTED_MESSAGE)),
        "{got:?}"
    );
    assert_still_serves(&server, &pki);
}

/// Plain HTTP to the TLS port: `400` in clear text, then the close.
#[test]
fn plain_http_to_the_tls_port_gets_400_in_clear() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("plain");
    let (got, closed) = raw_exchange(&server, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert!(closed, "{:?}", String::from_utf8_lossy(&got));
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 400 "), "{text:?}");
    let r = read_response(&mut &got[..], false);
    assert_eq!(r.status, 400);
    assert_still_serves(&server, &pki);
}

/// A ClientHello record taken apart: what comes before the extensions
/// (version, random, session id, suites, compression methods) and the
/// extensions; put back together with every length fixed.
struct Hello {
    head: Vec<u8>,
    extensions: Vec<(u16, Vec<u8>)>,
}

const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;
const ILLEGAL_PARAMETER: u8 = 47;
const PROTOCOL_VERSION: u8 = 70;
const MISSING_EXTENSION: u8 = 109;
const HANDSHAKE_FAILURE: u8 = 40;

impl Hello {
    fn parse(record: &[u8]) -> Hello {
        let be16 = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]) as usize;
        assert_eq!(record[0], HANDSHAKE);
        assert_eq!(be16(record, 3), record.len() - 5, "one record");
        let body = &record[5..];
        assert_eq!(body[0], 1, "a ClientHello");
        let msg = &body[4..];
        let mut i = 2 + 32;
        i += 1 + msg[i] as usize;
        i += 2 + be16(msg, i);
        i += 1 + msg[i] as usize;
        let head = msg[..i].to_vec();
        let mut extensions = Vec::new();
        let mut j = i + 2;
        while j < msg.len() {
            let kind = be16(msg, j) as u16;
            let len = be16(msg, j + 2);
            extensions.push((kind, msg[j + 4..j + 4 + len].to_vec()));
            j += 4 + len;
        }
        Hello { head, extensions }
    }

    fn build(&self) -> Vec<u8> {
        let mut exts = Vec::new();
        for (kind, data) in &self.extensions {
            exts.extend_from_slice(&kind.to_be_bytes());
            exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
            exts.extend_from_slice(data);
        }
        let mut msg = self.head.clone();
        msg.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        msg.extend_from_slice(&exts);
        let mut hs = vec![1];
        hs.extend_from_slice(&(msg.len() as u32).to_be_bytes()[1..]);
        hs.extend_from_slice(&msg);
        let mut record = vec![HANDSHAKE, 3, 1];
        record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        record.extend_from_slice(&hs);
        record
    }

    fn extension(&mut self, kind: u16) -> &mut Vec<u8> {
        &mut self
            .extensions
            .iter_mut()
            .find(|(k, _)| *k == kind)
            .unwrap_or_else(|| panic!("no extension {kind}"))
            .1
    }

    fn without(mut self, kind: u16) -> Hello {
        self.extensions.retain(|(k, _)| *k != kind);
        self
    }

    /// The key of the key_share entry for `group`.
    fn share(&mut self, group: u16) -> &mut [u8] {
        let data = self.extension(EXT_KEY_SHARE);
        let mut i = 2;
        while i < data.len() {
            let g = u16::from_be_bytes([data[i], data[i + 1]]);
            let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
            if g == group {
                return &mut data[i + 4..i + 4 + len];
            }
            i += 4 + len;
        }
        panic!("no key share for group {group:#06x}");
    }
}

/// ClientHellos that break RFC 8446's rules, each made from a real one:
/// the alert the RFC names, in clear, then the close. A compression method
/// other than null and an X25519 share whose shared secret is all zeros or
/// a P-256 share that is not on the curve: illegal_parameter; no
/// signature_algorithms: missing_extension; no supported_versions (a TLS
/// 1.2 hello): protocol_version; pre_shared_key not last: illegal_parameter;
/// a duplicated extension: illegal_parameter or decode_error.
#[test]
fn malformed_client_hellos_get_the_rfc_alerts() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("hellos");
    let x25519 = client_hello(&server, &trusting(&pki));
    let p256 = client_hello(
        &server,
        &Offer {
            groups: &["secp256r1"],
            ..trusting(&pki)
        },
    );
    // The unmodified hellos parse and rebuild to the same bytes.
    assert_eq!(Hello::parse(&x25519).build(), x25519);
    assert_eq!(Hello::parse(&p256).build(), p256);

    let mut cases: Vec<(&str, Vec<u8>, &[u8])> = Vec::new();
    let mut h = Hello::parse(&x25519);
    *h.head.last_mut().unwrap() = 1;
    cases.push(("DEFLATE compression", h.build(), &[ILLEGAL_PARAMETER]));
    let mut h = Hello::parse(&x25519);
    h.share(0x001d).fill(0);
    cases.push(("all-zero X25519 share", h.build(), &[ILLEGAL_PARAMETER]));
    let mut h = Hello::parse(&p256);
    let share = h.share(0x0017);
    assert_eq!(share.len(), 65);
    share[64] ^= 1;
    cases.push(("P-256 point off the curve", h.build(), &[ILLEGAL_PARAMETER]));
    let h = Hello::parse(&x25519).without(EXT_SIGNATURE_ALGORITHMS);
    cases.push(("no signature_algorithms", h.build(), &[MISSING_EXTENSION]));
    let h = Hello::parse(&x25519).without(EXT_SUPPORTED_VERSIONS);
    cases.push(("no supported_versions", h.build(), &[PROTOCOL_VERSION]));
    let mut h = Hello::parse(&x25519);
    // identities: one of 4 bytes, age 0; binders: one of 32 bytes.
    let mut psk = vec![0, 10, 0, 4, b'f', b'a', b'k', b'e', 0, 0, 0, 0, 0, 33, 32];
    psk.extend_from_slice(&[0x42; 32]);
    h.extensions.insert(0, (EXT_PRE_SHARED_KEY, psk));
    cases.push(("pre_shared_key first", h.build(), &[ILLEGAL_PARAMETER]));
    let mut h = Hello::parse(&x25519);
    let groups = h.extension(EXT_SUPPORTED_GROUPS).clone();
    h.extensions.insert(0, (EXT_SUPPORTED_GROUPS, groups));
    cases.push((
        "supported_groups twice",
        h.build(),
        &[ILLEGAL_PARAMETER, DECODE_ERROR],
    ));

    for (what, hello, expected) in cases {
        let (got, closed) = raw_exchange(&server, &hello);
        assert!(closed, "{what}: no close; got {got:?}");
        let alert = clear_alert(&got);
        assert!(
            matches!(alert, Some((FATAL, d)) if expected.contains(&d)),
            "{what}: expected a fatal alert {expected:?}, got {alert:?} in {got:?}"
        );
    }
    assert_still_serves(&server, &pki);
}

/// Reads from `s` until at least one whole record has come; the records.
fn first_records(s: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while records(&got).is_empty() {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    records(&got)
}

/// The ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// After a HelloRetryRequest for X25519, a second ClientHello that still
/// has no X25519 share (the first one again) is refused with
/// illegal_parameter, never a second HelloRetryRequest (§4.1.4).
#[test]
fn second_client_hello_without_the_asked_share_is_refused() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("hrr-twice");
    let hello = client_hello(
        &server,
        &Offer {
            groups: &["secp384r1", "X25519"],
            ..trusting(&pki)
        },
    );
    let mut s = server.connect();
    s.write_all(&hello).unwrap();
    let answer = first_records(&mut s);
    let (kind, body) = answer.first().expect("an answer to the ClientHello");
    assert_eq!(*kind, HANDSHAKE, "{answer:?}");
    assert_eq!(body[0], 2, "a ServerHello: {answer:?}");
    assert_eq!(body[6..38], HRR_RANDOM, "a HelloRetryRequest: {answer:?}");
    s.write_all(&hello).unwrap();
    let (got, closed) = drain(&mut s);
    assert!(closed, "{got:?}");
    assert!(
        !records(&got).iter().any(|(k, _)| *k == HANDSHAKE),
        "a second HelloRetryRequest: {got:?}"
    );
    assert_eq!(
        clear_alert(&got),
        Some((FATAL, ILLEGAL_PARAMETER)),
        "{got:?}"
    );
    assert_still_serves(&server, &pki);
}

/// Records in clear that a server must refuse or ignore: application data
/// or an unknown content type before the ClientHello gets
/// unexpected_message; the client's own fatal alert ends the connection
/// without an answer; a ClientHello record whose legacy_record_version is
/// 3.0 or 3.3 is answered (the field is ignored, §5.1).
#[test]
fn records_of_the_wrong_kind_in_clear() {
    require!("openssl", "version");
    let (pki, _root, server) = hostile_server("record-kinds");
    for (what, bytes) in [
        (
            "application data first",
            &[APPLICATION_DATA, 3, 3, 0, 5, 1, 2, 3, 4, 5][..],
        ),
        ("content type 25", &[25, 3, 3, 0, 1, 0][..]),
    ] {
        let (got, closed) = raw_exchange(&server, bytes);
        assert!(closed, "{what}: {got:?}");
        assert_eq!(
            clear_alert(&got),
            Some((FATAL, UNEXPECTED_MESSAGE)),
            "{what}: {got:?}"
        );
    }
    let (got, closed) = raw_exchange(&server, &[ALERT, 3, 3, 0, 2, FATAL, HANDSHAKE_FAILURE]);
    assert!(closed && got.is_empty(), "an alert answered: {got:?}");

    let hello = client_hello(&server, &trusting(&pki));
    for version in [[3, 0], [3, 3]] {
        let mut hello = hello.clone();
        hello[1..3].copy_from_slice(&version);
        let mut s = server.connect();
        s.write_all(&hello).unwrap();
        let answer = first_records(&mut s);
        assert!(
            matches!(answer.first(), Some((HANDSHAKE, body)) if body[0] == 2),
            "record version {version:?}: no ServerHello but {answer:?}"
        );
    }
    assert_still_serves(&server, &pki);
}

/// A client whose signature_algorithms leave out ecdsa_secp256r1_sha256,
/// the one scheme the server's P-256 key can make: handshake_failure.
#[test]
fn no_usable_signature_scheme_gets_handshake_failure() {
    require!("openssl", "version");
    let pki = Pki::new("sigalgs");
    let (root, _) = docroot("sigalgs");
    let server = start_tls(&pki, root.path(), &[]);
    let offer = Offer {
        no_p256_signatures: true,
        ..Offer::default()
    };
    let failure = Client::connect(&server, &offer)
        .err()
        .expect("no common signature scheme must fail");
    assert_eq!(failure, "alert:HandshakeFailure");
    assert_still_serves(&server, &pki);
}

/// Records of at most 64 bytes (rustls's `max_fragment_size`): the
/// ClientHello arrives as one handshake message split over four records
/// (RFC 8446 §5.1 lets a client fragment it), and the server puts it back
/// together; big.bin and a request follow in small records too.
#[test]
fn client_hello_split_over_several_records() {
    require!("openssl", "version");
    let pki = Pki::new("fragments");
    let (root, big) = docroot("fragments");
    let server = start_tls(&pki, root.path(), &[]);
    let offer = Offer {
        max_fragment: Some(64),
        ..trusting(&pki)
    };
    let mut c = Client::connect(&server, &offer)
        .unwrap_or_else(|f| panic!("a ClientHello in 64-byte records: {f}"));
    let r = c.get("/big.bin");
    assert!(r.status == 200 && r.body == big);
    let r = c.get("/a.txt");
    assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
}

/// A request sent as many small records (a 6 000-byte header in 100-byte
/// pieces, each its own record) is put back together and answered; so
/// are two requests in one record, and one cut across two.
#[test]
fn requests_split_over_many_records() {
    require!("openssl", "version");
    let pki = Pki::new("request-records");
    let (root, _) = docroot("request-records");
    let server = start_tls(&pki, root.path(), &[]);
    let mut c = Client::to(&server, &pki);
    let pad = "p".repeat(6000);
    let raw = format!("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Pad: {pad}\r\n\r\n");
    for piece in raw.as_bytes().chunks(100) {
        c.send(piece);
    }
    let r = read_response(&mut c, false);
    assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
    let two =
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/inner.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    let (first, second) = two.split_at(50);
    c.send(first);
    c.send(second);
    let r = read_response(&mut c, false);
    assert_eq!(r.body, TWENTY);
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"inner\n");
    let log = server.wait_log("\"GET /sub/inner.txt HTTP/1.1\" 200 6");
    assert_eq!(log.lines().count(), 3, "{log}");
}

/// A TCP proxy on a free port that passes the client's bytes to `port`
/// one at a time (each in its own segment) and the server's unchanged.
fn trickle_proxy(port: u16) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let server = TcpStream::connect(("127.0.0.1", port)).unwrap();
        server.set_nodelay(true).unwrap();
        let (mut from_client, mut to_server) =
            (client.try_clone().unwrap(), server.try_clone().unwrap());
        let (mut from_server, mut to_client) = (server, client);
        std::thread::spawn(move || {
            let _ = io::copy(&mut from_server, &mut to_client);
            let _ = to_client.shutdown(std::net::Shutdown::Write);
        });
        let mut byte = [0u8; 1];
        while let Ok(1) = from_client.read(&mut byte) {
            if to_server.write_all(&byte).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = to_server.shutdown(std::net::Shutdown::Write);
    });
    proxy_port
}

/// Everything the client sends arrives one byte at a time: the server
/// waits for whole records, and the handshake and a request still work.
#[test]
fn client_bytes_arriving_one_at_a_time() {
    require!("openssl", "version");
    let pki = Pki::new("trickle");
    let (root, big) = docroot("trickle");
    let server = start_tls(&pki, root.path(), &[]);
    let port = trickle_proxy(server.port);
    let mut c =
        Client::connect_at("127.0.0.1", port, &trusting(&pki)).unwrap_or_else(|f| panic!("{f}"));
    let r = c.get("/big.bin");
    assert!(r.status == 200 && r.body == big);
    c.key_update();
    let r = c.get("/a.txt");
    assert_eq!((r.status, r.body.as_slice()), (200, TWENTY));
}

/// Twenty-four connections at once, every suite and group among them, each
/// fetching three files on keep-alive: every body is right (no state is
/// shared between connections).
#[test]
fn concurrent_connections_each_get_their_own_bytes() {
    require!("openssl", "version");
    let pki = Pki::new("concurrent");
    let (root, big) = docroot("concurrent");
    let server = start_tls(&pki, root.path(), &[]);
    let clients: Vec<Client> = (0..24)
        .map(|i| {
            let offer = Offer {
                suites: &ALL_SUITES[i % 3..i % 3 + 1],
                groups: &BOTH_GROUPS[i % 2..i % 2 + 1],
                ..trusting(&pki)
            };
            Client::connect(&server, &offer).unwrap_or_else(|f| panic!("{i}: {f}"))
        })
        .collect();
    let big = Arc::new(big);
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            let big = big.clone();
            std::thread::spawn(move || {
                for path in ["/big.bin", "/a.txt", "/big.bin"] {
                    let r = c.get(path);
                    assert_eq!(r.status, 200, "{path}");
                    let expected: &[u8] = if path == "/a.txt" { TWENTY } else { &big };
                    assert!(r.body == expected, "{path} differs");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a connection failed");
    }
}

// ---------------------------------------------------------------------------
// 5. The access log
// ---------------------------------------------------------------------------

/// One log line per request over TLS, the same as the plain server writes
/// for the same requests (but the time).
#[test]
fn access_log_over_tls_matches_plain_http() {
    require!("openssl", "version");
    let pki = Pki::new("log");
    let (root, _) = docroot("log");
    let tls = start_tls(&pki, root.path(), &[]);
    let plain = Server::start(root.path(), &[]);
    let paths = ["/a.txt", "/missing", "/sub/", "/sub", "/big.bin"];

    let mut c = Client::to(&tls, &pki);
    for path in paths {
        c.get(path);
    }
    c.send(b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nConnection: close\r\n\r\n");
    read_response(&mut c, true);
    let mut s = plain.connect();
    for path in paths {
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap();
        read_response(&mut s, false);
    }
    s.write_all(
        b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    read_response(&mut s, true);

    let last = "\"HEAD /a.txt HTTP/1.1\" 206 2";
    let tls_log = tls.wait_log(last);
    let plain_log = plain.wait_log(last);
    // `127.0.0.1 - - [29/Nov/2026 02:01:20] "GET /a.txt HTTP/1.1" 200 20`
    let shape = |log: &str| -> Vec<String> {
        log.lines()
            .map(|l| {
                let (before, after) = l.split_once("] ").unwrap_or_else(|| panic!("{l}"));
                assert!(before.starts_with("127.0.0.1 - - ["), "{l}");
                after.to_string()
            })
            .collect()
    };
    let tls_lines = shape(&tls_log);
    assert_eq!(tls_lines.len(), paths.len() + 1, "{tls_log}");
    assert_eq!(tls_lines, shape(&plain_log));
    assert_eq!(tls_lines[0], "\"GET /a.txt HTTP/1.1\" 200 20");
}
