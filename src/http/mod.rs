//! HTTP, pure: the request parser, response heads, dates, MIME types,
//! cache policy, ranges, conditional requests and content-coding
//! negotiation. Nothing here makes a syscall, so all of it is unit-tested
//! (and fuzzable) alone.

pub mod cache;
pub mod chunked;
pub mod client;
pub mod conditional;
pub mod date;
pub mod encoding;
pub mod mime;
pub mod multipart;
pub mod range;
pub mod request;
pub mod response;
pub mod syntax;
