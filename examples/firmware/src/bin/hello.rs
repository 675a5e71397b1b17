//! Aurora's hello server as Cortex-M4 firmware: the image whose size is what Aurora costs.
//!
//! The executor, the SysTick clock, an embassy-net stack on the channel device (where a board's
//! MAC driver would sit; here its frames are discarded) and aurora-embassy's server with 4 TCP
//! sockets of 1 KiB buffers each, serving `aurora_apps::hello::Hello` (greeting, echo,
//! `/metrics`). The `baseline` image has the same glue without HTTP; the difference is the
//! HTTP layer. `qemu-test` runs this same server against a client.
#![no_std]
#![no_main]

aurora_firmware::server_image!(aurora_firmware::app::serve);
