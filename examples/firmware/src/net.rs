//! Stack configuration shared by the images: addresses, port, socket counts and buffer sizes.
//!
//! The addresses are in TEST-NET-1 (RFC 5737): the link never leaves the firmware.

use embassy_net::{Config, Ipv4Address, Ipv4Cidr, StaticConfigV4};

/// The server's address.
pub const SERVER: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);

/// The test client's address.
pub const CLIENT: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

/// The server's MAC address (locally administered).
pub const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// The test client's MAC address (locally administered).
pub const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// The port the server listens on.
pub const PORT: u16 = 80;

/// Connections the server holds at once: one TCP socket each.
pub const CONNECTIONS: usize = 4;

/// Bytes of each TCP socket's receive buffer and of its transmit buffer.
pub const TCP_BUFFER: usize = 1024;

/// A static IPv4 configuration for `address` on a /24, no gateway, no DNS.
pub fn config(address: Ipv4Address) -> Config {
    Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(address, 24),
        gateway: None,
        dns_servers: Default::default(),
    })
}
