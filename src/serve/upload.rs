//! Uploads (`--upload`): `PUT /dir/name` with a raw body, and the listing
//! form's `multipart/form-data` POST to a directory. Every file is written
//! into an unnamed `O_TMPFILE` in its target directory and given its name
//! with `linkat(2)` only once its body is complete and its length checked,
//! so a reader never sees a partial file and an aborted, timed-out or
//! refused upload leaves nothing behind (closing the descriptor frees the
//! unnamed file). `--upload-overwrite` replaces a file by linking the new
//! one under a temporary name and `renameat(2)`-ing it over the old one.
//!
//! The head is checked before any body byte is read (`Cx::upload`: method,
//! path, name, directory, an existing file, the size limit), so a refusal
//! can answer `Expect: 100-continue` with the final status instead. The
//! connection then feeds the body through `Upload::absorb` (bytes it read)
//! or `Upload::splice_from` (socket → pipe → file, never through user
//! space), and `finish` writes the answer: `201` (`204` for a replaced
//! file) with `Location` for a PUT, `303` back to the listing for a form.

use super::{Body, Cx, Reply, Site, status_for_errno};
use crate::buf::Buf;
use crate::fs::path::{self, MAX_PATH_BYTES};
use crate::fs::root::{DOT, NAME_MAX_BYTES};
use crate::http::chunked::Decoder;
use crate::http::conditional;
use crate::http::multipart::{self, Event, Parser};
use crate::http::request::{self, MAX_HEAD_BYTES, Method};
use crate::http::response::{self, Status};
use crate::rt::sys::{self, At, BorrowedFd, CStr, Errno, Open, OwnedFd};
use core::sync::atomic::{AtomicU64, Ordering};

/// Uploads one worker receives at once: each holds a directory, a file
/// and a pipe open, and a client that starts many and sends nothing must
/// not take every descriptor. Past it, `503`.
pub const MAX_UPLOADS_IN_FLIGHT: usize = 64;

/// The most bytes moved by one splice(2) from the socket: a pipe holds
/// 64 KiB by default, and one call fills it at most.
const SPLICE_CHUNK_BYTES: usize = 64 * 1024;

/// Room the body needs in the input buffer after the head: a form's part
/// head with its delimiter line, or a chunk-size line with extensions.
const MIN_BODY_ROOM_BYTES: usize = multipart::MIN_BUFFER_BYTES + multipart::MAX_BOUNDARY_BYTES + 8;

/// The interim answer to `Expect: 100-continue` (RFC 9110 §10.1.1).
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The `Allow` header when uploads are on (RFC 9110 §10.2.1).
pub const ALLOW_UPLOAD: &[u8] = b"Allow: GET, HEAD, OPTIONS, PUT, POST\r\n";

/// How the request body ends (RFC 9112 §6.3).
enum Framing {
    /// `Content-Length`: this many bytes are still to come.
    Length(u64),
    Chunked(Decoder),
}

/// The parts of an upload in progress too large to keep in every
/// connection slot (which every idle connection would pay for, in memory
/// written at start): its file name and its form's parser, ~350 bytes. A
/// worker maps `MAX_UPLOADS_IN_FLIGHT` of them once (`Scratch::uploads`);
/// an upload's ticket is its index.
pub struct Spare {
    /// The file's name, NUL-terminated.
    name: [u8; NAME_MAX_BYTES + 1],
    /// The form's parser; None for a PUT.
    form: Option<Parser>,
}

impl Spare {
    /// An unused one.
    pub fn new() -> Spare {
        Spare {
            name: [0; NAME_MAX_BYTES + 1],
            form: None,
        }
    }
}

/// One upload in progress, kept in its connection's slot (its name and
/// parser are in its `Spare`). See the module docs.
pub struct Upload {
    framing: Framing,
    /// A form (POST), not a PUT.
    is_form: bool,
    /// The target directory (`O_PATH`).
    dir: OwnedFd,
    /// The unnamed file being written; None between a form's files.
    file: Option<OwnedFd>,
    /// The pipe of `splice_from` (read end, write end), made on first use.
    pipe: Option<(OwnedFd, OwnedFd)>,
    /// Body bytes taken from the framing so far (the limit counts them).
    received: u64,
    limit: u64,
    /// Body bytes at the front of the connection's body area that the
    /// framing has taken but the file or form has not consumed yet.
    pending: usize,
    /// An existing file may be replaced; one was.
    replace: bool,
    replaced: bool,
    /// `If-None-Match: *`: a taken name is `412`, not `409`.
    none_match: bool,
    hide_dotfiles: bool,
    /// The form's close delimiter was seen; the rest is its epilogue.
    form_done: bool,
    ticket: UploadTicket,
}

/// What `splice_from` got from the socket.
pub enum Spliced {
    /// Bytes moved into the file.
    Bytes(usize),
    /// Nothing yet (`EAGAIN`).
    Again,
    /// The client closed or reset the connection.
    Closed,
}

impl Cx<'_, '_, '_> {
    /// PUT and POST: checks the head and opens the upload, or refuses it
    /// before any of the body is read.
    pub(super) fn upload(&mut self, spares: &mut [Spare], buffered_body: bool) -> Reply {
        let options = self.site.options;
        let allow = ALLOW_UPLOAD;
        if !options.upload {
            return self.error(Status::NotImplemented, super::ALLOW);
        }
        let req = self.req;
        // A partial PUT would replace the file with its part (RFC 9110
        // §14.5: a server that does not apply it MUST answer 400).
        if req.content_range {
            return self.error(Status::BadRequest, b"");
        }
        // The head stays in the input buffer while the body streams
        // through the rest of it; a form's part head or a chunk-size line
        // must fit there too.
        if req.head_len + MIN_BODY_ROOM_BYTES > MAX_HEAD_BYTES {
            return self.error(Status::HeaderFieldsTooLarge, b"");
        }
        let framing = match (req.chunked, req.content_length) {
            (true, _) => Framing::Chunked(Decoder::new()),
            (false, Some(n)) if n > options.max_upload => {
                return self.error(Status::ContentTooLarge, b"");
            }
            (false, n) => Framing::Length(n.unwrap_or(0)),
        };
        let ticket = UploadTicket::take();
        let Some((ticket, spare)) = ticket.and_then(|t| Some((t.0, spares.get_mut(t.0)?))) else {
            return self.error(Status::ServiceUnavailable, b"");
        };
        let mut mem = [0u8; MAX_PATH_BYTES + 2];
        let room = mem.get_mut(..MAX_PATH_BYTES).unwrap_or_default();
        // A name the file system cannot hold is refused like any other
        // bad name (414 is only for a request line over the limit).
        let Ok(norm) = path::normalize(req.path, room) else {
            return self.error(Status::BadRequest, b"");
        };
        let rel = mem.get(..norm.len).unwrap_or_default();
        let put = req.method == Method::Put;
        // A PUT names a file: its directory and its last segment.
        let (dir_rel, name) = match (put, rel.iter().rposition(|&b| b == b'/')) {
            (false, _) => (rel, &b""[..]),
            (true, Some(at)) => (
                rel.get(..at).unwrap_or_default(),
                rel.get(at + 1..).unwrap_or_default(),
            ),
            (true, None) => (&b""[..], rel),
        };
        if put && (norm.trailing_slash || !valid_name(name, options.hide_dotfiles)) {
            return self.error(Status::BadRequest, allow);
        }
        // With --hide-dotfiles no dot-directory takes uploads either
        // (`.ssh/authorized_keys` in a shared home directory).
        let hidden = rel
            .split(|&b| b == b'/')
            .any(|seg| seg.first() == Some(&b'.'));
        if options.hide_dotfiles && hidden {
            return self.error(Status::BadRequest, b"");
        }
        let dir = match open_dir(self.site, dir_rel) {
            Ok(dir) => dir,
            Err(e) => return self.error(status_for_errno(e), b""),
        };
        let form = match put {
            true => None,
            false => match multipart::boundary(req.content_type.unwrap_or_default()) {
                Some(b) => Parser::new(b),
                None => None,
            },
        };
        if !put && form.is_none() {
            return self.error(Status::BadRequest, b"");
        }
        // `If-None-Match: *`: only if no file has the name (RFC 9110
        // §13.1.2); other values name versions and do not apply to a PUT
        // that creates a file.
        let star = req.if_none_match.is_some_and(conditional::any_star);
        let mut up = Upload {
            framing,
            is_form: !put,
            dir,
            file: None,
            pipe: None,
            received: 0,
            limit: options.max_upload,
            pending: 0,
            replace: options.overwrite && !star,
            replaced: false,
            none_match: star,
            hide_dotfiles: options.hide_dotfiles,
            form_done: false,
            ticket: UploadTicket(ticket),
        };
        spare.form = form;
        if put && let Err(status) = up.create(&mut spare.name, name) {
            return self.error(status, b"");
        }
        // The client waits for a go-ahead before sending the body.
        if req.expect_continue && !self.http10 && !buffered_body {
            self.out.push(CONTINUE);
        }
        let keep_alive = !req.close && (!self.http10 || req.keep_alive) && !self.site.closing;
        Reply::new(Status::Continue, Body::Upload(up), 0, keep_alive)
    }
}

/// Opens the directory `rel` (relative to the root, empty for the root)
/// for creating files in it, beneath the root as every path is.
fn open_dir(site: &Site, rel: &[u8]) -> Result<OwnedFd, Errno> {
    let mut mem = [0u8; MAX_PATH_BYTES + 2];
    let mut path = Buf::new(&mut mem);
    if rel.is_empty() {
        path.byte(b'.');
    }
    path.push(rel).byte(0);
    let path = CStr::new(path.as_bytes()).ok_or(Errno::ENAMETOOLONG)?;
    let dir = site.root.open_path(path)?;
    if !sys::fstat(dir.as_fd())?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(dir)
}

/// A name an upload may take: one path segment, not `.` or `..`, no NUL,
/// `/` or control bytes, at most NAME_MAX bytes, and no leading `.` with
/// `--hide-dotfiles`.
pub fn valid_name(name: &[u8], hide_dotfiles: bool) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX_BYTES
        && name != b"."
        && name != b".."
        && !(hide_dotfiles && name.first() == Some(&b'.'))
        && name.iter().all(|&b| b >= 0x20 && b != 0x7f && b != b'/')
}

impl Upload {
    /// Starts a file named `name`: refuses a name taken (unless it may be
    /// replaced) and opens the unnamed file it is written into.
    /// `name_buf` keeps the name until `link`.
    fn create(&mut self, name_buf: &mut Name, name: &[u8]) -> Result<(), Status> {
        if !valid_name(name, self.hide_dotfiles) {
            return Err(Status::BadRequest);
        }
        buf_name(name_buf, name);
        let cname = CStr::new(name_bytes(name_buf)).ok_or(Status::BadRequest)?;
        match sys::fstatat(self.dir.as_fd(), cname, At::SYMLINK_NOFOLLOW) {
            Ok(st) if st.is_dir() => return Err(Status::Conflict),
            Ok(_) if self.none_match => return Err(Status::PreconditionFailed),
            Ok(_) if !self.replace => return Err(Status::Conflict),
            Ok(_) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(status_for_errno(e)),
        }
        match sys::openat(self.dir.as_fd(), DOT, Open::TMPFILE.with(Open::CLOEXEC)) {
            Ok(file) => self.file = Some(file),
            Err(e) => return Err(write_status(e)),
        }
        Ok(())
    }

    /// Gives the finished file its name: `linkat`, or for a replacement a
    /// link under a temporary name (`.httpd-upload-<inode>`, unique in its
    /// file system) renamed over the old file.
    fn link(&mut self, name_buf: &Name) -> Result<(), Status> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let name = CStr::new(name_bytes(name_buf)).ok_or(Status::BadRequest)?;
        let dir = self.dir.as_fd();
        match sys::linkat(file.as_fd(), dir, name) {
            Ok(()) => Ok(()),
            Err(Errno::EEXIST) if self.replace => {
                let ino = sys::fstat(file.as_fd()).map_err(write_status)?.ino;
                let mut mem = [0u8; 40];
                let mut temp = Buf::new(&mut mem);
                temp.str(".httpd-upload-").hex(ino).byte(0);
                let temp = CStr::new(temp.as_bytes()).ok_or(Status::InternalServerError)?;
                sys::linkat(file.as_fd(), dir, temp).map_err(write_status)?;
                sys::renameat(dir, temp, name).map_err(write_status)?;
                self.replaced = true;
                Ok(())
            }
            Err(Errno::EEXIST) if self.none_match => Err(Status::PreconditionFailed),
            Err(Errno::EEXIST) => Err(Status::Conflict),
            Err(e) => Err(write_status(e)),
        }
    }

    /// Takes the body bytes the connection holds in `area[..len]` (after
    /// the head): decodes the framing, writes file data, follows the form.
    /// Returns how many bytes are left at the front of `area` (undecoded
    /// or held-back bytes, or, once the body is complete, the next
    /// request's) and whether the body is complete.
    pub fn absorb(
        &mut self,
        spare: &mut Spare,
        area: &mut [u8],
        len: usize,
    ) -> Result<(usize, bool), Status> {
        let before = self.pending;
        let (pending, mut len) = match &mut self.framing {
            Framing::Length(remaining) => {
                let fresh = len.saturating_sub(self.pending).min(*remaining as usize) as u64;
                *remaining -= fresh;
                (self.pending + fresh as usize, len)
            }
            Framing::Chunked(decoder) => decoder
                .decode(area, self.pending, len)
                .map_err(|_| Status::BadRequest)?,
        };
        self.received += (pending - before) as u64;
        if self.received > self.limit {
            return Err(Status::ContentTooLarge);
        }
        let data = area.get(..pending).unwrap_or_default();
        let used = self.take(spare, data)?;
        len = crate::buf::move_to_front(area, used, len);
        self.pending = pending - used;
        let framed = match &self.framing {
            Framing::Length(remaining) => *remaining == 0,
            Framing::Chunked(decoder) => decoder.is_done(),
        };
        if framed && self.is_form && !self.form_done {
            // The body ended inside the form: what the parser holds back
            // (a possible delimiter) will never be completed.
            return Err(Status::BadRequest);
        }
        Ok((len, framed && self.pending == 0))
    }

    /// Writes `data` to the file (a PUT) or feeds it to the form; returns
    /// how much was consumed (a form holds back what may be a delimiter).
    fn take(&mut self, spare: &mut Spare, data: &[u8]) -> Result<usize, Status> {
        match spare.form.as_mut() {
            Some(form) if self.is_form => self.follow(form, &mut spare.name, data),
            _ => self.write(data).map(|()| data.len()),
        }
    }

    /// Runs the form's parser over `data`: a part with a file name starts
    /// a file, its data is written, its end links it.
    fn follow(
        &mut self,
        form: &mut Parser,
        name_buf: &mut Name,
        data: &[u8],
    ) -> Result<usize, Status> {
        let mut at = 0;
        while !self.form_done {
            let rest = data.get(at..).unwrap_or_default();
            let (n, event) = form.step(rest, false).map_err(|_| Status::BadRequest)?;
            at += n;
            match event {
                None => break,
                Some(Event::Part {
                    filename: Some(filename),
                    ..
                }) => {
                    let mut name = [0u8; NAME_MAX_BYTES + 1];
                    let len = multipart::decode_filename(filename, &mut name)
                        .ok_or(Status::BadRequest)?;
                    let name = name.get(..len).unwrap_or_default();
                    // A form sent with no file chosen has an empty one.
                    if !name.is_empty() {
                        self.create(name_buf, name)?;
                    }
                }
                Some(Event::Part { .. }) => {}
                Some(Event::Data(bytes)) => self.write(bytes)?,
                Some(Event::PartEnd) => self.link(name_buf)?,
                Some(Event::End) => self.form_done = true,
            }
        }
        // After the close delimiter, the epilogue is ignored.
        Ok(if self.form_done { data.len() } else { at })
    }

    /// Appends `data` to the open file, if any.
    fn write(&mut self, mut data: &[u8]) -> Result<(), Status> {
        let Some(file) = self.file.as_ref() else {
            return Ok(());
        };
        while !data.is_empty() {
            match sys::write(file.as_fd(), data) {
                Ok(0) => return Err(Status::InternalServerError),
                Ok(n) => data = data.get(n..).unwrap_or_default(),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(write_status(e)),
            }
        }
        Ok(())
    }

    /// True when the rest of the body can go from the socket straight to
    /// the file: a PUT with a `Content-Length`, nothing buffered.
    pub fn can_splice(&self) -> bool {
        matches!(self.framing, Framing::Length(n) if n > 0) && !self.is_form && self.pending == 0
    }

    /// Moves up to 64 KiB of the body from `sock` into the file through a
    /// pipe: splice(2) twice, no copy through user space.
    pub fn splice_from(&mut self, sock: BorrowedFd) -> Result<Spliced, Status> {
        let Framing::Length(remaining) = &mut self.framing else {
            return Ok(Spliced::Again);
        };
        let Some(file) = self.file.as_ref() else {
            return Ok(Spliced::Closed);
        };
        if self.pipe.is_none() {
            self.pipe = Some(sys::pipe2().map_err(|_| Status::ServiceUnavailable)?);
        }
        let Some((pipe_out, pipe_in)) = self.pipe.as_ref() else {
            return Ok(Spliced::Closed);
        };
        let want = (*remaining).min(SPLICE_CHUNK_BYTES as u64) as usize;
        let n = match sys::splice(sock, pipe_in.as_fd(), want) {
            Ok(0) => return Ok(Spliced::Closed),
            Ok(n) => n,
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(Spliced::Again),
            Err(_) => return Ok(Spliced::Closed),
        };
        let mut left = n;
        while left > 0 {
            match sys::splice(pipe_out.as_fd(), file.as_fd(), left) {
                Ok(0) => return Err(Status::InternalServerError),
                Ok(m) => left = left.saturating_sub(m),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(write_status(e)),
            }
        }
        *remaining -= n as u64;
        self.received += n as u64;
        Ok(Spliced::Bytes(n))
    }
}

/// The status for an errno from creating or writing an upload.
fn write_status(e: Errno) -> Status {
    match e {
        Errno::ENOSPC | Errno::EDQUOT => Status::InsufficientStorage,
        Errno::EFBIG => Status::ContentTooLarge,
        Errno::EROFS | Errno::ETXTBSY => Status::Forbidden,
        e => status_for_errno(e),
    }
}

/// A file name with its NUL.
type Name = [u8; NAME_MAX_BYTES + 1];

/// The name in `name` with its NUL.
fn name_bytes(name: &Name) -> &[u8] {
    let len = name.iter().position(|&b| b == 0).unwrap_or(0);
    name.get(..=len).unwrap_or_default()
}

/// Copies `name` into `into`, NUL-terminated (it fits: checked by
/// `valid_name`).
fn buf_name(into: &mut Name, name: &[u8]) {
    *into = [0; NAME_MAX_BYTES + 1];
    crate::buf::copy(into.get_mut(..NAME_MAX_BYTES).unwrap_or_default(), name);
}

/// The answer once the body is in: the file linked (`201`, or `204` when
/// it replaced one, with `Location`), the form's files linked (`303` back
/// to the directory), or the error that ended it. `head` is the request
/// head, still at the front of the connection's input.
pub fn finish(
    site: &Site,
    up: Option<(&mut Upload, &Spare)>,
    failed: Option<Status>,
    head: &[u8],
    out: &mut Buf,
    keep_alive: bool,
) -> Reply {
    let Ok(req) = request::parse(head, head.len()) else {
        return super::error(site, out, Status::BadRequest, b"", false, false, false);
    };
    let http10 = req.version == request::Version::Http10;
    let linked = match (up, failed) {
        (_, Some(status)) => Err(status),
        (None, None) => Err(Status::InternalServerError),
        (Some((up, spare)), None) => up.link(&spare.name).map(|()| up.replaced),
    };
    let status = match (linked, req.method) {
        (Err(status), _) => {
            // The body may be unread: the connection closes.
            return super::error(site, out, status, b"", false, http10, false);
        }
        (Ok(true), Method::Put) => Status::NoContent,
        (Ok(false), Method::Put) => Status::Created,
        // A form goes back to its listing, whatever it replaced.
        (Ok(_), _) => Status::SeeOther,
    };
    out.truncate(0);
    response::start(out, status, &site.common);
    if site.options.cors {
        out.push(super::CORS_HEADERS);
    }
    let mut mem = [0u8; MAX_PATH_BYTES];
    if let Ok(norm) = path::normalize(req.path, &mut mem) {
        let rel = mem.get(..norm.len).unwrap_or_default();
        super::location(out, rel, status == Status::SeeOther);
        out.str("\r\n");
    }
    out.str("Content-Length: 0\r\n");
    response::end(out, keep_alive, http10);
    if out.overflowed() {
        return super::error(
            site,
            out,
            Status::InternalServerError,
            b"",
            false,
            http10,
            false,
        );
    }
    Reply::new(status, Body::None, 0, keep_alive)
}

/// Uploads this worker process holds open, one bit each (workers are
/// processes, so a static counts per worker): a ticket's bit is its
/// `Spare`'s index.
static UPLOADS_IN_FLIGHT: AtomicU64 = AtomicU64::new(0);

const _: () = assert!(MAX_UPLOADS_IN_FLIGHT <= 64, "one bit per upload in a u64");

/// The right to hold one upload open, and the index of its `Spare`;
/// returned on drop.
struct UploadTicket(usize);

impl UploadTicket {
    /// A ticket, or None when `MAX_UPLOADS_IN_FLIGHT` are out.
    fn take() -> Option<UploadTicket> {
        loop {
            let held = UPLOADS_IN_FLIGHT.load(Ordering::Relaxed);
            let free = (!held).trailing_zeros() as usize;
            if free >= MAX_UPLOADS_IN_FLIGHT {
                return None;
            }
            let taken = held | 1 << free;
            let swap = UPLOADS_IN_FLIGHT.compare_exchange(
                held,
                taken,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            if swap.is_ok() {
                return Some(UploadTicket(free));
            }
        }
    }
}

impl Drop for UploadTicket {
    fn drop(&mut self) {
        UPLOADS_IN_FLIGHT.fetch_and(!(1 << self.0), Ordering::Relaxed);
    }
}

impl Upload {
    /// The index of its `Spare`.
    pub fn spare(&self) -> usize {
        self.ticket.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "a",
            "a b.txt",
            "ü.txt",
            ".env",
            "..a",
            "a..",
            "x".repeat(255).as_str(),
        ] {
            assert!(valid_name(ok.as_bytes(), false), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\0b",
            "a\nb",
            "\x7f",
            &"x".repeat(256),
        ] {
            assert!(!valid_name(bad.as_bytes(), false), "{bad:?}");
        }
        assert!(!valid_name(b".env", true));
        assert!(valid_name(b"a.env", true));
    }
}
