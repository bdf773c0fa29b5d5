//! Whole-folder downloads: `GET /dir/?download=tar` answers the tree
//! beneath `/dir/` as one POSIX pax/ustar archive (`fs::tar`), with an
//! exact `Content-Length`, so browsers show real progress and `curl -C -`
//! resumes it. The first pass (`fs::tree::walk`) lists the members into a
//! memfd and computes the length; the second, `TarStream`, runs while the
//! answer is sent: each member's header is built in the connection's
//! output buffer, its body goes out with `sendfile` from the file itself,
//! and nothing is held beyond one header. A file that changed size since
//! the walk is cut or padded with zeros to the size its header announced,
//! so the archive stays valid (and the same length); one that vanished is
//! all zeros.

use super::{Body, Cx, PageTicket, Reply, Scratch, Status, Turn, Validators, status_for_errno};
use crate::buf::Buf;
use crate::fs::path::{self, MAX_PATH_BYTES};
use crate::fs::tar::{self, MAX_HEADER_BYTES};
use crate::fs::tree::{self, MAX_RECORD_BYTES, Manifest, WalkError};
use crate::http::request;
use crate::rt::sys::{self, BorrowedFd, CStr, OwnedFd};

/// The top directory's name in an archive of the served root itself,
/// which has no name of its own in a request path.
const ROOT_NAME: &[u8] = b"root";

/// The media type of a tar archive.
const TAR_TYPE: &[u8] = b"application/x-tar";

/// The part of a tar download still to send. See the module docs.
pub struct TarStream {
    manifest: Manifest,
    /// Manifest offsets of the current member's record and the next one.
    record: u64,
    next_record: u64,
    /// The current member: where its header starts in the archive, the
    /// header's length and the body's; `in_member` is false past the last.
    member_at: u64,
    header_len: u64,
    size: u64,
    in_member: bool,
    /// The archive offset of the next byte to send, and the end (a
    /// range's end, or the archive's).
    pos: u64,
    end: u64,
    /// The current member's file, open while its body is sent.
    file: Option<OwnedFd>,
    /// The file ended early (or could not be opened): zeros instead.
    short: bool,
    _ticket: PageTicket,
}

/// What to send next.
pub enum Piece<'a> {
    /// `n` bytes (a header, padding or zeros) are in the output buffer.
    Out(usize),
    /// Up to `count` bytes of `file` from `offset`, with sendfile; say
    /// how many went with `sent`, or `cut_short` when the file ended.
    File {
        file: BorrowedFd<'a>,
        offset: u64,
        count: usize,
    },
    /// The archive (or the range) is all sent.
    Done,
}

/// The query asks for the tar download: a `download=tar` parameter.
pub fn wanted(query: &[u8]) -> bool {
    query
        .strip_prefix(b"?")
        .unwrap_or_default()
        .split(|&b| b == b'&')
        .any(|p| p == b"download=tar")
}

/// The archive's top directory for the normalized directory path `rel`:
/// its last segment, or `ROOT_NAME` for the root.
fn top_of(rel: &[u8]) -> &[u8] {
    match rel.rsplit(|&b| b == b'/').next() {
        Some(last) if !last.is_empty() => last,
        _ => ROOT_NAME,
    }
}

impl Cx<'_, '_, '_> {
    /// The tar download of the directory `rel`, open as `dir`. Like a
    /// listing it reads the whole tree, so it takes a page ticket and ends
    /// the connection's turn.
    pub(super) fn tar(&mut self, scratch: &mut Scratch, rel: &[u8], dir: OwnedFd) -> Reply {
        let ticket = match self.render_turn(scratch) {
            Ok(ticket) => ticket,
            Err(reply) => return reply,
        };
        let top = top_of(rel);
        let hide = self.site.options.hide_dotfiles;
        let manifest = match tree::walk(self.site.root, dir, rel, top, hide, scratch.names) {
            Ok(m) => m,
            Err(WalkError::TooLarge) => return self.error(Status::Forbidden, b""),
            Err(WalkError::Errno(e)) => return self.error(status_for_errno(e), b""),
        };
        let len = manifest.archive_len;
        let mut etag_mem = [0u8; 48];
        let mut etag = Buf::new(&mut etag_mem);
        etag.str("\"tar-")
            .hex(manifest.hash)
            .byte(b'-')
            .hex(len)
            .byte(b'"');
        // No Last-Modified: a tree has no one modification time.
        let validators = Validators {
            etag: etag.as_bytes(),
            mtime: None,
            coding: None,
        };
        let (status, start, end) = match self.representation(TAR_TYPE, len, &validators) {
            Ok(range) => range,
            Err(mut reply) => {
                reply.turn = Turn::End;
                return reply;
            }
        };
        self.out.str("Content-Disposition: attachment; filename=\"");
        // The name as a quoted-string (RFC 6266 §4.1): no quote, backslash
        // or control byte can end it early.
        for &b in top {
            let plain = b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f;
            self.out.byte(if plain { b } else { b'_' });
        }
        self.out.str(".tar\"\r\n");
        let mut stream = TarStream {
            manifest,
            record: 0,
            next_record: 0,
            member_at: 0,
            header_len: 0,
            size: 0,
            in_member: false,
            pos: 0,
            end,
            file: None,
            short: false,
            _ticket: ticket,
        };
        stream.load();
        stream.seek(start);
        let mut reply = self.finish(status, Body::Tar(stream), end - start);
        reply.turn = Turn::End;
        reply
    }
}

impl TarStream {
    /// Reads the member at `record` (none past the end).
    fn load(&mut self) {
        let mut buf = [0u8; MAX_RECORD_BYTES];
        match tree::read_record(self.manifest.fd.as_fd(), self.record, &mut buf) {
            Some((m, next)) if self.record < self.manifest.records_len => {
                self.header_len = tar::header_len(&m);
                self.size = if m.dir { 0 } else { m.size };
                self.next_record = next;
                self.in_member = true;
            }
            _ => self.in_member = false,
        }
        (self.file, self.short) = (None, false);
    }

    /// Bytes the current member takes: header, body, padding.
    fn member_len(&self) -> u64 {
        self.header_len + self.size + tar::padding(self.size)
    }

    /// Moves on to the next member.
    fn advance(&mut self) {
        self.member_at += self.member_len();
        self.record = self.next_record;
        self.load();
    }

    /// Skips the members wholly before `start` (a range), opening none.
    fn seek(&mut self, start: u64) {
        while self.in_member && self.member_at + self.member_len() <= start {
            self.advance();
        }
        self.pos = start;
    }

    /// `n` bytes of the current file went out.
    pub fn sent(&mut self, n: usize) {
        self.pos += n as u64;
    }

    /// The current file ended before its announced size: the rest of its
    /// body is zeros.
    pub fn cut_short(&mut self) {
        (self.file, self.short) = (None, true);
    }

    /// What to send next; `head` is the request head (for the directory's
    /// path, from which member files are opened) and `out` the output
    /// buffer.
    pub fn next<'a>(
        &'a mut self,
        root: &crate::fs::root::Root,
        head: &[u8],
        out: &mut [u8],
    ) -> Piece<'a> {
        // Headers, padding, the trailer and bodies that fit are gathered
        // in `out` and go in one send: a tree of small files costs a send
        // per bufferful, not three per file. Larger bodies go with
        // sendfile.
        let mut filled = 0;
        let mut sendfile = None;
        loop {
            let left = self.end.saturating_sub(self.pos);
            let free = out.get_mut(filled..).unwrap_or_default();
            let room = (free.len() as u64).min(left);
            if room == 0 {
                break;
            }
            let n = if !self.in_member {
                // The trailer: `TRAILER_BYTES` of zeros.
                zeros(free, room)
            } else if let Some(at) = Some(self.pos - self.member_at)
                && at < self.header_len
            {
                let mut rec = [0u8; MAX_RECORD_BYTES];
                let mut mem = [0u8; MAX_HEADER_BYTES];
                let mut header = Buf::new(&mut mem);
                if let Some((m, _)) =
                    tree::read_record(self.manifest.fd.as_fd(), self.record, &mut rec)
                {
                    tar::header(&m, &mut header);
                }
                let bytes = header.as_bytes().get(at as usize..).unwrap_or_default();
                let n = crate::buf::copy(free.get_mut(..room as usize).unwrap_or_default(), bytes);
                if n == 0 {
                    // The manifest cannot be read back: end the response.
                    break;
                }
                n
            } else if let Some(body_at) = Some(at_body(self))
                && body_at < self.size
            {
                let count = (self.size - body_at).min(left);
                if self.file.is_none() && !self.short {
                    self.file = self.open(root, head);
                    self.short = self.file.is_none();
                }
                let fits = count <= room;
                let read = match (&self.file, fits) {
                    (Some(file), true) => {
                        let into = free.get_mut(..count as usize).unwrap_or_default();
                        Some(sys::pread(file.as_fd(), into, body_at))
                    }
                    _ => None,
                };
                match (read, self.file.is_some()) {
                    // A body that fits goes with the rest; a short read
                    // means the file shrank.
                    (Some(Ok(n)), _) if n > 0 => n,
                    (Some(_), _) => {
                        self.cut_short();
                        continue;
                    }
                    (None, true) => {
                        if filled == 0 {
                            sendfile = Some((body_at, count as usize));
                        }
                        break;
                    }
                    (None, false) => zeros(free, room.min(count)),
                }
            } else {
                let pad_at = at_body(self) - self.size;
                let pad = tar::padding(self.size);
                if pad_at >= pad {
                    self.advance();
                    continue;
                }
                zeros(free, room.min(pad - pad_at))
            };
            filled += n;
            self.pos += n as u64;
        }
        match (&self.file, sendfile) {
            (Some(file), Some((offset, count))) => Piece::File {
                file: file.as_fd(),
                offset,
                count,
            },
            _ if filled == 0 => Piece::Done,
            _ => Piece::Out(filled),
        }
    }

    /// Opens the current member's file beneath the root, as any request
    /// path is opened; None if it is gone or no longer a regular file.
    fn open(&self, root: &crate::fs::root::Root, head: &[u8]) -> Option<OwnedFd> {
        let req = request::parse(head, head.len()).ok()?;
        let mut rel_mem = [0u8; MAX_PATH_BYTES];
        let norm = path::normalize(req.path, &mut rel_mem).ok()?;
        let rel = rel_mem.get(..norm.len)?;
        let mut rec = [0u8; MAX_RECORD_BYTES];
        let (m, _) = tree::read_record(self.manifest.fd.as_fd(), self.record, &mut rec)?;
        let mut src = [0u8; MAX_PATH_BYTES + 2];
        let len = tree::source_path(rel, top_of(rel), m.path, &mut src)?;
        let file = root.open_file(CStr::new(src.get(..len)?)?).ok()?;
        sys::fstat(file.as_fd()).ok()?.is_file().then_some(file)
    }
}

/// Where the next byte falls in the current member's body (past its end
/// when it is in the padding).
fn at_body(t: &TarStream) -> u64 {
    t.pos - t.member_at - t.header_len
}

/// Fills `n` bytes of `out` with zeros; returns how many.
fn zeros(out: &mut [u8], n: u64) -> usize {
    let mut filled = 0;
    for b in out.iter_mut().take(n as usize) {
        *b = 0;
        filled += 1;
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_and_the_name() {
        assert!(wanted(b"?download=tar"));
        assert!(wanted(b"?a=1&download=tar"));
        assert!(!wanted(b"?download=zip"));
        assert!(!wanted(b""));
        assert!(!wanted(b"?xdownload=tar"));
        assert_eq!(top_of(b""), ROOT_NAME);
        assert_eq!(top_of(b"a/b"), b"b");
        assert_eq!(top_of(b"a"), b"a");
    }
}
