//! A loopback TCP listener that records every byte clients send it, either
//! passing the traffic on to an upstream (to see exactly what the provider
//! put on the wire, signatures included) or swallowing it (a proxy that
//! proves, by staying untouched, that nothing tried to leave the machine).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Stops (with its runtime) when dropped.
pub struct Recorder {
    addr: SocketAddr,
    /// Bytes sent by each client connection, in accept order.
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
    runtime: tokio::runtime::Runtime,
}

impl Recorder {
    /// Passes every connection on to `upstream`, recording what clients send.
    pub fn forwarding_to(upstream: SocketAddr) -> Self {
        Self::start(Some(upstream))
    }

    /// Records what clients send and never answers; closes when they stop.
    pub fn black_hole() -> Self {
        Self::start(None)
    }

    fn start(upstream: Option<SocketAddr>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let log = sent.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push(Vec::new());
                    log.len() - 1
                };
                tokio::spawn(relay(client, upstream, log.clone(), index));
            }
        });
        Self {
            addr,
            sent,
            runtime,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    /// Everything clients sent, per connection, as text.
    pub fn sent(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    /// The bodies of the HTTP/1.1 requests clients sent, in order.
    pub fn request_bodies(&self) -> Vec<String> {
        let sent = self.sent.lock().unwrap().clone();
        sent.iter().flat_map(|c| split_requests(c)).collect()
    }

    /// Every value of form parameter `name` in the request bodies, decoded.
    pub fn form_values(&self, name: &str) -> Vec<String> {
        self.request_bodies()
            .iter()
            .flat_map(|body| {
                let url = reqwest::Url::parse(&format!("http://x/?{body}")).unwrap();
                url.query_pairs()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

async fn relay(
    mut client: TcpStream,
    upstream: Option<SocketAddr>,
    log: Arc<Mutex<Vec<Vec<u8>>>>,
    index: usize,
) {
    let _ = client.set_nodelay(true);
    let record = |bytes: &[u8]| log.lock().unwrap()[index].extend_from_slice(bytes);
    let Some(upstream) = upstream else {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = client.read(&mut buf).await {
            record(&buf[..n]);
        }
        return;
    };
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upward = async {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = client_read.read(&mut buf).await {
            record(&buf[..n]);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downward = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upward, downward);
}

/// Splits what one connection sent into request bodies, using each
/// request's `Content-Length` (keep-alive puts several in one stream).
fn split_requests(mut bytes: &[u8]) -> Vec<String> {
    let mut bodies = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body_start = end + 4;
        let body_end = (body_start + length).min(bytes.len());
        bodies.push(String::from_utf8_lossy(&bytes[body_start..body_end]).into_owned());
        bytes = &bytes[body_end..];
    }
    bodies
}
