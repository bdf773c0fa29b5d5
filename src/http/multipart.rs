//! multipart: placeholder, being written.
