//! Networking: addresses, the listener, connections and their state
//! machine, the per-worker event loop, and the supervisor.

pub mod addr;
pub mod conn;
pub mod listen;
pub mod supervisor;
pub mod worker;
