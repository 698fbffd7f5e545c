//! Fuzzes the server's message decoder: any byte stream, fed in pieces of any size, yields
//! messages, "need more" or an error, and never panics. Run with
//! `cargo +nightly fuzz run frontend_messages` in crates/server/fuzz.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(step.max(1));
    let ctx = basalt_server::frame::context();
    let mut buf = BytesMut::new();
    for piece in data.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match basalt_server::frame::next_message(&mut buf, &ctx, 1 << 16) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
