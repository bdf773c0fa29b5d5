//! base64 (RFC 4648): placeholder, being moved here from tls/pem.rs.
