//! Issue 10, items 5 and 6, against the real binary: the cache policy
//! (`--max-age`, `--immutable-hashed`, `-H` overriding it), the `--404`
//! page (with `--spa`), `--clean-urls`, long path components (404 or the
//! SPA, never 414), and `--hide-dotfiles` refusing to serve dotfiles.

mod common;
use common::*;

use httpd::fs::root::Root;
use httpd::rt::sys::{CStr, Errno};
use httpd::serve::check_not_found;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;

/// The hashed name's line (`http::cache`).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn get(server: &Server, path: &str, headers: &[&str]) -> (Response, Vec<u8>) {
    exchange(server, &request("GET", path, headers))
}

fn head(server: &Server, path: &str) -> (Response, Vec<u8>) {
    exchange(server, &request("HEAD", path, &[]))
}

/// Every `Cache-Control` value of a response, in order.
fn cache_control(r: &Response) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Cache-Control"))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Asserts a status and the exact `Cache-Control` values.
fn assert_cache(server: &Server, raw: &[u8], status: u16, want: &[&str]) {
    let (r, _) = exchange(server, raw);
    let what = String::from_utf8_lossy(raw.split(|&b| b == b'\r').next().unwrap()).into_owned();
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert_eq!(cache_control(&r), want, "{what}: {r:?}");
}

/// A site with a plain file, a hashed one and its gzip sibling, a
/// minified one, and a directory.
fn cache_fixture(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    dir.write("a.txt", "0123456789");
    dir.write("app.js", "plain()");
    dir.write("jquery.min.js", "jq()");
    dir.write("app.3f9a2c1e.js", "hashed()");
    dir.write("app.3f9a2c1e.js.gz", "gzipped");
    dir.write("sub/b.txt", "b");
    dir
}

/// `--max-age`: files (200, 206, 304, HEAD) say `max-age=N`; listings,
/// errors and archives say `no-cache`; redirects nothing.
#[test]
fn max_age_on_files_no_cache_on_the_rest() {
    let dir = cache_fixture("maxage");
    let server = Server::start(dir.path(), &["--max-age", "600"]);
    let age = &["max-age=600"][..];
    let no_cache = &["no-cache"][..];
    assert_cache(&server, &request("GET", "/a.txt", &[]), 200, age);
    assert_cache(&server, &request("HEAD", "/a.txt", &[]), 200, age);
    let range = request("GET", "/a.txt", &["Range: bytes=0-1"]);
    assert_cache(&server, &range, 206, age);
    let (r, _) = get(&server, "/a.txt", &[]);
    let etag = format!("If-None-Match: {}", r.header("ETag").unwrap());
    assert_cache(&server, &request("GET", "/a.txt", &[&etag]), 304, age);
    assert_cache(&server, &request("GET", "/app.js", &[]), 200, age);
    // Without --immutable-hashed a hashed name is a file like any other.
    assert_cache(&server, &request("GET", "/app.3f9a2c1e.js", &[]), 200, age);
    assert_cache(&server, &request("GET", "/", &[]), 200, no_cache);
    assert_cache(&server, &request("HEAD", "/sub/", &[]), 200, no_cache);
    assert_cache(&server, &request("GET", "/missing", &[]), 404, no_cache);
    let unsatisfiable = request("GET", "/a.txt", &["Range: bytes=100-"]);
    assert_cache(&server, &unsatisfiable, 416, no_cache);
    assert_cache(
        &server,
        b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n",
        501,
        no_cache,
    );
    assert_cache(&server, b"NOT A REQUEST\r\n\r\n", 400, no_cache);
    let tar = request("GET", "/sub/?download=tar", &[]);
    assert_cache(&server, &tar, 200, no_cache);
    assert_cache(&server, &request("GET", "/sub", &[]), 301, &[]);

    // Without the options, no Cache-Control at all, as before.
    let plain = Server::start(dir.path(), &[]);
    for (path, status) in [("/a.txt", 200), ("/", 200), ("/missing", 404)] {
        assert_cache(&plain, &request("GET", path, &[]), status, &[]);
    }
}

/// `--immutable-hashed`: `app.3f9a2c1e.js` (and its gzip sibling) is cached
/// for a year, `app.js` and `jquery.min.js` are not; with `--max-age` the
/// others get it.
#[test]
fn immutable_hashed_names() {
    let dir = cache_fixture("immutable");
    let server = Server::start(dir.path(), &["--immutable-hashed"]);
    assert_cache(
        &server,
        &request("GET", "/app.3f9a2c1e.js", &[]),
        200,
        &[IMMUTABLE],
    );
    assert_cache(
        &server,
        &request("HEAD", "/app.3f9a2c1e.js", &[]),
        200,
        &[IMMUTABLE],
    );
    let (r, body) = get(&server, "/app.3f9a2c1e.js", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (r.header("Content-Encoding"), body.as_slice()),
        (Some("gzip"), &b"gzipped"[..])
    );
    assert_eq!(cache_control(&r), [IMMUTABLE]);
    let etag = format!("If-None-Match: {}", r.header("ETag").unwrap());
    let revalidate = request("GET", "/app.3f9a2c1e.js", &[&etag, "Accept-Encoding: gzip"]);
    assert_cache(&server, &revalidate, 304, &[IMMUTABLE]);
    assert_cache(&server, &request("GET", "/app.js", &[]), 200, &[]);
    assert_cache(&server, &request("GET", "/jquery.min.js", &[]), 200, &[]);
    assert_cache(&server, &request("GET", "/", &[]), 200, &["no-cache"]);
    assert_cache(
        &server,
        &request("GET", "/nope.js", &[]),
        404,
        &["no-cache"],
    );

    let both = Server::start(dir.path(), &["--max-age", "60", "--immutable-hashed"]);
    assert_cache(
        &both,
        &request("GET", "/app.3f9a2c1e.js", &[]),
        200,
        &[IMMUTABLE],
    );
    assert_cache(&both, &request("GET", "/app.js", &[]), 200, &["max-age=60"]);
    assert_cache(
        &both,
        &request("GET", "/jquery.min.js", &[]),
        200,
        &["max-age=60"],
    );
}

/// The operator's `-H 'Cache-Control: ...'` wins: ours is left out.
#[test]
fn operator_cache_control_overrides() {
    let dir = cache_fixture("override");
    let server = Server::start(
        dir.path(),
        &[
            "-H",
            "cache-control: no-store",
            "--max-age",
            "600",
            "--immutable-hashed",
        ],
    );
    for (path, status) in [
        ("/a.txt", 200),
        ("/app.3f9a2c1e.js", 200),
        ("/", 200),
        ("/missing", 404),
    ] {
        assert_cache(&server, &request("GET", path, &[]), status, &["no-store"]);
    }
}

/// `--404 FILE`: every missing path gets the file with status 404, for
/// GET (whole body, whatever the Range) and HEAD (head only, the same
/// Content-Length); no validators; `no-cache` under a cache policy.
#[test]
fn not_found_page() {
    let dir = TempDir::new("404");
    let page = b"<!DOCTYPE html><title>Lost</title><p>Nothing here.</p>\n";
    dir.write("errors/404.html", page);
    dir.write("a.txt", "A");
    for arg in [
        "errors/404.html",
        "/errors/404.html",
        "errors/../errors/404.html",
    ] {
        let server = Server::start(dir.path(), &["--404", arg]);
        for path in ["/missing", "/deep/missing.txt", "/a.txt/x", "/a.txt/"] {
            let (r, body) = get(&server, path, &[]);
            assert_eq!(
                (r.status, body.as_slice()),
                (404, &page[..]),
                "{arg} {path}"
            );
            assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
            assert_eq!(
                r.header("Content-Length"),
                Some(page.len().to_string().as_str())
            );
            assert_eq!(r.header("ETag"), None);
            assert_eq!(r.header("Accept-Ranges"), None);
            assert_eq!(cache_control(&r), Vec::<&str>::new());
        }
        let (r, rest) = head(&server, "/missing");
        assert_eq!(r.status, 404);
        assert_eq!(
            r.header("Content-Length"),
            Some(page.len().to_string().as_str())
        );
        assert!(rest.is_empty(), "HEAD sent a body");
        let (r, body) = get(
            &server,
            "/missing",
            &["Range: bytes=0-3", "If-None-Match: *"],
        );
        assert_eq!((r.status, body.as_slice()), (404, &page[..]));
        // Real files are themselves.
        let (r, body) = get(&server, "/a.txt", &[]);
        assert_eq!((r.status, body.as_slice()), (200, &b"A"[..]));
    }

    // A large page is sent after its head; `no-cache` under a policy; the
    // plain 404 when the page disappears.
    let big = vec![b'x'; 100_000];
    dir.write("big.txt", &big);
    let server = Server::start(dir.path(), &["--404", "big.txt", "--max-age", "5"]);
    let (r, body) = get(&server, "/missing", &[]);
    assert_eq!((r.status, body.len()), (404, big.len()));
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(cache_control(&r), ["no-cache"]);
    std::fs::remove_file(dir.path().join("big.txt")).unwrap();
    let (r, body) = get(&server, "/missing", &[]);
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&body).contains("404 Not Found"));
    server.wait_log("\"GET /missing HTTP/1.1\" 404");
}

/// The start-up check of `--404`: the page opens as a request's path
/// would, beneath the root only, and is a regular file.
#[test]
fn not_found_page_start_up_check() {
    let dir = TempDir::new("404check");
    dir.write("www/errors/404.html", "lost");
    dir.write("outside.html", "outside");
    let www = dir.path().join("www");
    std::os::unix::fs::symlink("../outside.html", www.join("out.html")).unwrap();
    std::os::unix::fs::symlink("errors/404.html", www.join("in.html")).unwrap();
    let mut path = www.as_os_str().as_bytes().to_vec();
    path.push(0);
    let root = Root::open(CStr::new(&path).unwrap()).unwrap();
    for ok in [
        "errors/404.html",
        "/errors/404.html",
        "errors//./404.html",
        "in.html",
    ] {
        assert_eq!(check_not_found(&root, ok.as_bytes()), Ok(()), "{ok}");
    }
    for (bad, e) in [
        ("missing.html", Errno::ENOENT),
        ("errors", Errno::EISDIR),
        ("/", Errno::EISDIR),
        ("", Errno::EISDIR),
        ("../outside.html", Errno::EINVAL),
        ("/errors/../../outside.html", Errno::EINVAL),
        ("errors/404.html/x", Errno::ENOTDIR),
    ] {
        assert_eq!(check_not_found(&root, bad.as_bytes()), Err(e), "{bad}");
    }
    // A symlink out of the root is refused by the kernel (EXDEV).
    assert!(check_not_found(&root, b"out.html").is_err());
}

/// `--spa` still wins for missing routes; `--404` answers what the SPA
/// does not (a path through a file) and stands in when index.html is gone.
#[test]
fn not_found_page_with_spa() {
    let dir = TempDir::new("404spa");
    let index = b"<!DOCTYPE html><div id=app></div>\n";
    let page = b"custom 404\n";
    dir.write("index.html", index);
    dir.write("404.html", page);
    dir.write("a.txt", "A");
    let server = Server::start(dir.path(), &["--spa", "--404", "404.html"]);
    for path in ["/some/route", "/users/42", "/missing.html"] {
        let (r, body) = get(&server, path, &[]);
        assert_eq!((r.status, body.as_slice()), (200, &index[..]), "{path}");
    }
    let (r, body) = get(&server, "/a.txt/x", &[]);
    assert_eq!((r.status, body.as_slice()), (404, &page[..]));
    std::fs::remove_file(dir.path().join("index.html")).unwrap();
    let (r, body) = get(&server, "/some/route", &[]);
    assert_eq!((r.status, body.as_slice()), (404, &page[..]));
}

/// `--clean-urls`: `/about` serves about.html; `/about.html` moves to
/// `/about` (query kept), for GET and HEAD; nothing loops.
#[test]
fn clean_urls_both_ways() {
    let dir = TempDir::new("clean");
    dir.write("about.html", "about page");
    dir.write("docs/intro.html", "intro page");
    dir.write("docs/index.html", "docs index");
    dir.write("index.html", "home");
    dir.write("both.html", "both.html");
    dir.write("both", "both itself");
    dir.write("guide.html", "guide.html");
    dir.write("guide/index.html", "guide dir");
    let server = Server::start(dir.path(), &["--clean-urls"]);
    for (path, body) in [
        ("/about", &b"about page"[..]),
        ("/docs/intro", b"intro page"),
        ("/about?x=1", b"about page"),
        ("/index.html", b"home"),
        ("/docs/index.html", b"docs index"),
        ("/docs/", b"docs index"),
        ("/", b"home"),
        // A name that exists is itself, and its .html stays put.
        ("/both", b"both itself"),
        ("/both.html", b"both.html"),
        ("/guide.html", b"guide.html"),
        ("/guide/", b"guide dir"),
    ] {
        let (r, got) = get(&server, path, &[]);
        assert_eq!((r.status, got.as_slice()), (200, body), "{path}: {r:?}");
    }
    let (r, _) = get(&server, "/about", &[]);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    for (method, path, location) in [
        ("GET", "/about.html", "/about"),
        ("GET", "/about.html?x=1&y=%20", "/about?x=1&y=%20"),
        ("HEAD", "/about.html?q", "/about?q"),
        ("GET", "/docs/intro.html", "/docs/intro"),
        ("GET", "/docs", "/docs/"),
        ("GET", "/guide", "/guide/"),
    ] {
        let (r, rest) = exchange(&server, &request(method, path, &[]));
        assert_eq!(r.status, 301, "{method} {path}");
        assert_eq!(r.header("Location"), Some(location), "{method} {path}");
        assert!(rest.is_empty());
        // Following the redirect lands on a page, never another redirect.
        let (r, _) = exchange(&server, &request(method, location, &[]));
        assert_eq!(r.status, 200, "{method} {location}");
    }
    for path in [
        "/missing",
        "/missing.html",
        "/about/",
        "/about.html/",
        "/.html",
    ] {
        assert_eq!(get(&server, path, &[]).0.status, 404, "{path}");
    }

    // Without the option, neither happens.
    let plain = Server::start(dir.path(), &[]);
    assert_eq!(get(&plain, "/about", &[]).0.status, 404);
    assert_eq!(get(&plain, "/about.html", &[]).0.status, 200);
}

/// A component over NAME_MAX (255 bytes), or a path over PATH_MAX, in a
/// request line within the limit is not found, never 414; an SPA route
/// with a long token reaches index.html, and `--404` its page.
#[test]
fn long_components_are_missing_not_414() {
    let dir = TempDir::new("long");
    dir.write("index.html", "spa index");
    dir.write("404.html", "lost");
    let token = "t".repeat(300);
    let long_path = format!("/{}", vec!["s".repeat(100); 45].join("/"));
    assert!(long_path.len() > 4096 && long_path.len() < 8000);
    let paths = [
        format!("/{token}"),
        format!("/auth/callback/{token}"),
        format!("/auth/callback/{token}?state=1"),
        format!("/{}", "%41".repeat(300)),
        long_path.clone(),
    ];
    let plain = Server::start(dir.path(), &[]);
    let spa = Server::start(dir.path(), &["--spa"]);
    let page = Server::start(dir.path(), &["--404", "404.html"]);
    let clean = Server::start(dir.path(), &["--clean-urls"]);
    for path in &paths {
        let (r, _) = get(&plain, path, &[]);
        assert_eq!(r.status, 404, "{path}");
        let (r, rest) = head(&plain, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(rest.is_empty());
        let (r, body) = get(&spa, path, &[]);
        assert_eq!(
            (r.status, body.as_slice()),
            (200, &b"spa index"[..]),
            "{path}"
        );
        let (r, body) = get(&page, path, &[]);
        assert_eq!((r.status, body.as_slice()), (404, &b"lost"[..]), "{path}");
        assert_eq!(get(&clean, path, &[]).0.status, 404, "{path}");
    }
    // A request line over the limit is still 414.
    let (r, _) = get(&plain, &format!("/{}", "c".repeat(9000)), &[]);
    assert_eq!(r.status, 414);
}

/// `--hide-dotfiles`: dotfiles and dot-directories are not served (the
/// answer of a missing path, `--404` page included), except beneath
/// `/.well-known/`; tar downloads leave them out too.
#[test]
fn hidden_dotfiles_are_not_served() {
    let dir = TempDir::new("hide");
    dir.write(".env", "SECRET=1");
    dir.write(".git/config", "[core]");
    dir.write("sub/.htpasswd", "alice:x");
    dir.write("sub/ok.txt", "ok");
    dir.write(".well-known/acme-challenge/x", "token.key");
    dir.write("404.html", "lost");
    dir.write("index.html", "spa index");
    let hidden = [
        "/.env",
        "/.git/config",
        "/.git",
        "/.git/",
        "/%2egit/config",
        "/sub/.htpasswd",
        "/sub/../.env",
        "/.well-known/../.env",
        "/.git/?download=tar",
    ];
    let server = Server::start(dir.path(), &["--hide-dotfiles"]);
    for path in hidden {
        let (r, body) = get(&server, path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("SECRET"));
        assert_eq!(head(&server, path).0.status, 404, "{path}");
    }
    let (r, body) = get(&server, "/.well-known/acme-challenge/x", &[]);
    assert_eq!((r.status, body.as_slice()), (200, &b"token.key"[..]));
    assert_eq!(get(&server, "/sub/ok.txt", &[]).0.status, 200);
    assert_eq!(get(&server, "/.well-known/", &[]).0.status, 200);
    // The archive of the root leaves every dotfile out.
    let (r, archive) = get(&server, "/?download=tar", &[]);
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&archive);
    assert!(text.contains("sub/ok.txt"), "{text}");
    for name in [".env", ".git", ".htpasswd", "SECRET", ".well-known"] {
        assert!(!text.contains(name), "{name} in the archive");
    }

    let page = Server::start(dir.path(), &["--hide-dotfiles", "--404", "404.html"]);
    let (r, body) = get(&page, "/.env", &[]);
    assert_eq!((r.status, body.as_slice()), (404, &b"lost"[..]));
    let spa = Server::start(dir.path(), &["--hide-dotfiles", "--spa"]);
    let (r, body) = get(&spa, "/.git/config", &[]);
    assert_eq!((r.status, body.as_slice()), (200, &b"spa index"[..]));
    // A dot-named --404 page is hidden too: the plain 404.
    let dotted = Server::start(dir.path(), &["--hide-dotfiles", "--404", ".env"]);
    let (r, body) = get(&dotted, "/missing", &[]);
    assert_eq!(r.status, 404);
    assert!(!String::from_utf8_lossy(&body).contains("SECRET"));

    // Without the option they are served, as before.
    let shown = Server::start(dir.path(), &[]);
    assert_eq!(get(&shown, "/.env", &[]).0.status, 200);
}
