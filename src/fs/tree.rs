//! tree: placeholder, being written.
