//! Whole-folder tar downloads (`GET /dir/?download=tar`) against the real
//! binary: the archive read back by GNU tar and Python's `tarfile` and
//! compared with the fixture tree, member order, skipped entries
//! (symlinks out of the root or to directories, dangling links, FIFOs,
//! hidden dotfiles), headers, HEAD, ranges and `curl -C -`, the ETag and
//! conditional requests, `--no-listing`, a file changing size while it is
//! sent, and a tree of 1,000 files.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Makes everything under `dir` (not following symlinks) world-readable:
/// directories 755, files 644. The server runs as `nobody` when the tests
/// run as root.
fn world_readable(dir: &Path) {
    chmod(dir, 0o755);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            world_readable(&entry.path());
        } else if ft.is_file() {
            chmod(&entry.path(), 0o644);
        }
    }
}

fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Sends `raw` and reads until the server closes: the parsed head and
/// EVERY byte after it (so the body's real length can be asserted).
fn exchange(server: &Server, raw: &[u8]) -> (Response, Vec<u8>) {
    let mut s = server.connect();
    s.write_all(raw).unwrap();
    read_capped(&mut s)
}

/// Reads a response until the server closes, but fails rather than
/// reading more than its Content-Length (plus a little) of body: a server
/// that sends forever is a failure, not an out-of-memory test process.
fn read_capped(s: &mut impl Read) -> (Response, Vec<u8>) {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut cap = usize::MAX;
    loop {
        let n = s.read(&mut buf).expect("read to EOF");
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
        if cap == usize::MAX
            && let Some(end) = all.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let (head, _) = split_head(&all[..end + 4]);
            let len = head
                .header("Content-Length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(64 << 20);
            cap = end + 4 + len + 64 * 1024;
        }
        assert!(
            all.len() <= cap,
            "the server sent more than its Content-Length: {} bytes so far \
             after the head {:?}; the bytes past the announced end are {}",
            all.len(),
            String::from_utf8_lossy(
                &all[..all.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0)]
            ),
            if all[cap - 64 * 1024..].iter().all(|&b| b == 0) {
                "all zeros"
            } else {
                "not all zeros"
            }
        );
    }
    split_head(&all)
}

fn get_all(server: &Server, path: &str, headers: &[&str]) -> (Response, Vec<u8>) {
    exchange(server, &request("GET", path, headers))
}

/// The ETag, checked to be strong (`"..."`, no `W/`, no inner quote) and
/// of the form `"tar-...-..."`.
fn tar_etag(r: &Response) -> String {
    let tag = strong_etag(r);
    assert!(
        tag.starts_with("\"tar-") && tag[1..tag.len() - 1].split('-').count() == 3,
        "not a strong \"tar-<hash>-<len>\" tag: {tag:?}"
    );
    tag
}

/// Downloads `dir_path?download=tar` with the raw client and checks the
/// headers of a full 200 answer; the response and the archive.
fn download(server: &Server, dir_path: &str, name: &str) -> (Response, Vec<u8>) {
    let (r, body) = get_all(server, &format!("{dir_path}?download=tar"), &[]);
    assert_eq!(r.status, 200, "{r:?} {:?}", String::from_utf8_lossy(&body));
    assert_eq!(r.header("Content-Type"), Some("application/x-tar"));
    assert_eq!(
        r.header("Content-Disposition"),
        Some(format!("attachment; filename=\"{name}.tar\"").as_str())
    );
    assert_eq!(
        r.header("Content-Length"),
        Some(body.len().to_string().as_str()),
        "Content-Length differs from the bytes received"
    );
    assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
    assert!(r.header("Content-Range").is_none());
    tar_etag(&r);
    assert_eq!(body.len() % 512, 0, "archive not a whole number of blocks");
    assert!(body.len() >= 1024 + 512);
    assert!(
        body[body.len() - 1024..].iter().all(|&b| b == 0),
        "no two zero blocks at the end"
    );
    (r, body)
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------
// The oracle: what the archive should hold, from the tree itself
// ---------------------------------------------------------------------------

/// One expected archive member.
#[derive(Debug, Clone)]
struct Expected {
    /// `top/a/b`, no trailing slash.
    name: String,
    dir: bool,
    /// Where its metadata and bytes come from (a symlink's target).
    source: PathBuf,
}

/// The members of `dir`'s archive named `top`, by the documented rules:
/// the directory first, then breadth-first, within a directory
/// directories before files, each group by name (bytewise); symlinks kept
/// as the regular file they lead to when that is inside `root`, else
/// skipped; anything but regular files and directories skipped; dotfiles
/// skipped when `hide`.
fn expected_members(root: &Path, dir: &Path, top: &str, hide: bool) -> Vec<Expected> {
    let canon_root = std::fs::canonicalize(root).unwrap();
    let mut out = vec![Expected {
        name: top.to_string(),
        dir: true,
        source: dir.to_path_buf(),
    }];
    let mut next = 0;
    while next < out.len() {
        let parent = out[next].clone();
        next += 1;
        if !parent.dir {
            continue;
        }
        let mut kids: Vec<(bool, Vec<u8>, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&parent.source).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().as_bytes().to_vec();
            if hide && name.starts_with(b".") {
                continue;
            }
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let ft = meta.file_type();
            if ft.is_dir() {
                kids.push((true, name, path));
            } else if ft.is_file() {
                kids.push((false, name, path));
            } else if ft.is_symlink() {
                let Ok(target) = std::fs::canonicalize(&path) else {
                    continue; // dangling
                };
                if target.starts_with(&canon_root) && std::fs::metadata(&target).unwrap().is_file()
                {
                    kids.push((false, name, target));
                }
            }
        }
        kids.sort_by(|a, b| (!a.0, &a.1).cmp(&(!b.0, &b.1)));
        for (dir, name, source) in kids {
            out.push(Expected {
                name: format!("{}/{}", parent.name, String::from_utf8(name).unwrap()),
                dir,
                source,
            });
        }
    }
    out
}

/// One member as a reader reports it: name (no trailing slash), kind
/// ("dir", "file", or the raw typeflag), size, permission bits, mtime, and
/// the SHA-256 of the body (files).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    name: String,
    kind: String,
    size: u64,
    mode: u32,
    mtime: i64,
    sha256: String,
}

fn listed_from_expected(e: &Expected) -> Listed {
    let meta = std::fs::metadata(&e.source).unwrap();
    Listed {
        name: e.name.clone(),
        kind: if e.dir { "dir" } else { "file" }.to_string(),
        size: if e.dir { 0 } else { meta.len() },
        mode: meta.permissions().mode() & 0o7777,
        mtime: meta
            .modified()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
        sha256: if e.dir {
            String::new()
        } else {
            sha256_hex(&std::fs::read(&e.source).unwrap())
        },
    }
}

const PY_LIST: &str = r#"
import hashlib, json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], 'r:', encoding='utf-8', errors='strict') as t:
    for m in t:
        kind = 'dir' if m.isdir() else 'file' if m.isreg() else m.type.decode('latin-1')
        digest = ''
        if m.isreg():
            digest = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        out.append([m.name.rstrip('/'), kind, m.size, m.mode, int(m.mtime), digest])
print(json.dumps(out))
"#;

/// The archive's members as Python's `tarfile` reads them.
fn python_list(archive: &[u8]) -> Vec<Listed> {
    let tmp = TempDir::new("py-list");
    let path = tmp.write("a.tar", archive);
    let out = run_ok(Command::new("python3").arg("-c").arg(PY_LIST).arg(&path));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| Listed {
            name: m[0].as_str().unwrap().to_string(),
            kind: m[1].as_str().unwrap().to_string(),
            size: m[2].as_u64().unwrap(),
            mode: m[3].as_u64().unwrap() as u32,
            mtime: m[4].as_i64().unwrap(),
            sha256: m[5].as_str().unwrap().to_string(),
        })
        .collect()
}

/// Python's listing equals the oracle's, member for member, in order; and
/// every member's parent comes before it.
fn assert_python_agrees(archive: &[u8], expected: &[Expected]) {
    let got = python_list(archive);
    let want: Vec<Listed> = expected.iter().map(listed_from_expected).collect();
    let names = |v: &[Listed]| v.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "member names or order differ");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "member {} differs", w.name);
    }
    let mut seen = std::collections::HashSet::new();
    for (i, m) in got.iter().enumerate() {
        if i > 0 {
            let parent = &m.name[..m.name.rfind('/').expect("a member outside the top dir")];
            assert!(
                seen.contains(parent),
                "{} comes before its parent {parent}",
                m.name
            );
        }
        seen.insert(m.name.clone());
    }
}

/// What a tree holds: relative path -> (is_dir, permission bits, bytes).
type Tree = BTreeMap<Vec<u8>, (bool, u32, Vec<u8>)>;

/// Reads the tree beneath `dir` (`dir` itself as the empty path), as it
/// is on disk: any symlink, FIFO or other file there is a failure.
fn read_tree(dir: &Path) -> Tree {
    let meta = std::fs::metadata(dir).unwrap();
    let mut tree = Tree::new();
    tree.insert(
        Vec::new(),
        (true, meta.permissions().mode() & 0o7777, Vec::new()),
    );
    walk_tree(dir, &mut |rel, path, meta| {
        let rel = rel.as_os_str().as_bytes().to_vec();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            tree.insert(rel, (true, mode, Vec::new()));
        } else if meta.is_file() {
            tree.insert(rel, (false, mode, std::fs::read(path).unwrap()));
        } else {
            panic!("extracted {} is neither file nor directory", path.display());
        }
    });
    tree
}

/// The tree the oracle's members describe, beneath the top directory.
fn expected_tree(expected: &[Expected]) -> Tree {
    let top = &expected[0].name;
    expected
        .iter()
        .map(|e| {
            let rel = e.name[top.len()..]
                .trim_start_matches('/')
                .as_bytes()
                .to_vec();
            let meta = std::fs::metadata(&e.source).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let bytes = if e.dir {
                Vec::new()
            } else {
                std::fs::read(&e.source).unwrap()
            };
            (rel, (e.dir, mode, bytes))
        })
        .collect()
}

fn assert_trees_equal(got: &Tree, want: &Tree) {
    let show = |t: &Tree| {
        t.keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(show(got), show(want), "the extracted paths differ");
    for (k, (gd, gm, gb)) in got {
        let (wd, wm, wb) = &want[k];
        let name = String::from_utf8_lossy(k);
        assert_eq!(
            (gd, gm, gb.len()),
            (wd, wm, wb.len()),
            "{name}: kind, mode or size"
        );
        assert!(gb == wb, "{name}: contents differ");
    }
}

/// Runs GNU tar `-xf FILE` into a new directory `x` in `tmp`: that
/// directory and tar's output (for the caller to judge).
fn gnu_tar_extract(file: &Path, tmp: &Path) -> (PathBuf, std::process::Output) {
    let dest = tmp.join("x");
    std::fs::create_dir(&dest).unwrap();
    let out = Command::new("tar")
        .arg("-xf")
        .arg(file)
        .arg("-C")
        .arg(&dest)
        .output()
        .expect("run tar");
    (dest, out)
}

/// Extracts `archive` with GNU tar (which must say nothing on stderr) and
/// compares the result with the oracle byte for byte.
fn assert_gnu_tar_extracts(archive: &[u8], expected: &[Expected]) {
    let tmp = TempDir::new("gnu-tar");
    let file = tmp.write("a.tar", archive);
    let (dest, out) = gnu_tar_extract(&file, tmp.path());
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "GNU tar -x: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let top = &expected[0].name;
    let tops: Vec<_> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(tops, vec![top.clone()], "one top directory");
    assert_trees_equal(&read_tree(&dest.join(top)), &expected_tree(expected));
}

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

/// 5 MiB of pseudo-random bytes.
const BIG_BYTES: usize = 5 * 1024 * 1024;

fn long_dir(c: char) -> String {
    format!("long-{}", c.to_string().repeat(95))
}

fn name_150() -> String {
    format!("{}.txt", "n".repeat(146))
}

/// `base/root` is served; `base/outside.txt` is outside it. The tree:
/// nested directories, an empty one, a 5 MiB random file, a UTF-8 name, a
/// 150-byte name, a path of over 255 bytes, symlinks (to a file inside,
/// to one inside but up a level, outside, absolute outside, to a
/// directory, dangling), a FIFO, a dotfile and a dot directory.
struct Fixture {
    _base: TempDir,
    root: PathBuf,
}

fn fixture(tag: &str) -> Fixture {
    let base = TempDir::new(tag);
    let root = base.path().join("root");
    let w = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
    };
    w("top.txt", b"top level\n");
    w("sub/a.txt", b"alpha\n");
    w("sub/deeper/b.txt", b"bravo bravo\n");
    w("sub/z-nested/c.bin", &[0u8, 1, 2, 255, 254, 0, 7]);
    w("sub/aa-second/d.txt", b"delta");
    w("big.bin", &Rng(0x5eed_1234_abcd_0001).bytes(BIG_BYTES));
    w("ünïcødé.txt", "ünïcødé contents\n".as_bytes());
    w(&name_150(), b"a name of 150 bytes\n");
    let deep = format!(
        "{}/{}/{}/deep-{}.txt",
        long_dir('a'),
        long_dir('b'),
        long_dir('c'),
        "f".repeat(120)
    );
    w(&deep, b"deep inside long names\n");
    w(".hidden", b"secret\n");
    w(".dotdir/inner.txt", b"inner\n");
    w("zero-length.txt", b"");
    w("exactly-512.bin", &[b'5'; 512]);
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::write(base.path().join("outside.txt"), b"outside the root\n").unwrap();
    std::fs::create_dir_all(base.path().join("outside-dir")).unwrap();
    std::fs::write(base.path().join("outside-dir/o.txt"), b"o\n").unwrap();

    symlink("sub/a.txt", root.join("link-in.txt")).unwrap();
    symlink("../../top.txt", root.join("sub/deeper/up-link.txt")).unwrap();
    symlink("../outside.txt", root.join("link-out.txt")).unwrap();
    symlink(
        base.path().join("outside.txt"),
        root.join("link-out-abs.txt"),
    )
    .unwrap();
    symlink("../outside-dir", root.join("link-out-dir")).unwrap();
    symlink("sub", root.join("link-dir")).unwrap();
    symlink("nowhere.txt", root.join("dangling.txt")).unwrap();
    symlink("link-in.txt", root.join("link-to-link.txt")).unwrap();
    mkfifo(&root.join("fifo"));

    chmod(base.path(), 0o755);
    world_readable(&root);
    world_readable(&base.path().join("outside-dir"));
    chmod(&base.path().join("outside.txt"), 0o644);
    // A mode other than 644 is carried into the archive.
    chmod(&root.join("sub/a.txt"), 0o664);
    chmod(&root.join("sub/deeper"), 0o775);
    // A fixed mtime, to see it in the headers.
    set_mtime(&root.join("top.txt"), 1_000_000_000);
    Fixture { _base: base, root }
}

/// Names the archive of the fixture's root must never hold.
const NEVER: &[&str] = &[
    "root/link-out.txt",
    "root/link-out-abs.txt",
    "root/link-out-dir",
    "root/link-dir",
    "root/dangling.txt",
    "root/fifo",
];

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// The root's archive: headers, exact length, GNU tar and Python agree
/// with the tree byte for byte, member order, skipped entries.
#[test]
fn root_archive_matches_the_tree() {
    let fx = fixture("tar-root");
    let server = Server::start(&fx.root, &[]);
    let (_, archive) = download(&server, "/", "root");
    let expected = expected_members(&fx.root, &fx.root, "root", false);

    // The oracle itself holds what the brief lists, and not the rest.
    let names: Vec<&str> = expected.iter().map(|e| e.name.as_str()).collect();
    for must in [
        "root",
        "root/empty",
        "root/big.bin",
        "root/ünïcødé.txt",
        "root/.hidden",
        "root/.dotdir/inner.txt",
        "root/link-in.txt",
        "root/link-to-link.txt",
        "root/sub/deeper/up-link.txt",
    ] {
        assert!(names.contains(&must), "oracle lacks {must}");
    }
    assert!(names.contains(&format!("root/{}", name_150()).as_str()));
    assert!(
        names.iter().any(|n| n.len() > 255),
        "no path over 255 bytes"
    );
    for never in NEVER {
        assert!(!names.contains(never), "oracle has {never}");
    }

    assert_python_agrees(&archive, &expected);
    assert_gnu_tar_extracts(&archive, &expected);

    // Spot checks on the order: the top directory, then its directories
    // (sorted), then its files (sorted); children after all of the root's
    // own entries.
    let py = python_list(&archive);
    let order: Vec<&str> = py.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(order[0], "root");
    let pos = |n: &str| {
        order
            .iter()
            .position(|&o| o == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert!(pos("root/.dotdir") < pos("root/empty"));
    assert!(pos("root/empty") < pos("root/sub"));
    assert!(pos("root/sub") < pos("root/.hidden"));
    assert!(pos("root/.hidden") < pos("root/big.bin"));
    assert!(pos("root/zero-length.txt") < pos("root/ünïcødé.txt"));
    assert!(pos("root/ünïcødé.txt") < pos("root/sub/aa-second"));
    assert!(pos("root/sub/z-nested") < pos("root/sub/a.txt"));
    assert!(pos("root/sub/a.txt") < pos("root/sub/aa-second/d.txt"));
    let top = py.iter().find(|m| m.name == "root/top.txt").unwrap();
    assert_eq!(top.mtime, 1_000_000_000);
    let a = py.iter().find(|m| m.name == "root/sub/a.txt").unwrap();
    assert_eq!(a.mode, 0o664);
    let deeper = py.iter().find(|m| m.name == "root/sub/deeper").unwrap();
    assert_eq!((deeper.kind.as_str(), deeper.mode), ("dir", 0o775));
    let link = py.iter().find(|m| m.name == "root/link-in.txt").unwrap();
    assert_eq!((link.kind.as_str(), link.size), ("file", 6));

    // GNU tar's own listing: no error, the same number of members.
    let tmp = TempDir::new("gnu-list");
    let file = tmp.write("a.tar", &archive);
    let out = Command::new("tar").arg("-tf").arg(&file).output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), expected.len(), "{listed}");
    assert!(listed.lines().next() == Some("root/"), "{listed}");
}

/// The same archive through curl: identical bytes, `-OJ` names it
/// root.tar / sub.tar.
#[test]
fn curl_downloads_the_same_archive() {
    if !have("curl") {
        println!("curl not installed; skipping");
        return;
    }
    let fx = fixture("tar-curl");
    let server = Server::start(&fx.root, &[]);
    let (_, archive) = download(&server, "/", "root");
    let (_, sub) = download(&server, "/sub/", "sub");
    let out = TempDir::new("tar-curl-out");
    for (path, name, want) in [("/", "root.tar", &archive), ("/sub/", "sub.tar", &sub)] {
        let url = format!("http://127.0.0.1:{}{path}?download=tar", server.port);
        run_ok(
            Command::new("curl")
                .args(["-sS", "--fail", "--max-time", "120", "-O", "-J"])
                .arg(&url)
                .current_dir(out.path()),
        );
        let got = std::fs::read(out.path().join(name)).expect("curl -OJ file name");
        assert!(&got == want, "curl's {name} differs from the raw download");
    }
}

/// A subdirectory: `sub.tar` whose top directory is `sub/`; a symlink in
/// it leading up out of `sub` but inside the root is kept as the file.
#[test]
fn subdirectory_archive() {
    let fx = fixture("tar-sub");
    let server = Server::start(&fx.root, &[]);
    let (_, archive) = download(&server, "/sub/", "sub");
    let expected = expected_members(&fx.root, &fx.root.join("sub"), "sub", false);
    assert!(expected.iter().any(|e| e.name == "sub/deeper/up-link.txt"));
    assert_python_agrees(&archive, &expected);
    assert_gnu_tar_extracts(&archive, &expected);

    let (_, deeper) = download(&server, "/sub/deeper/", "deeper");
    let expected = expected_members(&fx.root, &fx.root.join("sub/deeper"), "deeper", false);
    assert_python_agrees(&deeper, &expected);

    // The long-named directory chain: a top name of 100 bytes, members
    // with paths over 255 bytes.
    let chain = format!("/{}/{}/", long_dir('a'), long_dir('b'));
    let (_, long) = download(&server, &chain, &long_dir('b'));
    let expected = expected_members(
        &fx.root,
        &fx.root.join(long_dir('a')).join(long_dir('b')),
        &long_dir('b'),
        false,
    );
    assert_python_agrees(&long, &expected);
    assert_gnu_tar_extracts(&long, &expected);

    // An empty directory: just itself.
    let (_, empty) = download(&server, "/empty/", "empty");
    let py = python_list(&empty);
    assert_eq!(py.len(), 1, "{py:?}");
    assert_eq!((py[0].name.as_str(), py[0].kind.as_str()), ("empty", "dir"));
}

/// `--hide-dotfiles` leaves dotfiles and dot directories out.
#[test]
fn hide_dotfiles_leaves_them_out() {
    let fx = fixture("tar-hide");
    let server = Server::start(&fx.root, &["--hide-dotfiles"]);
    let (_, archive) = download(&server, "/", "root");
    let expected = expected_members(&fx.root, &fx.root, "root", true);
    assert!(!expected.iter().any(|e| e.name.contains("/.")));
    assert_python_agrees(&archive, &expected);
    assert_gnu_tar_extracts(&archive, &expected);
    let names: Vec<String> = python_list(&archive).into_iter().map(|m| m.name).collect();
    assert!(!names.iter().any(|n| n.contains("/.")), "{names:?}");
}

/// HEAD: the same headers as GET (Date aside) and no body at all.
#[test]
fn head_answers_like_get_without_the_body() {
    let fx = fixture("tar-head");
    let server = Server::start(&fx.root, &[]);
    for path in ["/?download=tar", "/sub/?download=tar"] {
        let (get, body) = get_all(&server, path, &[]);
        assert_eq!(get.status, 200);
        let (head, rest) = exchange(&server, &request("HEAD", path, &[]));
        assert_eq!(head.status, 200);
        assert_eq!(
            headers_without_date(&head),
            headers_without_date(&get),
            "{path}"
        );
        assert!(rest.is_empty(), "HEAD sent {} body bytes", rest.len());
        assert_eq!(
            head.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
    }
    let (full, _) = get_all(&server, "/?download=tar", &[]);
    let len: u64 = full.header("Content-Length").unwrap().parse().unwrap();
    let (head, rest) = exchange(
        &server,
        &request("HEAD", "/?download=tar", &["Range: bytes=10-19"]),
    );
    assert_eq!(head.status, 206);
    assert_eq!(
        head.header("Content-Range"),
        Some(format!("bytes 10-19/{len}").as_str())
    );
    assert_eq!(head.header("Content-Length"), Some("10"));
    assert!(rest.is_empty());
}

/// Byte ranges equal the slices of the full archive: first byte, middle
/// (across headers and the big file), suffix, open-ended, pseudo-random
/// ones; past the end is 416.
#[test]
fn ranges_are_slices_of_the_archive() {
    let fx = fixture("tar-range");
    let server = Server::start(&fx.root, &[]);
    let (full, archive) = download(&server, "/", "root");
    let etag = tar_etag(&full);
    let len = archive.len() as u64;
    let check = |spec: String, start: u64, end: u64| {
        let (r, body) = get_all(
            &server,
            "/?download=tar",
            &[&format!("Range: bytes={spec}")],
        );
        assert_eq!(r.status, 206, "bytes={spec}: {r:?}");
        assert_eq!(
            r.header("Content-Range"),
            Some(format!("bytes {start}-{}/{len}", end - 1).as_str()),
            "bytes={spec}"
        );
        assert_eq!(
            r.header("Content-Length"),
            Some((end - start).to_string().as_str()),
            "bytes={spec}"
        );
        assert_eq!(r.header("ETag"), Some(etag.as_str()));
        assert_eq!(r.header("Content-Type"), Some("application/x-tar"));
        assert_eq!(body.len() as u64, end - start, "bytes={spec}: body length");
        assert!(
            body == archive[start as usize..end as usize],
            "bytes={spec}: not the archive's slice"
        );
    };
    check("0-0".into(), 0, 1);
    check("0-511".into(), 0, 512);
    check("511-1024".into(), 511, 1025);
    check("1000-777777".into(), 1000, 777_778);
    check(
        format!("{}-{}", len / 2, len / 2 + 100_000),
        len / 2,
        len / 2 + 100_001,
    );
    check("-1500".into(), len - 1500, len);
    check(format!("-{}", len + 10), 0, len);
    check("5000000-".into(), 5_000_000, len);
    check(format!("{}-", len - 1), len - 1, len);
    check(format!("100-{}", len + 999), 100, len);
    let mut rng = Rng(0xfeed_beef_0000_0042);
    for _ in 0..16 {
        let a = rng.below(len);
        let b = a + rng.below((len - a).min(300_000));
        check(format!("{a}-{b}"), a, b + 1);
    }
    // Past the end.
    let (r, body) = get_all(
        &server,
        "/?download=tar",
        &[&format!("Range: bytes={len}-")],
    );
    assert_eq!(r.status, 416, "{r:?}");
    assert_eq!(
        r.header("Content-Range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert!(!body.starts_with(&archive[..512]));
}

/// If-Range with the archive's ETag gives the range; with another tag or
/// a date (an archive has no Last-Modified), the whole archive.
#[test]
fn if_range_with_the_etag() {
    let fx = fixture("tar-ifrange");
    let server = Server::start(&fx.root, &[]);
    let (full, archive) = download(&server, "/", "root");
    let etag = tar_etag(&full);
    let (r, body) = get_all(
        &server,
        "/?download=tar",
        &["Range: bytes=100-199", &format!("If-Range: {etag}")],
    );
    assert_eq!(r.status, 206, "{r:?}");
    assert!(body == archive[100..200]);
    for other in [
        "\"tar-0-0\"".to_string(),
        format!("W/{etag}"),
        "Sun, 06 Nov 1994 08:49:37 GMT".to_string(),
    ] {
        let (r, body) = get_all(
            &server,
            "/?download=tar",
            &["Range: bytes=100-199", &format!("If-Range: {other}")],
        );
        assert_eq!(r.status, 200, "If-Range: {other}: {r:?}");
        assert!(r.header("Content-Range").is_none());
        assert!(body == archive, "If-Range: {other}: not the whole archive");
    }
}

/// `curl -C -` completes a partial archive into a byte-identical copy.
#[test]
fn curl_resumes_a_partial_archive() {
    if !have("curl") {
        println!("curl not installed; skipping");
        return;
    }
    let fx = fixture("tar-resume");
    let server = Server::start(&fx.root, &[]);
    let (_, archive) = download(&server, "/", "root");
    let out = TempDir::new("tar-resume-out");
    // Cut in a header block, in the middle of the big file, and one byte
    // before the end.
    for (i, cut) in [700usize, 3_000_000, archive.len() - 1]
        .into_iter()
        .enumerate()
    {
        let part = out.write(&format!("part-{i}.tar"), &archive[..cut]);
        let url = format!("http://127.0.0.1:{}/?download=tar", server.port);
        run_ok(
            Command::new("curl")
                .args(["-sS", "--fail", "--max-time", "120", "-C", "-", "-o"])
                .arg(&part)
                .arg(&url),
        );
        let got = std::fs::read(&part).unwrap();
        assert_eq!(got.len(), archive.len(), "resumed at {cut}");
        assert!(got == archive, "resumed copy (cut at {cut}) differs");
        let needle = format!(" 206 {}", archive.len() - cut);
        let log = server.wait_log(&needle);
        assert!(
            log.contains(&needle),
            "no 206 of {} in {log}",
            archive.len() - cut
        );
    }
}

/// The ETag: the same for an unchanged tree, 304 for If-None-Match, and a
/// new one when a file's size or time changes or a file is added.
#[test]
fn etag_and_if_none_match() {
    let fx = fixture("tar-etag");
    let server = Server::start(&fx.root, &[]);
    let (r1, a1) = download(&server, "/", "root");
    let (r2, a2) = download(&server, "/", "root");
    let tag = tar_etag(&r1);
    assert_eq!(tar_etag(&r2), tag, "the same tree, another ETag");
    assert!(a1 == a2, "the same tree, other bytes");
    let (head, _) = exchange(&server, &request("HEAD", "/?download=tar", &[]));
    assert_eq!(tar_etag(&head), tag);

    for inm in [tag.clone(), format!("\"x\", {tag}"), "*".to_string()] {
        let (r, rest) = get_all(
            &server,
            "/?download=tar",
            &[&format!("If-None-Match: {inm}")],
        );
        assert_eq!(r.status, 304, "If-None-Match: {inm}: {r:?}");
        assert!(rest.is_empty(), "a 304 with {} body bytes", rest.len());
        assert_eq!(r.header("ETag"), Some(tag.as_str()));
    }
    let (r, body) = get_all(&server, "/?download=tar", &["If-None-Match: \"tar-0-0\""]);
    assert_eq!(r.status, 200);
    assert!(body == a1);
    // The sub directory's archive has its own tag.
    let (sub, _) = download(&server, "/sub/", "sub");
    assert_ne!(tar_etag(&sub), tag);

    // A file changes size (deep in the tree).
    std::fs::write(fx.root.join("sub/deeper/b.txt"), b"bravo bravo bravo\n").unwrap();
    let (r3, a3) = download(&server, "/", "root");
    let tag3 = tar_etag(&r3);
    assert_ne!(tag3, tag, "a file grew, the ETag stayed");
    let (r, body) = get_all(
        &server,
        "/?download=tar",
        &[&format!("If-None-Match: {tag}")],
    );
    assert_eq!(r.status, 200, "the old ETag still matches");
    assert!(body == a3);
    assert_python_agrees(&a3, &expected_members(&fx.root, &fx.root, "root", false));

    // Only a modification time changes (same size).
    set_mtime(&fx.root.join("top.txt"), 1_100_000_000);
    let (r4, _) = download(&server, "/", "root");
    let tag4 = tar_etag(&r4);
    assert_ne!(tag4, tag3, "an mtime changed, the ETag stayed");

    // A new file.
    std::fs::write(fx.root.join("empty/new.txt"), b"new").unwrap();
    chmod(&fx.root.join("empty/new.txt"), 0o644);
    let (r5, a5) = download(&server, "/", "root");
    assert_ne!(tar_etag(&r5), tag4, "a file appeared, the ETag stayed");
    assert_python_agrees(&a5, &expected_members(&fx.root, &fx.root, "root", false));
    // And unchanged since: stable again.
    let (r6, _) = download(&server, "/", "root");
    assert_eq!(tar_etag(&r6), tar_etag(&r5));
}

/// `--no-listing` refuses the download (403, no archive); without it,
/// every listing page links `?download=tar`.
#[test]
fn no_listing_refuses_and_listing_links_the_download() {
    let fx = fixture("tar-nolist");
    let server = Server::start(&fx.root, &["--no-listing"]);
    for path in [
        "/?download=tar",
        "/sub/?download=tar",
        "/empty/?download=tar",
    ] {
        let (r, body) = get_all(&server, path, &[]);
        assert_eq!(r.status, 403, "{path}: {r:?}");
        assert_ne!(r.header("Content-Type"), Some("application/x-tar"));
        assert!(r.header("Content-Disposition").is_none());
        assert!(body.len() < 4096 && !body.windows(5).any(|w| w == b"ustar"));
        let (r, _) = exchange(&server, &request("HEAD", path, &[]));
        assert_eq!(r.status, 403, "HEAD {path}");
    }
    // Files are still served.
    let r = server.get("/top.txt", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"top level\n"[..]));

    let listing = Server::start(&fx.root, &[]);
    for path in ["/", "/sub/", "/empty/"] {
        let r = listing.get(path, &[]);
        assert_eq!(r.status, 200);
        let html = r.text();
        assert!(
            offers_the_download(&html),
            "{path}: no link or form to ?download=tar in {html}"
        );
        assert!(html.contains("Download as .tar"), "{path}");
    }
}

/// The page leads to `?download=tar` of itself: a link
/// `href="?download=tar"`, or a GET form without an action (the page's own
/// URL) whose button or input submits `download=tar`.
fn offers_the_download(html: &str) -> bool {
    if html.contains("href=\"?download=tar\"") {
        return true;
    }
    let mut rest = html;
    while let Some(at) = rest.find("<form") {
        let form = &rest[at..];
        let end = form.find("</form>").unwrap_or(form.len());
        let (tag, body) = form[..end].split_at(form.find('>').unwrap_or(0).min(end));
        let tag = tag.to_ascii_lowercase();
        let get = !tag.contains("method") || tag.contains("method=\"get\"");
        let own_url = !tag.contains("action") || tag.contains("action=\"\"");
        if get && own_url && body.contains("name=\"download\"") && body.contains("value=\"tar\"") {
            return true;
        }
        rest = &form[end..];
    }
    false
}

/// A file cut short and one grown while the archive is being sent (the
/// client stops reading, the files change, the client reads on), and one
/// removed: the archive still has exactly Content-Length bytes, GNU tar
/// and Python read it without error, the short file is padded with zeros,
/// the grown one cut to its announced size, the removed one all zeros,
/// and the members after them intact.
#[test]
fn files_changing_during_the_transfer() {
    let base = TempDir::new("tar-change");
    let root = base.path().join("root");
    std::fs::create_dir(&root).unwrap();
    // Larger than everything the socket buffers can hold while the client
    // does not read (its receive buffer is made small below; the sender's
    // is at most `tcp_wmem`'s maximum).
    let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
        .unwrap_or(4 << 20);
    let big_len = (24usize << 20).max(2 * wmem_max + (8 << 20));
    // No zero byte: zeros in the archive's copy are the server's padding.
    let big: Vec<u8> = Rng(0xabad_1dea_0000_0007)
        .bytes(big_len)
        .into_iter()
        .map(|b| b | 1)
        .collect();
    let grows: Vec<u8> = Rng(77).bytes(10_000).into_iter().map(|b| b | 1).collect();
    let vanishes = vec![b'v'; 3000];
    let after = b"after the changes\n".to_vec();
    std::fs::write(root.join("a-big.bin"), &big).unwrap();
    std::fs::write(root.join("b-grows.bin"), &grows).unwrap();
    std::fs::write(root.join("c-vanishes.txt"), &vanishes).unwrap();
    std::fs::write(root.join("d-after.txt"), &after).unwrap();
    chmod(base.path(), 0o755);
    world_readable(&root);
    let server = Server::start(&root, &[]);

    let mut s = small_receive_buffer_connect(&server);
    s.write_all(&request("GET", "/?download=tar", &[])).unwrap();
    // Read the head and a little of the body, then stop reading.
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while got.len() < 200_000 {
        let n = s.read(&mut buf).expect("read the start");
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    // The changes, while the server waits for the client to read on.
    std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("a-big.bin"))
        .unwrap()
        .set_len(1000)
        .unwrap();
    let mut more = std::fs::OpenOptions::new()
        .append(true)
        .open(root.join("b-grows.bin"))
        .unwrap();
    more.write_all(&[b'G'; 5000]).unwrap();
    drop(more);
    std::fs::remove_file(root.join("c-vanishes.txt")).unwrap();
    let (r, archive) = read_capped(&mut (&got[..]).chain(&mut s));
    assert_eq!(r.status, 200);
    let announced: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(
        archive.len(),
        announced,
        "the archive is not of its announced length"
    );

    // GNU tar lists it without error.
    let tmp = TempDir::new("tar-change-out");
    let file = tmp.write("a.tar", &archive);
    let out = Command::new("tar").arg("-tvf").arg(&file).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "tar -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And extracts it.
    let (dest, out) = gnu_tar_extract(&file, tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py = python_list(&archive);
    let names: Vec<&str> = py.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "root",
            "root/a-big.bin",
            "root/b-grows.bin",
            "root/c-vanishes.txt",
            "root/d-after.txt"
        ]
    );

    let sent_big = std::fs::read(dest.join("root/a-big.bin")).unwrap();
    assert_eq!(sent_big.len(), big_len, "the short file's announced size");
    // What went out before the truncation is the file's; the rest is
    // zeros up to the announced size. Not simply "a prefix, then zeros":
    // sendfile queues page-cache pages in the socket without copying, and
    // when truncation cannot split a large folio still referenced there,
    // the kernel zeroes it in place, so bytes already queued may arrive
    // as zeros while a later folio's queued bytes arrive intact.
    let cut = sent_big.iter().position(|&b| b == 0).unwrap_or(big_len);
    assert!(
        cut < big_len,
        "the whole file went out before it was truncated (test setup)"
    );
    assert!(
        cut >= 150_000,
        "zeros at {cut}, before what the client had already read"
    );
    let runs = zero_runs(&sent_big);
    assert!(
        sent_big.iter().zip(&big).all(|(&s, &b)| s == 0 || s == b),
        "the short file's bytes are neither its own nor zeros; zero runs {runs:?}"
    );
    let tail = sent_big.iter().rev().take_while(|&&b| b == 0).count();
    assert!(
        tail >= big_len / 2,
        "the short file is not zero-padded to its announced size: \
         {tail} zero bytes at its end; zero runs {runs:?}"
    );
    assert!(
        std::fs::read(dest.join("root/b-grows.bin")).unwrap() == grows,
        "the grown file is not cut to its announced size"
    );
    assert_eq!(
        std::fs::read(dest.join("root/c-vanishes.txt")).unwrap(),
        vec![0u8; vanishes.len()],
        "the removed file is not all zeros"
    );
    assert_eq!(std::fs::read(dest.join("root/d-after.txt")).unwrap(), after);
}

/// The runs of zero bytes in `v` (start, end), the first 20.
fn zero_runs(v: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < v.len() && runs.len() < 20 {
        if v[i] == 0 {
            let start = i;
            while i < v.len() && v[i] == 0 {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// A connection whose receive buffer is set small before `connect`, so
/// the server can only run ahead of a client that stops reading by its
/// own send buffer.
fn small_receive_buffer_connect(server: &Server) -> TcpStream {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor we own; the address is a
    // valid sockaddr_in.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let size: libc::c_int = 32 * 1024;
        let rc = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &size as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        assert_eq!(rc, 0);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: server.port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
            },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(
            fd,
            &addr as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
        assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
        let s = TcpStream::from_raw_fd(fd);
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.set_write_timeout(Some(WAIT)).unwrap();
        s
    }
}

/// 1,000 small files in ten directories: the extracted archive equals the
/// tree.
#[test]
fn a_thousand_small_files() {
    let base = TempDir::new("tar-thousand");
    let root = base.path().join("root");
    let mut rng = Rng(1000);
    for d in 0..10 {
        for f in 0..100 {
            let len = rng.below(1500) as usize;
            let p = root.join(format!("dir-{d}/file-{f:03}.dat"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, rng.bytes(len)).unwrap();
        }
    }
    chmod(base.path(), 0o755);
    world_readable(&root);
    let server = Server::start(&root, &[]);
    let (_, archive) = download(&server, "/", "root");
    let expected = expected_members(&root, &root, "root", false);
    assert_eq!(expected.len(), 1 + 10 + 1000);
    assert_gnu_tar_extracts(&archive, &expected);
    assert_python_agrees(&archive, &expected);
}

/// A symlink whose target is an absolute path into the root: the archive
/// holds it exactly when a plain GET of it serves the file (the server
/// resolves member files as it resolves request paths), and then with the
/// file's bytes.
#[test]
fn absolute_symlink_into_the_root_is_treated_as_a_get_is() {
    let base = TempDir::new("tar-abs");
    let root = base.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("target.txt"), b"the target\n").unwrap();
    symlink(root.join("target.txt"), root.join("abs-link.txt")).unwrap();
    chmod(base.path(), 0o755);
    world_readable(&root);
    let server = Server::start(&root, &[]);
    let served = server.get("/abs-link.txt", &[]);
    let (_, archive) = download(&server, "/", "root");
    let py = python_list(&archive);
    let member = py.iter().find(|m| m.name == "root/abs-link.txt");
    if served.status == 200 {
        let m = member.expect("GET serves the link, the archive leaves it out");
        assert_eq!((m.kind.as_str(), m.size), ("file", 11));
        assert_eq!(m.sha256, sha256_hex(b"the target\n"));
    } else {
        assert!(
            member.is_none(),
            "GET answers {}, the archive holds it: {py:?}",
            served.status
        );
    }
    assert!(py.iter().any(|m| m.name == "root/target.txt"));
}
