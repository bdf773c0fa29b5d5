//! The file system side: decoding and normalizing request paths, opening
//! files beneath the root, reading directories and rendering listings.

pub mod listing;
pub mod page;
pub mod path;
pub mod root;
pub mod tar;
pub mod tree;
