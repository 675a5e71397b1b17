//! Drives a WebSocket echo server, on one thread:
//!
//!     load echo URL CONNECTIONS SECONDS SIZE   each connection sends a SIZE-byte text message
//!                                              and waits for its echo, again and again; prints
//!                                              the echoes per second
//!     load idle URL CONNECTIONS SECONDS        opens the connections, prints "ready", holds
//!                                              them idle for SECONDS

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let url = arg(2);
    let connections: usize = arg(3).parse().expect("connections");
    let seconds: u64 = arg(4).parse().expect("seconds");
    let mut sockets = Vec::with_capacity(connections);
    let host = url.trim_start_matches("ws://").split('/').next().unwrap_or_default().to_string();
    for _ in 0..connections {
        let stream = TcpStream::connect(&host).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (socket, _) = tokio_tungstenite::client_async(url.as_str(), stream)
            .await
            .expect("handshake");
        sockets.push(socket);
    }
    match arg(1).as_str() {
        "idle" => {
            println!("ready");
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
        "echo" => {
            let size: usize = arg(5).parse().expect("size");
            let text = "x".repeat(size);
            let end = Instant::now() + Duration::from_secs(seconds);
            let tasks: Vec<_> = sockets
                .into_iter()
                .map(|mut socket| {
                    let text = text.clone();
                    tokio::spawn(async move {
                        let mut echoes = 0u64;
                        while Instant::now() < end {
                            socket.send(Message::text(text.clone())).await.expect("send");
                            loop {
                                match socket.next().await {
                                    Some(Ok(Message::Text(t))) => {
                                        assert_eq!(t.len(), text.len());
                                        break;
                                    }
                                    Some(Ok(_)) => {}
                                    other => panic!("echo: {other:?}"),
                                }
                            }
                            echoes += 1;
                        }
                        let _ = socket.close(None).await;
                        echoes
                    })
                })
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.expect("task");
            }
            println!("{} echoes/s", total / seconds);
        }
        other => panic!("unknown mode {other:?}"),
    }
}
