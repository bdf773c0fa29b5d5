//! The file system side: decoding and normalizing request paths, opening
//! files beneath the root (through the per-worker file cache), reading
//! directories and rendering listings.

pub mod cache;
pub mod listing;
pub mod page;
pub mod path;
pub mod root;
pub mod tar;
pub mod tree;
