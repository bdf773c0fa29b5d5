//! tar: placeholder, being written.
