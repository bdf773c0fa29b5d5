//! Networking: the listener, connections and their state machine, the
//! per-worker event loop, and the supervisor. (Address text, which the
//! command line and the log use too, is `crate::addr`, below them all.)

pub mod conn;
#[cfg(feature = "tls")]
pub mod https;
pub mod listen;
pub mod supervisor;
#[cfg(feature = "tls")]
pub mod tls;
pub mod worker;

/// Moves `v[from..len]` to the front of `v` and returns its new length,
/// `len - from`: the unanswered rest of a connection's input, the slots
/// left on the ready list. By hand, because `copy_within` brings a panic
/// path into the binary.
fn move_to_front<T: Copy>(v: &mut [T], from: usize, len: usize) -> usize {
    let mut kept = 0;
    for i in from..len {
        let item = v.get(i).copied();
        if let (Some(item), Some(dst)) = (item, v.get_mut(kept)) {
            *dst = item;
        }
        kept += 1;
    }
    kept
}

#[cfg(test)]
mod tests {
    #[test]
    fn move_to_front_keeps_the_tail_in_order() {
        let mut v = *b"abcdefgh";
        assert_eq!(super::move_to_front(&mut v, 3, 6), 3);
        assert_eq!(&v[..3], b"def");
        assert_eq!(super::move_to_front(&mut v, 0, 2), 2);
        assert_eq!(&v[..2], b"de");
        assert_eq!(super::move_to_front(&mut v, 5, 5), 0);
    }
}
