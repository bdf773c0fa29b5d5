//! What answers a path that names nothing to serve, and where a path
//! leads elsewhere: `--spa`'s index.html, the `--404` page (and its
//! start-up check), `--clean-urls`' names, and the 301 redirects (`/dir`
//! to `/dir/`, `/about.html` to `/about`) with their rebuilt `Location`.

use super::{Body, Cx, HTML, INDEX_HTML, Reply, open_not_found};
use crate::buf::Buf;
use crate::fs::page;
use crate::fs::path::MAX_PATH_BYTES;
use crate::fs::root::Root;
use crate::http::response::Status;
use crate::rt::sys::Errno;

impl Cx<'_, '_, '_> {
    /// A path that names nothing to serve (missing, hidden, too long):
    /// `--spa`'s index.html, else the `--404` page, else a 404.
    pub(super) fn missing(&mut self) -> Reply {
        match self.site.options.spa {
            true => self.spa(),
            false => self.error(Status::NotFound, b""),
        }
    }

    /// True when `mem[..len]` does not exist (ENOENT). The byte after it,
    /// which the lookup's NUL overwrites, is put back.
    pub(super) fn is_missing(&self, mem: &mut [u8], len: usize) -> bool {
        let kept = mem.get(len).copied().unwrap_or(0);
        let missing = matches!(
            self.open_with(mem, len, b"", Root::open_path),
            Err(Errno::ENOENT)
        );
        if let Some(slot) = mem.get_mut(len) {
            *slot = kept;
        }
        missing
    }

    /// 301 to the normalized path `rel` (with a trailing `/` when `dir`),
    /// keeping the query (as python and nginx do): `/dir` to `/dir/`, and
    /// `--clean-urls`' `/about.html` to `/about`. The location is rebuilt
    /// from `rel`, each segment percent-encoded, never echoed raw:
    /// `//evil.example/..%2fdir` must not become a redirect to another host.
    pub(super) fn redirect(&mut self, rel: &[u8], dir: bool) -> Reply {
        self.start(Status::MovedPermanently);
        location(self.out, rel, dir);
        self.out.push(self.req.query).str("\r\n");
        self.out.str("Content-Length: 0\r\n");
        // A long query (an OAuth or JWT token) may not fit the 4 KiB
        // output buffer with the path encoded (`finish` then answers 500):
        // the target is too long for this server to redirect, a 414.
        let reply = self.finish(Status::MovedPermanently, Body::None, 0);
        if reply.status != Status::MovedPermanently {
            return self.error(Status::UriTooLong, b"");
        }
        reply
    }

    /// `--spa`: a path that does not exist is answered with /index.html
    /// (without one, the `--404` page or a 404).
    pub(super) fn spa(&mut self) -> Reply {
        let mut mem = *b"index.html\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let len = INDEX_HTML.len();
        match self.open(&mut mem, len, b"") {
            Ok((found, stat)) if stat.is_file() => self.file(&mut mem, len, found, stat),
            _ => self.error(Status::NotFound, b""),
        }
    }
}

/// Appends `Location: ` and the path `rel` (normalized, relative to the
/// root; empty for the root), each segment percent-encoded, with a
/// trailing `/` when `dir`: rebuilt, never the raw target echoed back, so
/// `//evil.example/..%2fdir` cannot become a redirect to another host.
/// The caller ends the line (a query may follow).
pub(super) fn location(out: &mut Buf, rel: &[u8], dir: bool) {
    out.str("Location: ");
    if !rel.is_empty() {
        for segment in rel.split(|&b| b == b'/') {
            out.byte(b'/');
            page::encode_path_segment(out, segment);
        }
    }
    if dir || rel.is_empty() {
        out.byte(b'/');
    }
}

/// The start-up check of `--404 FILE`: Ok when `path` (relative to the
/// root, with or without a leading `/`) opens beneath `root` as a regular
/// file, as the workers will open it; else why not, for the supervisor's
/// one-line refusal. (`--hide-dotfiles` is not known here: a dot-named
/// page is then never served, and the plain 404 answers instead.)
pub fn check_not_found(root: &Root, path: &[u8]) -> Result<(), Errno> {
    let mut mem = [0u8; MAX_PATH_BYTES];
    open_not_found(root, path, &mut mem, false).map(|_| ())
}

/// `--clean-urls`: the length of `rel` without its `.html`, when its last
/// segment is `NAME.html` (but not `index.html`, which is a directory's).
pub(super) fn html_stem(rel: &[u8]) -> Option<usize> {
    let name = rel.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let clean = name.len() > HTML.len() && name.ends_with(HTML) && name != INDEX_HTML;
    clean.then(|| rel.len() - HTML.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_stems() {
        for (rel, stem) in [
            (&b"about.html"[..], Some(5)),
            (b"docs/intro.html", Some(10)),
            (b"index.html", None),
            (b"docs/index.html", None),
            (b"a.html/b", None),
            (b".html", None),
            (b"about.htm", None),
            (b"about.HTML", None),
            (b"", None),
        ] {
            assert_eq!(html_stem(rel), stem, "{rel:?}");
        }
    }
}
