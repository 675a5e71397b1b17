//! Aurora's device dashboard as Cortex-M4 firmware: the same `aurora_apps::device::Device`
//! the Linux and BSD examples serve (page, JSON API, events, metrics, on aurora-app's router,
//! extractors, assets and event streams), on the glue and server of `hello`. `device` minus
//! `baseline` is what a dashboard on Aurora's application layer costs; `qemu-test` runs this
//! same server against a client.
#![no_std]
#![no_main]

aurora_firmware::server_image!(aurora_firmware::device::serve);
