//! The access log as operators read it: every `--log-format` from the real
//! binary, the JSON lines checked by Python's `json` module, the combined
//! log by goaccess (skipped, with a note, where it is not installed),
//! `--log FILE`, and `-q`.

mod common;
use common::*;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REFERER: &str = "http://example.com/from?x=1";
const AGENT: &str = "logs-test/1.0 (X11; Linux)";

/// The request each format's test logs: a query, a Referer, a User-Agent.
fn sample(server: &Server) {
    let r = server.get(
        "/a.txt?q=1",
        &[
            &format!("Referer: {REFERER}"),
            &format!("User-Agent: {AGENT}"),
        ],
    );
    assert_eq!(r.status, 200);
}

/// A served directory with `a.txt` (5 bytes).
fn site(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    dir.write("a.txt", "hello");
    dir
}

/// The log's only line once it has one, without its newline.
fn only_line(server: &Server) -> String {
    let log = server.wait_log("\n");
    assert_eq!(log.matches('\n').count(), 1, "{log:?}");
    log.trim_end_matches('\n').to_string()
}

/// `text` with every digit as `9` and the month name as `Mon`: the shape
/// of a timestamp.
fn shape(text: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    for m in MONTHS {
        out = out.replace(&format!("/{m}/"), "/Mon/");
    }
    out
}

/// `line` split at its bracketed time: before, the time's shape, after.
fn split_time(line: &str) -> (&str, String, &str) {
    let open = line
        .find('[')
        .unwrap_or_else(|| panic!("no time in {line:?}"));
    let close = line.find(']').unwrap();
    (
        &line[..open],
        shape(&line[open + 1..close]),
        &line[close + 1..],
    )
}

#[test]
fn python_format_is_the_default() {
    let dir = site("log-python");
    let server = Server::start(dir.path(), &[]);
    sample(&server);
    let line = only_line(&server);
    let (before, time, after) = split_time(&line);
    assert_eq!(before, "127.0.0.1 - - ");
    assert_eq!(time, "99/Mon/9999 99:99:99");
    assert_eq!(after, " \"GET /a.txt?q=1 HTTP/1.1\" 200 5");
    // Named, it is the same.
    let server = Server::start(dir.path(), &["--log-format", "python"]);
    sample(&server);
    assert_eq!(split_time(&only_line(&server)).2, after);
}

#[test]
fn common_format() {
    let dir = site("log-common");
    let server = Server::start(dir.path(), &["--log-format", "common"]);
    sample(&server);
    let line = only_line(&server);
    let (before, time, after) = split_time(&line);
    assert_eq!(before, "127.0.0.1 - - ");
    assert_eq!(time, "99/Mon/9999:99:99:99 +9999");
    assert!(line.contains(" +0000]"), "{line}");
    assert_eq!(after, " \"GET /a.txt?q=1 HTTP/1.1\" 200 5");
    // Apache's %b: `-` when no body bytes are sent.
    let r = server.request(&request("HEAD", "/a.txt", &[]));
    assert_eq!(r.status, 200);
    let log = server.wait_log("HEAD");
    assert!(log.ends_with("\"HEAD /a.txt HTTP/1.1\" 200 -\n"), "{log}");
}

#[test]
fn combined_format() {
    let dir = site("log-combined");
    let server = Server::start(dir.path(), &["--log-format", "combined"]);
    sample(&server);
    let line = only_line(&server);
    let (before, time, after) = split_time(&line);
    assert_eq!(before, "127.0.0.1 - - ");
    assert_eq!(time, "99/Mon/9999:99:99:99 +9999");
    assert_eq!(
        after,
        format!(" \"GET /a.txt?q=1 HTTP/1.1\" 200 5 \"{REFERER}\" \"{AGENT}\"")
    );
    // Absent: `"-"`.
    let r = server.request(b"GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 404);
    let log = server.wait_log("/none");
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"GET /none HTTP/1.1\" 404 ") && last.ends_with(" \"-\" \"-\""));
}

#[test]
fn json_format() {
    let dir = site("log-json");
    let server = Server::start(dir.path(), &["--log-format", "json"]);
    sample(&server);
    let line = only_line(&server);
    let (prefix, rest) = line.split_at(line.find("\",\"client\"").unwrap());
    assert_eq!(shape(prefix), "{\"time\":\"9999-99-99T99:99:99Z");
    let (middle, tail) = rest.split_at(rest.find(",\"duration_us\":").unwrap());
    assert_eq!(
        middle,
        "\",\"client\":\"127.0.0.1\",\"user\":\"\",\"method\":\"GET\",\"path\":\"/a.txt?q=1\",\
         \"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":5"
    );
    let (duration, rest) = tail
        .strip_prefix(",\"duration_us\":")
        .and_then(|t| t.split_once(','))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(duration.parse::<u64>().is_ok(), "{line}");
    assert_eq!(
        rest,
        format!("\"referer\":\"{REFERER}\",\"user_agent\":\"{AGENT}\"}}")
    );
}

/// Runs `script` with `python3 -c`, `input` on its standard input; its
/// standard output.
fn python(script: &str, input: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the JSON log test needs it)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Python's strict `json.loads` of every line: for each, its keys, its
/// values, each string's bytes (read back as Latin-1, one character a
/// byte) and whether its time is RFC 3339 and within a minute of now.
const PARSE_JSON_LINES: &str = r#"
import datetime, json, sys
rows = []
for line in sys.stdin.buffer.read().split(b"\n")[:-1]:
    o = json.loads(line)
    t = datetime.datetime.fromisoformat(o["time"].replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    rows.append({
        "keys": list(o),
        "values": o,
        "bytes_of": {k: list(v.encode("latin-1")) for k, v in o.items() if isinstance(v, str)},
        "time_ok": t.tzinfo == datetime.timezone.utc and abs((now - t).total_seconds()) < 60,
    })
print(json.dumps(rows))
"#;

/// Sends `raw` on a new connection and reads its response; its status.
fn send(server: &Server, raw: &[u8]) -> u16 {
    server.request(raw).status
}

#[test]
fn json_lines_are_valid_json_whatever_was_sent() {
    let dir = site("log-json-hostile");
    dir.write("caf\u{e9}.txt", "x");
    let server = Server::start(dir.path(), &["--log-format", "json"]);
    let hostile_target: &[u8] = b"/\x1b[31m\"\\\x7f\xff\xc3\xa9%00?q=\"}{\\u0041";
    let mut raw = b"GET ".to_vec();
    raw.extend(hostile_target);
    raw.extend(b" HTTP/1.1\r\nHost: x\r\nReferer: \"\\\xfe\x80 x\r\n");
    raw.extend(b"User-Agent: a\tb\"}\r\nConnection: close\r\n\r\n");
    let long_agent = "u".repeat(1000);
    let mut sent: Vec<(Vec<u8>, u16)> = vec![
        (raw, 0),
        (
            request(
                "GET",
                "/caf%C3%A9.txt",
                &[&format!("User-Agent: {long_agent}")],
            ),
            200,
        ),
        (request("HEAD", "/a.txt", &[]), 200),
        (b"BAD\r\n\r\n".to_vec(), 400),
        (b"\x16\x03\x01\x00\xa5\x01\r\n\r\n".to_vec(), 400),
    ];
    // A head too large to read whole: logged as far as it was read.
    let mut big = b"GET /big HTTP/1.1\r\nX: ".to_vec();
    big.extend(vec![b'a'; 9000]);
    big.extend(b"\r\nUser-Agent: unseen\r\n\r\n");
    sent.push((big, 431));
    for (raw, status) in &sent {
        let got = send(&server, raw);
        if *status != 0 {
            assert_eq!(got, *status, "{:?}", String::from_utf8_lossy(raw));
        }
    }
    let n = sent.len();
    let start = Instant::now();
    while server.log().matches('\n').count() < n && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    assert!(log.is_ascii(), "{log}");
    let rows: serde_json::Value =
        serde_json::from_str(&python(PARSE_JSON_LINES, log.as_bytes())).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), n, "{log}");
    let keys = [
        "time",
        "client",
        "user",
        "method",
        "path",
        "protocol",
        "status",
        "bytes",
        "duration_us",
        "referer",
        "user_agent",
    ];
    for row in rows {
        assert_eq!(row["keys"], serde_json::json!(keys), "{log}");
        assert_eq!(row["time_ok"], true, "{log}");
        assert!(row["values"]["duration_us"].is_u64(), "{log}");
        assert_eq!(row["values"]["client"], "127.0.0.1");
    }
    let bytes = |row: &serde_json::Value, key: &str| -> Vec<u8> {
        let list = row["bytes_of"][key].as_array().unwrap();
        list.iter().map(|b| b.as_u64().unwrap() as u8).collect()
    };
    // The connections may be logged in any order: find each by its line.
    let find = |method: &[u8], path: &[u8]| {
        rows.iter()
            .find(|r| bytes(r, "method") == method && bytes(r, "path") == path)
            .unwrap_or_else(|| panic!("no line for {path:?} in {log}"))
    };
    // Every byte comes back exactly.
    let hostile = find(b"GET", hostile_target);
    assert_eq!(bytes(hostile, "protocol"), b"HTTP/1.1");
    assert_eq!(bytes(hostile, "referer"), b"\"\\\xfe\x80 x");
    assert_eq!(bytes(hostile, "user_agent"), b"a\tb\"}");
    let cafe = find(b"GET", b"/caf%C3%A9.txt");
    assert_eq!(cafe["values"]["status"], 200);
    assert_eq!(cafe["values"]["bytes"], 1);
    let agent = cafe["values"]["user_agent"].as_str().unwrap();
    assert_eq!(agent, format!("{}...", "u".repeat(240)));
    let head = find(b"HEAD", b"/a.txt");
    assert_eq!(head["values"]["bytes"], 0, "no body is sent for HEAD");
    let bad = find(b"BAD", b"");
    assert_eq!(bad["values"]["status"], 400);
    assert_eq!(bad["values"]["protocol"], "");
    let tls = find(b"\x16\x03\x01\x00\xa5\x01", b"");
    assert_eq!(tls["values"]["status"], 400);
    let big = find(b"GET", b"/big");
    assert_eq!(big["values"]["status"], 431);
    assert_eq!(big["values"]["user_agent"], "");
}

#[test]
fn json_duration_counts_from_the_first_byte() {
    let dir = site("log-duration");
    let server = Server::start(dir.path(), &["--log-format", "json"]);
    let mut s = server.connect();
    s.write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(b"Connection: close\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, false).status, 200);
    let line = only_line(&server);
    let us: u64 = line
        .split(",\"duration_us\":")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {line}"));
    assert!((250_000..WAIT.as_micros() as u64).contains(&us), "{line}");
}

#[test]
fn goaccess_reads_the_combined_log() {
    if !have("goaccess") {
        eprintln!("note: goaccess is not installed (apt-get install goaccess); skipped");
        return;
    }
    let dir = site("log-goaccess");
    let server = Server::start(dir.path(), &["--log-format", "combined"]);
    let requests: Vec<Vec<u8>> = vec![
        request(
            "GET",
            "/a.txt?q=1",
            &[
                &format!("Referer: {REFERER}"),
                &format!("User-Agent: {AGENT}"),
            ],
        ),
        request("HEAD", "/a.txt", &["User-Agent: curl/8.5.0"]),
        request("GET", "/missing", &["Referer: http://other.example/"]),
        b"GET /\x1b\"\\\xff x HTTP/1.1\r\nHost: x\r\nUser-Agent: \"}\xff\r\n\r\n".to_vec(),
        b"BAD\r\n\r\n".to_vec(),
    ];
    for raw in &requests {
        send(&server, raw);
    }
    let start = Instant::now();
    while server.log().matches('\n').count() < requests.len() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    let file = dir.write("access.log", &log);
    let report = dir.path().join("report.json");
    run_ok(
        Command::new("goaccess")
            .arg(&file)
            .args(["--log-format=COMBINED", "--no-global-config", "-o"])
            .arg(&report),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let general = &report["general"];
    let n = requests.len();
    assert_eq!(general["total_requests"], n, "{general}\n{log}");
    assert_eq!(general["valid_requests"], n, "{general}\n{log}");
    assert_eq!(general["failed_requests"], 0, "{general}\n{log}");
    // Its bandwidth is the sum of the sizes, `-` read as none.
    let sizes: u64 = log
        .lines()
        .filter_map(|l| {
            l.split("\" ")
                .nth(1)?
                .split(' ')
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(sizes > 0, "{log}");
    assert_eq!(general["bandwidth"], sizes, "{general}\n{log}");
}

#[test]
fn quiet_silences_every_format() {
    let dir = site("log-quiet");
    let file = dir.path().join("quiet.log");
    for format in ["python", "common", "combined", "json"] {
        let args = [
            "-q",
            "--log-format",
            format,
            "--log",
            file.to_str().unwrap(),
        ];
        let server = Server::start(dir.path(), &args);
        sample(&server);
        send(&server, b"BAD\r\n\r\n");
        // Lines are written at the end of the loop turn that answered.
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(server.log(), "", "{format}");
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(written, "", "{format}");
    }
}

/// Waits until the file at `path` contains `needle`; its text.
fn wait_file(path: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || start.elapsed() > WAIT {
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn log_file_is_appended_to() {
    let dir = site("log-file");
    let file = dir.write("access.log", "an earlier line\n");
    let args = ["--log", file.to_str().unwrap(), "--log-format", "combined"];
    let server = Server::start(dir.path(), &args);
    sample(&server);
    let text = wait_file(&file, "/a.txt?q=1");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("an earlier line"), "{text}");
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("nothing logged: {text:?}"));
    assert!(
        line.starts_with("127.0.0.1 - - [") && line.ends_with(&format!("\"{AGENT}\"")),
        "{text}"
    );
    assert_eq!(lines.next(), None, "{text}");
    // Nothing goes to standard error any more.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!server.log().contains("/a.txt"), "{}", server.log());
}

#[test]
fn log_file_is_reopened_after_rotation() {
    let dir = site("log-rotate");
    // The directory of the log is writable by the user httpd serves as
    // (nobody, when the tests run as root), as /var/log/httpd would be:
    // after the switch, httpd creates the new file as that user.
    common::chmod(dir.path(), 0o777);
    let file = dir.path().join("access.log");
    let server = Server::start(dir.path(), &["--log", file.to_str().unwrap()]);
    server.get("/a.txt?first", &[]);
    assert!(wait_file(&file, "/a.txt?first").contains("/a.txt?first"));
    // What logrotate does: move the file away, then signal.
    for (n, signal) in [(1, "HUP"), (2, "USR1")] {
        let moved = dir.path().join(format!("access.log.{n}"));
        std::fs::rename(&file, &moved).unwrap();
        server.signal(signal);
        let needle = format!("/a.txt?after-{signal}");
        let start = Instant::now();
        while !std::fs::read_to_string(&file)
            .unwrap_or_default()
            .contains(&needle)
            && start.elapsed() < WAIT
        {
            server.get(&needle, &[]);
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(text.contains(&needle), "SIG{signal}: {text:?}");
        let old = std::fs::read_to_string(&moved).unwrap();
        assert!(!old.is_empty() && old.ends_with('\n'), "{old:?}");
    }
    let first = std::fs::read_to_string(dir.path().join("access.log.1")).unwrap();
    assert!(first.starts_with("127.0.0.1 - - [") && first.contains("/a.txt?first"));
}
