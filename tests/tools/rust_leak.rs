// A Rust service that leaks through its standard library, for rust_program_test.sh: every
// open_session keeps a Session whose Vec holds 64 KiB, in a HashMap that is never emptied.
// Nothing here calls the allocator directly: every allocation goes through alloc:: and std::,
// so without folding those frames the leaf of each would be alloc::alloc::alloc.
use std::collections::HashMap;

struct Session {
    buf: Vec<u8>,
    name: String,
}

#[inline(never)]
fn open_session(i: usize) -> Session {
    Session { buf: vec![7u8; 64 * 1024], name: format!("session-{}", i) }
}

fn main() {
    let mut sessions: HashMap<usize, Session> = HashMap::new();
    for i in 0..200 {
        sessions.insert(i, open_session(i));
    }
    let held: usize = sessions.values().map(|s| s.buf.len() + s.name.len()).sum();
    println!("{}", held);
    std::mem::forget(sessions); // still held when the at-exit dump is written
}
