//! Files as responses: the precompressed sibling the client prefers, the
//! validators (strong ETag, Last-Modified), conditional requests (`304`),
//! ranges (`206`, `416`), and small bodies sent with their head. The
//! conditional and range logic (`representation`) serves tar archives too.
//! Also the `--404` page: a file sent whole as the body of a 404.

use super::{Body, CONTENT_RANGE_BYTES, Cx, ENCODINGS, Reply, open_beneath};
use crate::buf::Buf;
use crate::fs::cache::Found;
use crate::fs::path::{self, MAX_PATH_BYTES, PathError};
use crate::fs::root::Root;
use crate::http::cache::{self, Answer};
use crate::http::request::Method;
use crate::http::response::{self, Status};
use crate::http::{conditional, date, encoding, mime, range};
use crate::rt::sys::{self, Errno, OwnedFd, Stat};

/// A representation's validators: its strong ETag, its modification time
/// (None for a generated one), its content-coding.
pub struct Validators<'a> {
    pub etag: &'a [u8],
    pub mtime: Option<i64>,
    pub coding: Option<&'a [u8]>,
}

impl Cx<'_, '_, '_> {
    /// A regular file: validators, conditionals, precompressed siblings and
    /// ranges. `mem[..len]` is its path relative to the root; `found` is
    /// what opening it found (a descriptor, or its bytes in the cache).
    pub(super) fn file(&mut self, mem: &mut [u8], len: usize, found: Found, stat: Stat) -> Reply {
        let name = mem.get(..len).unwrap_or_default();
        let ty = mime::content_type(name);
        self.hashed = self.site.options.immutable_hashed && cache::hashed(name);
        // Pick the best precompressed sibling the client accepts; look only
        // for codings it accepts, so a client that sends no Accept-Encoding
        // costs no extra lookups.
        let (mut found, mut stat) = (found, stat);
        let mut coding: Option<&[u8]> = None;
        let mut chosen: &[u8] = b"";
        let mut best = 0;
        for (suffix, name) in ENCODINGS {
            let q = encoding::preference(self.req.accept_encoding, name);
            if q > best
                && let Ok((f, st)) = self.open(mem, len, suffix)
                && st.is_file()
            {
                (best, found, stat, coding, chosen) = (q, f, st, Some(name), suffix);
            }
        }
        // A sibling's lookup may have taken the chosen file's cache slot.
        if let Found::Cached(hit) = found
            && self.files.body(hit).is_none()
        {
            match self.open(mem, len, chosen) {
                Ok((f, st)) if st.is_file() => (found, stat) = (f, st),
                Ok(_) => return self.error(Status::NotFound, b""),
                Err(e) => return self.error(super::status_for_errno(e), b""),
            }
        }
        let size = stat.len();
        let mut etag_mem = [0u8; conditional::ETAG_MAX_BYTES];
        let mut etag = Buf::new(&mut etag_mem);
        conditional::etag(&mut etag, size, stat.mtime, stat.mtime_nsec as u32);
        let validators = Validators {
            etag: etag.as_bytes(),
            mtime: Some(stat.mtime),
            coding,
        };
        let (status, start, end) = match self.representation(ty.as_bytes(), size, &validators) {
            Ok(range) => range,
            Err(reply) => return reply,
        };
        let file = match found {
            Found::Open(file) => file,
            Found::Cached(hit) => {
                let mut reply = self.finish(status, Body::None, end - start);
                if reply.status != status || self.head_only {
                    return reply;
                }
                // A hit: the body from the cache, behind its head, in
                // one send; else (no room behind a long head) from the
                // file.
                let body = self.files.body(hit).unwrap_or_default();
                let body = body.get(start as usize..end as usize).unwrap_or_default();
                if body.len() as u64 == end - start && body.len() <= self.out.spare().len() {
                    self.out.push(body);
                    return reply;
                }
                match self.open_with(mem, len, chosen, Root::open_file) {
                    Ok((file, _)) => reply.body = file_body(file, start, end),
                    Err(_) => return self.error(Status::InternalServerError, b""),
                }
                return reply;
            }
            Found::Dir => return self.error(Status::NotFound, b""),
        };
        let mut reply = self.finish(status, file_body(file, start, end), end - start);
        inline_small_body(self.out, &mut reply);
        reply
    }

    /// The conditionals and ranges of a representation of `size` bytes (a
    /// file, a tar archive): `304` or `416` as Err, else the head started
    /// (status, `Content-Type`, `Content-Length`, `Content-Range`,
    /// validators) and the status and byte range to send.
    pub(super) fn representation(
        &mut self,
        ty: &[u8],
        size: u64,
        v: &Validators,
    ) -> Result<(Status, u64, u64), Reply> {
        // RFC 9110 §13.2.2: If-None-Match, else If-Modified-Since.
        let not_modified = match (self.req.if_none_match, self.req.if_modified_since, v.mtime) {
            (Some(inm), _, _) => conditional::none_match(inm, v.etag),
            (None, Some(ims), Some(mtime)) => {
                date::parse_http_date(ims).is_some_and(|t| !conditional::modified_since(t, mtime))
            }
            _ => false,
        };
        if not_modified {
            self.start(Status::NotModified);
            self.validators(v);
            return Err(self.finish(Status::NotModified, Body::None, 0));
        }

        // RFC 9110 §13.1.5: a date validates If-Range only when our
        // Last-Modified is strong, i.e. the file last changed at least a
        // second before the Date we send (§8.8.2.2). Both clocks tick in
        // whole seconds, so only an mtime two ticks back is sure to be: a
        // file changed within the last second could otherwise be resumed
        // across two versions.
        let strong_mtime = match v.mtime {
            Some(mtime) if mtime < self.site.common.now - 1 => mtime,
            _ => i64::MIN,
        };
        let wanted = match self.req.if_range {
            Some(ir)
                if !conditional::if_range_matches(
                    ir,
                    v.etag,
                    strong_mtime,
                    date::parse_http_date,
                ) =>
            {
                None
            }
            _ => self.req.range,
        };
        let (status, start, end) = match range::parse_range(wanted, size) {
            range::Range::Full => (Status::Ok, 0, size),
            range::Range::Partial { start, end } => (Status::PartialContent, start, end + 1),
            range::Range::Unsatisfiable => {
                let mut cr_mem = [0u8; CONTENT_RANGE_BYTES];
                let mut cr = Buf::new(&mut cr_mem);
                cr.str("Content-Range: ");
                range::content_range_unsatisfied(&mut cr, size);
                cr.str("\r\n");
                return Err(self.error(Status::RangeNotSatisfiable, cr.as_bytes()));
            }
        };
        self.start(status);
        response::header(self.out, "Content-Type", ty);
        response::header_u64(self.out, "Content-Length", end - start);
        if status == Status::PartialContent {
            self.out.str("Content-Range: ");
            range::content_range(self.out, start, end - 1, size);
            self.out.str("\r\n");
        }
        self.out.str("Accept-Ranges: bytes\r\n");
        self.validators(v);
        Ok((status, start, end))
    }

    /// `--404 FILE` for a GET or HEAD: 404 with the file's whole body. The
    /// page represents the error (RFC 9110 §15.5.5), so no ranges and no
    /// validators apply; it is `no-cache` under a cache policy. None
    /// without a page, or when it cannot be opened now (then the plain
    /// 404).
    pub(super) fn not_found_page(&mut self) -> Option<Reply> {
        let page = self.site.not_found?;
        if !matches!(self.req.method, Method::Get | Method::Head) {
            return None;
        }
        let mut mem = [0u8; MAX_PATH_BYTES];
        let hide = self.site.options.hide_dotfiles;
        let (file, stat, len) = open_not_found(self.site.root, page, &mut mem, hide).ok()?;
        let size = stat.len();
        let ty = mime::content_type(mem.get(..len).unwrap_or_default());
        self.out.truncate(0);
        self.start(Status::NotFound);
        response::header(self.out, "Content-Type", ty.as_bytes());
        response::header_u64(self.out, "Content-Length", size);
        self.cache(Answer::Generated);
        let body = Body::File {
            file,
            offset: 0,
            end: size,
            page: None,
        };
        let mut reply = self.finish(Status::NotFound, body, size);
        inline_small_body(self.out, &mut reply);
        Some(reply)
    }

    /// Last-Modified, ETag, the encoding headers, and `Cache-Control`.
    /// Every file answer (one with a modification time) says `Vary:
    /// Accept-Encoding`: which representation is chosen always depends on
    /// it (a sibling may appear at any time), so caches must key on it (RFC
    /// 9110 §12.5.5). A 304 carries the `Cache-Control` its 200 would (RFC
    /// 9110 §15.4.5); a generated one (a tar archive) is `no-cache`.
    fn validators(&mut self, v: &Validators) {
        self.out.str("ETag: ").push(v.etag).str("\r\n");
        let answer = match v.mtime {
            Some(_) => Answer::File {
                hashed: self.hashed,
            },
            None => Answer::Generated,
        };
        self.cache(answer);
        if let Some(mtime) = v.mtime {
            self.out.str("Last-Modified: ");
            date::imf_fixdate(self.out, mtime);
            self.out.str("\r\nVary: Accept-Encoding\r\n");
        }
        if let Some(coding) = v.coding {
            response::header(self.out, "Content-Encoding", coding);
        }
    }
}

/// Opens the `--404` page `path` (beneath the root, with or without a
/// leading `/`) as any request path is opened: normalized (no `..` above
/// the root), hidden under `hide_dotfiles`, then opened beneath the root.
/// The open page, its stat, and its normalized path's length in `mem`.
pub(super) fn open_not_found(
    root: &Root,
    path: &[u8],
    mem: &mut [u8],
    hide_dotfiles: bool,
) -> Result<(OwnedFd, Stat, usize), Errno> {
    let len = match path::normalize_file(path, mem) {
        Ok(norm) => norm.len,
        Err(PathError::TooLong) => return Err(Errno::ENAMETOOLONG),
        Err(_) => return Err(Errno::EINVAL),
    };
    if hide_dotfiles && path::hidden(mem.get(..len).unwrap_or_default()) {
        return Err(Errno::ENOENT);
    }
    let (file, stat) = open_beneath(root, mem, len, b"", Root::open_file)?;
    if stat.is_file() {
        Ok((file, stat, len))
    } else if stat.is_dir() {
        Err(Errno::EISDIR)
    } else {
        Err(Errno::EINVAL)
    }
}

/// Bytes `start..end` of `file`, sent after the head.
fn file_body(file: OwnedFd, start: u64, end: u64) -> Body {
    Body::File {
        file,
        offset: start,
        end,
        page: None,
    }
}

/// Bodies up to this many bytes are read into the output buffer behind the
/// head and sent with it in one send(2): for small files one read is
/// cheaper than a second syscall into sendfile's page-splicing machinery.
pub const INLINE_BODY_BYTES: u64 = 2048;

/// Moves a small file body into `out`, behind its head, when it fits.
fn inline_small_body(out: &mut Buf, reply: &mut Reply) {
    let Body::File {
        file,
        offset,
        end,
        page: None,
    } = &reply.body
    else {
        return;
    };
    let len = end - offset;
    let spare = out.spare();
    if len > INLINE_BODY_BYTES || len > spare.len() as u64 {
        return;
    }
    let into = spare.get_mut(..len as usize).unwrap_or_default();
    // A short read (the file shrank) keeps the sendfile path, which ends
    // the connection rather than send fewer bytes than announced.
    if sys::pread(file.as_fd(), into, *offset) == Ok(len as usize) {
        out.commit(len as usize);
        reply.body = Body::None;
    }
}
