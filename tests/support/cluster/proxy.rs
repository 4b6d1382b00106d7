//! A TCP proxy in front of the API server that a test can cut: every open connection is
//! dropped and new ones are refused until it is resumed. readygate's watches see the API
//! server vanish while the server itself keeps running and changing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Proxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    /// Forwards `127.0.0.1:<free port>` to `127.0.0.1:upstream`, on the caller's runtime.
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the proxy");
        let port = listener.local_addr().expect("bound").port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = {
            let (cut, connections) = (cut.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        continue; // dropped: the client sees the connection closed
                    }
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    super::lock(&connections).push(task.abort_handle());
                }
            })
            .abort_handle()
        };
        Proxy { port, cut, connections, accept }
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in super::lock(&self.connections).drain(..) {
            connection.abort();
        }
    }

    pub fn resume(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
