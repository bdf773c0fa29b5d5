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
use crate::fs::tree::{self, MAX_RECORD_BYTES, WalkError};
use crate::http::request;
use crate::rt::sys::{self, BorrowedFd, CStr, OwnedFd};

/// The top directory's name in an archive of the served root itself,
/// which has no name of its own in a request path.
const ROOT_NAME: &[u8] = b"root";

/// The media type of a tar archive.
const TAR_TYPE: &[u8] = b"application/x-tar";

/// The part of a tar download still to send. See the module docs.
pub struct TarStream {
    /// The walk's manifest (`Manifest::fd`).
    manifest: OwnedFd,
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
            manifest: manifest.fd,
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
        match self.member(&mut [0; MAX_HEADER_BYTES]) {
            Some((header_len, size, next)) => {
                self.header_len = header_len as u64;
                self.size = size;
                self.next_record = next;
                self.in_member = true;
            }
            None => self.in_member = false,
        }
        (self.file, self.short) = (None, false);
    }

    /// Reads the record at `record` and writes the member's header into
    /// `mem`: the header's length, the body's and the next record's
    /// offset.
    fn member(&self, mem: &mut [u8; MAX_HEADER_BYTES]) -> Option<(usize, u64, u64)> {
        let mut rec = [0u8; MAX_RECORD_BYTES];
        let (m, next) = tree::read_record(self.manifest.as_fd(), self.record, &mut rec)?;
        Some((tar::header(&m, mem), if m.dir { 0 } else { m.size }, next))
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
            let Some(free @ [_, ..]) = free.get_mut(..room as usize) else {
                break;
            };
            let at = self.pos - self.member_at;
            let body_at = at.wrapping_sub(self.header_len);
            let pad = tar::padding(self.size);
            let n = if !self.in_member {
                // The trailer: `TRAILER_BYTES` of zeros.
                zeros(free, left)
            } else if at < self.header_len {
                let mut mem = [0u8; MAX_HEADER_BYTES];
                let len = self.member(&mut mem).map_or(0, |(len, ..)| len);
                let bytes = mem.get(at as usize..len).unwrap_or_default();
                match crate::buf::copy(free, bytes) {
                    // The manifest cannot be read back: end the response.
                    0 => break,
                    n => n,
                }
            } else if body_at < self.size {
                let count = (self.size - body_at).min(left);
                if self.file.is_none() && !self.short {
                    self.file = self.open(root, head);
                    self.short = self.file.is_none();
                }
                match &self.file {
                    // A body that fits goes with the rest; a short read
                    // means the file shrank.
                    Some(file) if count <= room => {
                        let into = free.get_mut(..count as usize).unwrap_or_default();
                        match sys::pread(file.as_fd(), into, body_at) {
                            Ok(n) if n > 0 => n,
                            _ => {
                                self.cut_short();
                                continue;
                            }
                        }
                    }
                    Some(_) => {
                        if filled == 0 {
                            sendfile = Some((body_at, count as usize));
                        }
                        break;
                    }
                    None => zeros(free, count),
                }
            } else if body_at < self.size + pad {
                zeros(free, self.size + pad - body_at)
            } else {
                self.advance();
                continue;
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
        let (m, _) = tree::read_record(self.manifest.as_fd(), self.record, &mut rec)?;
        let mut src = [0u8; MAX_PATH_BYTES + 2];
        let len = tree::source_path(rel, top_of(rel), m.path, &mut src)?;
        let file = root.open_file(CStr::new(src.get(..len)?)?).ok()?;
        sys::fstat(file.as_fd()).ok()?.is_file().then_some(file)
    }
}

/// Fills up to `n` bytes at the start of `out` with zeros; returns how
/// many.
fn zeros(out: &mut [u8], n: u64) -> usize {
    let n = (out.len() as u64).min(n) as usize;
    out.get_mut(..n).unwrap_or_default().fill(0);
    n
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
