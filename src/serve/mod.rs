//! Answering one request: where HTTP meets the file system. Given a parsed
//! request head (or the reason it was refused), `respond` writes the whole
//! response head, and any small body, into the connection's output buffer,
//! and returns the file (or generated page) to send after it. Every error
//! response goes through `http::response::error` (a 404 to a GET or HEAD
//! through the `--404` page when there is one); every errno a file
//! operation can return is mapped to a status in `status_for_errno`; every
//! `Cache-Control` comes from `http::cache`.

use crate::auth::{Guard, Users, Verdict};
use crate::buf::Buf;
use crate::fs::cache::{Files, Found};
use crate::fs::path::{self, MAX_PATH_BYTES, PathError};
use crate::fs::root::Root;
use crate::http::cache::{self, Answer, Policy};
use crate::http::request::{self, Method, ParseError, Request, Version};
use crate::http::response::{self, Common, Status};

use crate::rt::sys::{self, CStr, Errno, OwnedFd, Stat};

mod file;
mod listing;
mod missing;
pub mod tar;
pub mod upload;
use file::{Validators, open_not_found};
pub use listing::{MAX_LISTINGS_PER_TURN, MAX_PAGES_IN_FLIGHT, PAGE_BYTES, PageTicket};
pub use missing::check_not_found;
use missing::{html_stem, location};
pub use upload::Upload;

/// What the operator chose (see `cli`).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Serve listings of directories without an index file.
    pub listing: bool,
    /// Neither list nor serve dotfiles (but `/.well-known/`).
    pub hide_dotfiles: bool,
    /// Answer CORS preflights and allow any origin.
    pub cors: bool,
    /// Serve /index.html for paths that do not exist.
    pub spa: bool,
    /// Accept uploads (`--upload`).
    pub upload: bool,
    /// Uploads may replace existing files (`--upload-overwrite`).
    pub overwrite: bool,
    /// The largest upload, in bytes (`--max-upload`).
    pub max_upload: u64,
    /// `/about` serves `/about.html`, which redirects to `/about`
    /// (`--clean-urls`).
    pub clean_urls: bool,
    /// `Cache-Control: max-age=N` on files (`--max-age`).
    pub max_age: Option<u32>,
    /// Content-hashed names are cached for a year (`--immutable-hashed`).
    pub immutable_hashed: bool,
    /// Workers keep an inotify-fresh file cache (`fs::cache`); off with
    /// `--no-cache`.
    pub file_cache: bool,
}

/// Memory for generating listings, mapped once per worker.
pub struct Scratch {
    /// Names read from the directory.
    pub names: &'static mut [u8],
    /// The rendered page.
    pub page: &'static mut [u8],
    /// Listings this worker may still render in the current loop turn
    /// (the worker sets it to `MAX_LISTINGS_PER_TURN` each turn).
    pub renders_left: u32,
    /// Listings wait in line from an earlier turn: a new one joins the
    /// end of the line rather than take the render first.
    pub line_waiting: bool,
    /// The request being answered has waited its turn in that line.
    pub in_line: bool,
    /// Verified credentials and failed attempts (`--auth`).
    pub guard: Guard,
    /// The uploads' names and form parsers, `MAX_UPLOADS_IN_FLIGHT`.
    pub uploads: &'static mut [upload::Spare],
}

/// The body that follows the head in the output buffer.
pub enum Body {
    /// Nothing (or all of it is already in the output buffer).
    None,
    /// Bytes `offset..end` of an open file (a real file or a memfd page;
    /// a page holds its ticket until sent).
    File {
        file: OwnedFd,
        offset: u64,
        end: u64,
        page: Option<PageTicket>,
    },
    /// No answer yet: the request body is received into this upload
    /// first (`upload::finish` writes the answer).
    Upload(Upload),
    /// A tar download being streamed (`tar`).
    Tar(tar::TarStream),
}

/// The outcome of one request, for the connection and the access log.
pub struct Reply {
    pub status: Status,
    pub body: Body,
    /// Body bytes the response announces (for the log line).
    pub body_len: u64,
    /// Keep the connection for another request.
    pub keep_alive: bool,
    /// Bytes of the input the request took (its head).
    pub consumed: usize,
    /// Drain the client's input before closing (see `respond`).
    pub linger: bool,
    /// What this answer does to the connection's turn.
    pub turn: Turn,
    /// The user who gave a password (`--auth`), for the log; or empty.
    pub user: &'static [u8],
}

impl Reply {
    /// A reply that goes on with the connection's turn; `consumed` and
    /// `linger` are set by `respond`, `user` by `answer`.
    fn new(status: Status, body: Body, body_len: u64, keep_alive: bool) -> Reply {
        Reply {
            status,
            body,
            body_len,
            keep_alive,
            consumed: 0,
            linger: false,
            turn: Turn::Continue,
            user: b"",
        }
    }

    /// `Turn::Later`: no answer yet; the rest is unused.
    fn later() -> Reply {
        let mut reply = Reply::new(Status::ServiceUnavailable, Body::None, 0, false);
        reply.turn = Turn::Later;
        reply
    }
}

/// How an answer affects the connection's turn in the worker's loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Go on: answer the next pipelined request at once.
    Continue,
    /// The answer was costly (a listing: reading, stat-ing, sorting and
    /// rendering up to 4,096 entries): the connection's turn ends with
    /// it, so a client pipelining listings cannot keep the worker.
    End,
    /// Not answered: the worker has rendered its listings for this loop
    /// turn. Nothing was written; ask again next turn.
    Later,
}

/// A site: the root, the options, and the per-response constants.
pub struct Site<'a> {
    pub root: &'a Root,
    /// The users of `--auth-file`/`--auth`; None: no password asked.
    pub auth: Option<&'static Users<'static>>,
    pub options: Options,
    /// `--404 FILE`: the page for missing paths, beneath the root.
    pub not_found: Option<&'a [u8]>,
    pub common: Common<'a>,
    /// The server is stopping: every answer closes its connection.
    pub closing: bool,
}

/// The CORS headers `--cors` adds to every response.
const CORS_HEADERS: &[u8] = b"Access-Control-Allow-Origin: *\r\n";
/// What a preflight (OPTIONS) answer carries under `--cors`.
const PREFLIGHT_HEADERS: &[u8] = b"Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n\
Access-Control-Allow-Headers: *\r\nAccess-Control-Max-Age: 86400\r\n";
/// Room for an error response's own header lines (`Allow`, a
/// `Content-Range`) plus the CORS header.
const EXTRA_HEADERS_BYTES: usize = 256;

/// Room for `Content-Range: bytes */<u64>` and its line end.
const CONTENT_RANGE_BYTES: usize = 64;

/// Room for `/index.html`.
const INDEX_SUFFIX_BYTES: usize = 16;

/// `--clean-urls`: the extension a clean URL leaves out.
const HTML: &[u8] = b".html";

/// The index file, which `--clean-urls` leaves to the directory rules.
const INDEX_HTML: &[u8] = b"index.html";

/// The methods this server implements (RFC 9110 §10.2.1).
const ALLOW: &[u8] = b"Allow: GET, HEAD, OPTIONS\r\n";

/// Precompressed siblings, in order of preference on a tie: suffix and
/// content-coding.
const ENCODINGS: [(&[u8], &[u8]); 3] = [(b".br", b"br"), (b".zst", b"zstd"), (b".gz", b"gzip")];

/// Answers the request head at the start of `buffered` (the bytes read so
/// far, in a buffer of `capacity` bytes), or its parse error; None while
/// the head is incomplete. See the module docs.
pub fn respond(
    site: &Site,
    scratch: &mut Scratch,
    files: &mut Files,
    buffered: &[u8],
    capacity: usize,
    out: &mut Buf,
    peer: &[u8; 16],
) -> Option<Reply> {
    let req = match request::parse(buffered, capacity) {
        Ok(req) => req,
        Err(ParseError::Incomplete) => return None,
        Err(e) => {
            // RFC 9110 §9.3.2: never a body for HEAD, even when refused.
            let head = buffered.trim_ascii_start().starts_with(b"HEAD ");
            let mut reply = error(site, out, response::status_for(e), b"", false, false, head);
            // The rest of what the client sent is unread: drop it all.
            (reply.consumed, reply.linger) = (buffered.len(), true);
            return Some(reply);
        }
    };
    let buffered_body = buffered.len() > req.head_len;
    let mut reply = answer(site, scratch, files, &req, out, peer, buffered_body);
    reply.consumed = req.head_len;
    if let Body::Upload(_) = reply.body {
        // The body is read, not drained.
        return Some(reply);
    }
    // Unread input would make close(2) reset the connection, which can
    // destroy the response in flight: a body, or bytes after this head.
    reply.linger = req.has_body || req.head_len < buffered.len();
    Some(reply)
}

/// Answers a well-formed request head.
fn answer(
    site: &Site,
    scratch: &mut Scratch,
    files: &mut Files,
    req: &Request,
    out: &mut Buf,
    peer: &[u8; 16],
    buffered_body: bool,
) -> Reply {
    let http10 = req.version == Version::Http10;
    // RFC 9112 §9.3: HTTP/1.1 persists unless `close`; 1.0 only when asked.
    // A request body is never read, so its connection cannot be reused.
    let keep_alive = !req.close && (!http10 || req.keep_alive) && !req.has_body && !site.closing;
    let head_only = req.method == Method::Head;
    let mut cx = Cx {
        site,
        req,
        out,
        files,
        keep_alive,
        http10,
        head_only,
        hashed: false,
    };
    // RFC 9110 §11: every request needs the password, errors included,
    // so a 404 tells nothing; only CORS preflights go without (they
    // never carry credentials).
    let mut user: &'static [u8] = b"";
    if let Some(users) = site.auth
        && !(req.method == Method::Options && site.options.cors)
    {
        match scratch
            .guard
            .check(users, req.authorization, peer, site.common.now)
        {
            Verdict::Allowed(name) => user = name,
            Verdict::Denied => return cx.error(Status::Unauthorized, CHALLENGE),
            Verdict::Limited { retry_after_secs } => {
                let mut mem = [0u8; 40];
                let mut retry = Buf::new(&mut mem);
                retry
                    .str("Retry-After: ")
                    .u64(u64::from(retry_after_secs))
                    .str("\r\n");
                return cx.error(Status::TooManyRequests, retry.as_bytes());
            }
        }
    }
    let mut reply = match req.method {
        Method::Get | Method::Head => cx.get(scratch),
        Method::Options => cx.options(),
        Method::Put | Method::Post => cx.upload(scratch.uploads, buffered_body),
        Method::Other if site.options.upload => {
            cx.error(Status::NotImplemented, upload::ALLOW_UPLOAD)
        }
        Method::Other => cx.error(Status::NotImplemented, ALLOW),
    };
    reply.user = user;
    reply
}

/// The challenge of a `401` (RFC 7617 §2, §2.1).
const CHALLENGE: &[u8] = b"WWW-Authenticate: Basic realm=\"httpd\", charset=\"UTF-8\"\r\n";

fn error(
    site: &Site,
    out: &mut Buf,
    status: Status,
    extra: &[u8],
    keep: bool,
    http10: bool,
    head: bool,
) -> Reply {
    out.truncate(0);
    let mut mem = [0u8; EXTRA_HEADERS_BYTES];
    let mut headers = Buf::new(&mut mem);
    headers.push(extra);
    if site.options.cors {
        headers.push(CORS_HEADERS);
    }
    cache::header(&mut headers, &policy(site), Answer::Generated);
    let body_len = response::error(
        out,
        status,
        &site.common,
        headers.as_bytes(),
        keep,
        http10,
        head,
    );
    Reply::new(status, Body::None, body_len, keep)
}

/// The cache policy of `site` (`--max-age`, `--immutable-hashed`, `-H`).
fn policy<'a>(site: &Site<'a>) -> Policy<'a> {
    Policy {
        max_age: site.options.max_age,
        immutable_hashed: site.options.immutable_hashed,
        private: site.auth.is_some(),
        extra: site.common.extra,
    }
}

/// One request in progress.
struct Cx<'a, 'r, 'o> {
    site: &'a Site<'a>,
    req: &'a Request<'r>,
    out: &'a mut Buf<'o>,
    /// The worker's file cache, through which every path is opened.
    files: &'a mut Files,
    keep_alive: bool,
    http10: bool,
    head_only: bool,
    /// The file being answered has a content hash in its name
    /// (`cache::hashed`), under `--immutable-hashed`.
    hashed: bool,
}

impl Cx<'_, '_, '_> {
    /// An error response; a 404 to a GET or HEAD is the `--404` page when
    /// there is one.
    fn error(&mut self, status: Status, extra: &[u8]) -> Reply {
        if status == Status::NotFound
            && let Some(reply) = self.not_found_page()
        {
            return reply;
        }
        error(
            self.site,
            self.out,
            status,
            extra,
            self.keep_alive,
            self.http10,
            self.head_only,
        )
    }

    /// Starts a successful head: status line, common headers, CORS.
    fn start(&mut self, status: Status) {
        response::start(self.out, status, &self.site.common);
        if self.site.options.cors {
            self.out.push(CORS_HEADERS);
        }
    }

    /// The `Cache-Control` line of `answer`, if the policy gives one.
    fn cache(&mut self, answer: Answer) {
        cache::header(self.out, &policy(self.site), answer);
    }

    /// Ends the head; a head that did not fit becomes a 500.
    fn finish(&mut self, status: Status, body: Body, body_len: u64) -> Reply {
        response::end(self.out, self.keep_alive, self.http10);
        if self.out.overflowed() {
            return self.error(Status::InternalServerError, b"");
        }
        let body = if self.head_only { Body::None } else { body };
        Reply::new(status, body, body_len, self.keep_alive)
    }

    /// OPTIONS: the allowed methods, and a CORS preflight answer.
    fn options(&mut self) -> Reply {
        self.start(Status::NoContent);
        self.out.push(match self.site.options.upload {
            true => upload::ALLOW_UPLOAD,
            false => ALLOW,
        });
        if self.site.options.cors {
            self.out.push(PREFLIGHT_HEADERS);
        }
        self.finish(Status::NoContent, Body::None, 0)
    }

    /// GET and HEAD.
    fn get(&mut self, scratch: &mut Scratch) -> Reply {
        // Room for the path, a NUL, and `/index.html` or `.zst`.
        let mut mem = [0u8; MAX_PATH_BYTES + 16];
        let room = mem.get_mut(..MAX_PATH_BYTES).unwrap_or_default();
        let norm = match path::normalize(self.req.path, room) {
            Ok(norm) => norm,
            // No file has so long a path (PATH_MAX): it is missing. 414 is
            // for a request line over the limit (RFC 9110 §15.5.15), and
            // an SPA route may carry a long token.
            Err(PathError::TooLong) => return self.missing(),
            Err(_) => return self.error(Status::BadRequest, b""),
        };
        let rel_len = norm.len;
        // `--hide-dotfiles`: answered exactly as a missing path, so the
        // answer does not tell a hidden file from an absent one.
        if self.site.options.hide_dotfiles && path::hidden(mem.get(..rel_len).unwrap_or_default()) {
            return self.missing();
        }
        let opened = self.open(&mut mem, rel_len, b"");
        let (found, stat) = match opened {
            Ok(found) => found,
            // `--clean-urls`: `/about` is `/about.html`.
            Err(Errno::ENOENT)
                if self.site.options.clean_urls && !norm.trailing_slash && rel_len > 0 =>
            {
                return match self.open(&mut mem, rel_len, HTML) {
                    Ok((found, stat)) if stat.is_file() => {
                        self.file(&mut mem, rel_len + HTML.len(), found, stat)
                    }
                    _ => self.missing(),
                };
            }
            // A name over NAME_MAX cannot exist: missing, like any other.
            Err(Errno::ENOENT | Errno::ENAMETOOLONG) => return self.missing(),
            // A directory that may be searched but not read (mode 711) can
            // still have its index.html served, as nginx and Apache do.
            Err(Errno::EACCES) => match self.open_with(&mut mem, rel_len, b"", Root::open_path) {
                Ok((_, stat)) if stat.is_dir() && norm.trailing_slash => {
                    return self.directory(scratch, &mut mem, rel_len, None);
                }
                Ok((_, stat)) if stat.is_dir() => {
                    return self.redirect(mem.get(..rel_len).unwrap_or_default(), true);
                }
                _ => return self.error(Status::Forbidden, b""),
            },
            Err(e) => return self.error(status_for_errno(e), b""),
        };
        if stat.is_dir() {
            if !norm.trailing_slash {
                return self.redirect(mem.get(..rel_len).unwrap_or_default(), true);
            }
            return self.directory(scratch, &mut mem, rel_len, Some(found));
        }
        if norm.trailing_slash || !stat.is_file() {
            // `/file.txt/` names no directory; FIFOs, sockets and devices
            // are never served.
            let status = if stat.is_file() {
                Status::NotFound
            } else {
                Status::Forbidden
            };
            return self.error(status, b"");
        }
        // `--clean-urls`: `/about.html` moves to `/about`, but only when
        // `/about` would lead back to it (nothing else has that name), so
        // no redirect can loop or hide a file.
        if self.site.options.clean_urls
            && let Some(stem) = html_stem(mem.get(..rel_len).unwrap_or_default())
            && self.is_missing(&mut mem, stem)
        {
            return self.redirect(mem.get(..stem).unwrap_or_default(), false);
        }
        self.file(&mut mem, rel_len, found, stat)
    }

    /// Opens `mem[..len]` + `suffix` beneath the root (`.` for the root)
    /// through the file cache, and stats it.
    fn open(&mut self, mem: &mut [u8], len: usize, suffix: &[u8]) -> Result<(Found, Stat), Errno> {
        let path = with_suffix(mem, len, suffix)?;
        self.files.open(self.site.root, path)
    }

    /// Opens `mem[..len]` + `suffix` another way (`Root::open_path`,
    /// `Root::open_file`), bypassing the cache.
    fn open_with(
        &self,
        mem: &mut [u8],
        len: usize,
        suffix: &[u8],
        how: fn(&Root, CStr) -> Result<OwnedFd, Errno>,
    ) -> Result<(OwnedFd, Stat), Errno> {
        open_beneath(self.site.root, mem, len, suffix, how)
    }

    /// A directory named with its trailing slash: its index.html (or
    /// index.htm), else a listing. `readable` is what opening it for
    /// reading found, None when it may only be searched (then no listing).
    fn directory(
        &mut self,
        scratch: &mut Scratch,
        mem: &mut [u8],
        len: usize,
        readable: Option<Found>,
    ) -> Reply {
        if tar::wanted(self.req.query) {
            return match self.listable(mem, len, readable) {
                Some(dir) => self.tar(scratch, mem.get(..len).unwrap_or_default(), dir),
                None => self.error(Status::Forbidden, b""),
            };
        }
        let sep: &[u8] = if len == 0 { b"" } else { b"/" };
        for index in [INDEX_HTML, b"index.htm"] {
            let mut suffix_mem = [0u8; INDEX_SUFFIX_BYTES];
            let mut suffix = Buf::new(&mut suffix_mem);
            suffix.push(sep).push(index);
            if let Ok((found, stat)) = self.open(mem, len, suffix.as_bytes())
                && stat.is_file()
            {
                let index_len = len + suffix.len();
                return self.file(mem, index_len, found, stat);
            }
        }
        if let Some(reply) = self.kept_listing(mem.get(..len).unwrap_or_default()) {
            return reply;
        }
        match self.listable(mem, len, readable) {
            Some(dir) => self.listing(scratch, mem.get(..len).unwrap_or_default(), dir),
            None => self.error(Status::Forbidden, b""),
        }
    }

    /// The directory `mem[..len]` open for listing, under `--listing`:
    /// `readable` as found, or opened now when it came from the cache
    /// (which keeps no descriptor).
    fn listable(&self, mem: &mut [u8], len: usize, readable: Option<Found>) -> Option<OwnedFd> {
        if !self.site.options.listing {
            return None;
        }
        match readable? {
            Found::Open(dir) => Some(dir),
            Found::Dir | Found::Cached(_) => self
                .open_with(mem, len, b"", Root::open_file)
                .ok()
                .filter(|(_, stat)| stat.is_dir())
                .map(|(dir, _)| dir),
        }
    }
}

/// Opens `mem[..len]` + `suffix` (a normalized path, `.` for the root)
/// beneath `root` with `how`, and stats it.
fn open_beneath(
    root: &Root,
    mem: &mut [u8],
    len: usize,
    suffix: &[u8],
    how: fn(&Root, CStr) -> Result<OwnedFd, Errno>,
) -> Result<(OwnedFd, Stat), Errno> {
    let file = how(root, with_suffix(mem, len, suffix)?)?;
    let stat = sys::fstat(file.as_fd())?;
    Ok((file, stat))
}

/// `mem[..len]` + `suffix` + NUL, as a path relative to the root (`.`
/// for the root itself).
fn with_suffix<'m>(mem: &'m mut [u8], len: usize, suffix: &[u8]) -> Result<CStr<'m>, Errno> {
    let mut tail = Buf::new(mem.get_mut(len..).unwrap_or_default());
    tail.push(suffix).byte(0);
    if tail.overflowed() {
        return Err(Errno::ENAMETOOLONG);
    }
    let end = len + tail.len();
    let path = mem.get(..end).unwrap_or_default();
    let path = if path == b"\0" { b".\0" } else { path };
    CStr::new(path).ok_or(Errno::EINVAL)
}

/// The status for an errno from opening, reading or listing a path.
pub fn status_for_errno(e: Errno) -> Status {
    match e {
        // ENAMETOOLONG: a name over NAME_MAX cannot exist; 414 is for a
        // request line over the limit only (RFC 9110 §15.5.15).
        Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG => Status::NotFound,
        // EXDEV and ELOOP: openat2 refused a path leading out of the root.
        Errno::EACCES | Errno::EPERM | Errno::EXDEV | Errno::ELOOP | Errno::ENXIO => {
            Status::Forbidden
        }
        Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM | Errno::EAGAIN => Status::ServiceUnavailable,
        _ => Status::InternalServerError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_not_found() {
        assert_eq!(status_for_errno(Errno::ENAMETOOLONG), Status::NotFound);
    }
}
