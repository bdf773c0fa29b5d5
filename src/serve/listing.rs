//! Directory listings as responses: read the directory (`fs::listing`),
//! sort and render it (`fs::page`) into the worker's scratch page, and
//! hand it to the connection as a memfd sent like any file. A per-worker
//! count of pages in flight bounds the memory they hold.

use super::{Body, Cx, Reply, Scratch, Turn, status_for_errno};
use crate::buf::Buf;
use crate::fs::listing::{self, Filter, MAX_LISTING_ENTRIES};
use crate::fs::page::{self, Entry};
use crate::fs::path::MAX_PATH_BYTES;
use crate::http::cache::Answer;
use crate::http::encoding;
use crate::http::response::{self, Status};
use crate::rt::sys::{self, CStr, Errno, OwnedFd};
use core::sync::atomic::{AtomicUsize, Ordering};

/// Listings one worker renders per loop turn: one render of a large
/// directory costs milliseconds (18 ms for 20,000 entries here), so the
/// requests of other clients are answered between two of them; further
/// listings wait for the next turn, in order.
pub const MAX_LISTINGS_PER_TURN: u32 = 1;

/// Bytes of the rendered listing page: 4096 entries at about 500 bytes.
pub const PAGE_BYTES: usize = 2 * 1024 * 1024;

impl Cx<'_, '_, '_> {
    /// The right to read a whole directory (a listing, a tar download)
    /// in this loop turn, or the answer for now: `Later` when this turn's
    /// render is done or others wait in line first (this one comes in a
    /// later turn, and other clients are answered in between), `503` past
    /// the cap on pages held, before anything is read.
    pub(super) fn render_turn(&mut self, scratch: &mut Scratch) -> Result<PageTicket, Reply> {
        if scratch.renders_left == 0 || (scratch.line_waiting && !scratch.in_line) {
            return Err(Reply::later());
        }
        scratch.renders_left -= 1;
        PageTicket::take().ok_or_else(|| self.error(Status::ServiceUnavailable, b""))
    }

    /// Reads, sorts and renders a listing into a memfd, sent like a file.
    /// HEAD renders it too, for its exact `Content-Length`, so it takes a
    /// ticket and ends the connection's turn just the same.
    pub(super) fn listing(&mut self, scratch: &mut Scratch, rel: &[u8], dir: OwnedFd) -> Reply {
        let ticket = match self.render_turn(scratch) {
            Ok(ticket) => ticket,
            Err(reply) => return reply,
        };
        let json = encoding::wants_json(self.req.accept);
        // Watched before it is read: a change from now on drops it.
        let keep = self.files.watch_listing(rel);
        let mut entries = [Entry::EMPTY; MAX_LISTING_ENTRIES];
        let filter = Filter {
            hide_dotfiles: self.site.options.hide_dotfiles,
        };
        let read = listing::read(
            self.site.root,
            dir.as_fd(),
            rel,
            filter,
            scratch.names,
            &mut entries,
        );
        let (count, mut truncated) = match read {
            Ok(read) => read,
            Err(e) => return self.error(status_for_errno(e), b""),
        };
        let mut entries = entries.get_mut(..count).unwrap_or_default();
        page::sort(entries);
        let mut dir_mem = [0u8; MAX_PATH_BYTES + 2];
        let mut dir_path = Buf::new(&mut dir_mem);
        dir_path.byte(b'/').push(rel);
        if !rel.is_empty() {
            dir_path.byte(b'/');
        }
        // A page too large for the buffer lists fewer entries, and says so.
        let page_len = loop {
            let mut page = Buf::new(scratch.page);
            if json {
                page::json(&mut page, dir_path.as_bytes(), entries, truncated);
            } else {
                page::html(
                    &mut page,
                    dir_path.as_bytes(),
                    entries,
                    truncated,
                    self.site.options.upload,
                );
            }
            if !page.overflowed() {
                break page.len();
            }
            entries = entries.get_mut(..entries.len() / 2).unwrap_or_default();
            truncated = true;
        };
        let page = scratch.page.get(..page_len).unwrap_or_default();
        if keep {
            self.files
                .keep_listing(dir.as_fd(), rel, json, page, entries);
        }
        let mut reply = self.page(json, page, ticket);
        reply.turn = Turn::End;
        reply
    }

    /// A listing kept by the file cache (`fs::cache`), if there is one:
    /// no directory read, no render, and no wait for a render turn.
    pub(super) fn kept_listing(&mut self, rel: &[u8]) -> Option<Reply> {
        if !self.site.options.listing {
            return None;
        }
        let json = encoding::wants_json(self.req.accept);
        let page = self.files.listing(rel, json)?;
        let Some(ticket) = PageTicket::take() else {
            return Some(self.error(Status::ServiceUnavailable, b""));
        };
        // The page is copied out of the cache, which may drop it while
        // a slow client still reads.
        let (len, file) = (page.len(), write_memfd(page));
        let body = match (self.head_only, file) {
            (true, _) => Body::None,
            (false, Ok(file)) => page_body(file, len, ticket),
            (false, Err(e)) => return Some(self.error(status_for_errno(e), b"")),
        };
        Some(self.page_reply(json, len, body))
    }

    /// The answer with the rendered listing `page`, which GET sends from
    /// a memfd holding `ticket` (HEAD needs its length only).
    fn page(&mut self, json: bool, page: &[u8], ticket: PageTicket) -> Reply {
        let body = match self.head_only {
            true => Body::None,
            false => match write_memfd(page) {
                Ok(file) => page_body(file, page.len(), ticket),
                Err(e) => return self.error(status_for_errno(e), b""),
            },
        };
        self.page_reply(json, page.len(), body)
    }

    /// The head of a listing of `page_len` bytes, and its `body`.
    fn page_reply(&mut self, json: bool, page_len: usize, body: Body) -> Reply {
        self.start(Status::Ok);
        let ty: &[u8] = if json {
            b"application/json"
        } else {
            b"text/html; charset=utf-8"
        };
        response::header(self.out, "Content-Type", ty);
        response::header_u64(self.out, "Content-Length", page_len as u64);
        self.out.str("Vary: Accept\r\n");
        self.cache(Answer::Generated);
        self.finish(Status::Ok, body, page_len as u64)
    }
}

/// A listing page in its memfd, as a body.
fn page_body(file: OwnedFd, len: usize, ticket: PageTicket) -> Body {
    Body::File {
        file,
        offset: 0,
        end: len as u64,
        page: Some(ticket),
    }
}

/// The most listing pages one worker holds at once, each in a memfd of up
/// to `PAGE_BYTES`: 32 pages bound that memory to 64 MiB per worker even
/// when clients ask for huge listings and never read them. Past it, 503.
pub const MAX_PAGES_IN_FLIGHT: usize = 32;

/// Listing pages this worker process holds (workers are processes, so a
/// static counts per worker).
static PAGES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The right to hold one generated page; returned on drop.
#[derive(Debug)]
pub struct PageTicket(());

impl PageTicket {
    /// A ticket, or None when `MAX_PAGES_IN_FLIGHT` are out.
    pub(super) fn take() -> Option<PageTicket> {
        let held = PAGES_IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        let ticket = PageTicket(());
        (held < MAX_PAGES_IN_FLIGHT).then_some(ticket)
    }
}

impl Drop for PageTicket {
    fn drop(&mut self) {
        PAGES_IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Writes a generated page into a memfd, so it is sent with `sendfile`
/// and resumed after `EAGAIN` like any file.
fn write_memfd(page: &[u8]) -> Result<OwnedFd, Errno> {
    let fd = sys::memfd_create(CStr::new(b"listing\0").ok_or(Errno::EINVAL)?)?;
    let mut rest = page;
    while !rest.is_empty() {
        let n = sys::write(fd.as_fd(), rest)?;
        rest = rest.get(n..).unwrap_or_default();
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tickets_are_bounded_and_returned() {
        let held: Vec<PageTicket> = (0..MAX_PAGES_IN_FLIGHT)
            .map(|_| PageTicket::take().unwrap())
            .collect();
        assert!(PageTicket::take().is_none());
        assert!(PageTicket::take().is_none());
        drop(held);
        let again = PageTicket::take();
        assert!(again.is_some());
        drop(again);
        assert_eq!(PAGES_IN_FLIGHT.load(Ordering::Relaxed), 0);
    }
}
