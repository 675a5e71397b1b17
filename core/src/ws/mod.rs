//! WebSockets (RFC 6455), sans-IO: the opening handshake's checks and answer, the frame codec
//! and the rules of messages and the close handshake.
//!
//! - [`frame`]: one frame's header on the wire, and unmasking.
//! - [`decode`]: the [`Decoder`] of a client's frames into message pieces and control frames,
//!   with every rule that spans frames.
//! - [`utf8`]: UTF-8 checked across fragments.
//! - [`close`]: close status codes and close payloads.
//! - [`encode`]: a server's frames.
//! - [`handshake`]: the opening handshake: its checks, `Sec-WebSocket-Accept`, subprotocols.
//!
//! Nothing here touches a socket, a clock or the heap; the connection engine feeds the decoder
//! from its read buffer and queues the frames it answers with.

pub mod close;
pub mod decode;
pub mod encode;
pub mod frame;
pub mod handshake;
pub mod utf8;

pub use close::{CloseBody, CloseCode};
pub use decode::{DecodeError, Decoder, Event, MIN_BUFFER};
pub use frame::{FrameError, Opcode};
pub use handshake::{Handshake, HandshakeError};
