//! HTTP Basic authentication (RFC 7617): placeholder, being written.
