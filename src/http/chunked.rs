//! chunked: placeholder, being written.
