//! A tunnelling proxy on 127.0.0.1 for the client's `proxy-url`: HTTP `CONNECT` (what an
//! `http://` proxy does for every target) and SOCKS5 (`socks5://`), told apart by the first
//! byte. It records each tunnel's target and relays bytes untouched.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which protocol a tunnel was asked for with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    HttpConnect,
    Socks5,
}

/// A running proxy; stops when dropped.
pub struct TunnelProxy {
    addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<(ProxyKind, String)>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TunnelProxy {
    pub fn start() -> TunnelProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a proxy port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("proxy address");
        let tunnels: Arc<Mutex<Vec<(ProxyKind, String)>>> = Arc::default();
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let seen = tunnels.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("proxy listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            let seen = seen.clone();
                            tokio::spawn(async move {
                                let _ = tunnel(client, seen).await;
                            });
                        }
                    }
                }
            });
        });
        TunnelProxy {
            addr,
            tunnels,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `host:port` of the proxy.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every tunnel opened so far: how it was asked for and its `host:port` target.
    pub fn tunnels(&self) -> Vec<(ProxyKind, String)> {
        self.tunnels.lock().expect("tunnels").clone()
    }
}

impl Drop for TunnelProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn tunnel(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<(ProxyKind, String)>>>,
) -> std::io::Result<()> {
    let mut first = [0u8; 1];
    client.read_exact(&mut first).await?;
    let (kind, target) = if first[0] == 5 {
        // SOCKS5: greeting (methods), then CONNECT to an IPv4 address, a name or IPv6.
        let count = client.read_u8().await?;
        let mut methods = vec![0u8; usize::from(count)];
        client.read_exact(&mut methods).await?;
        client.write_all(&[5, 0]).await?;
        let mut head = [0u8; 4];
        client.read_exact(&mut head).await?;
        let host = match head[3] {
            1 => {
                let mut ip = [0u8; 4];
                client.read_exact(&mut ip).await?;
                std::net::Ipv4Addr::from(ip).to_string()
            }
            3 => {
                let len = client.read_u8().await?;
                let mut name = vec![0u8; usize::from(len)];
                client.read_exact(&mut name).await?;
                String::from_utf8_lossy(&name).into_owned()
            }
            _ => {
                let mut ip = [0u8; 16];
                client.read_exact(&mut ip).await?;
                format!("[{}]", std::net::Ipv6Addr::from(ip))
            }
        };
        let port = client.read_u16().await?;
        (ProxyKind::Socks5, format!("{host}:{port}"))
    } else {
        // HTTP: `CONNECT host:port HTTP/1.1`, headers, blank line.
        let mut head = vec![first[0]];
        while !head.ends_with(b"\r\n\r\n") {
            head.push(client.read_u8().await?);
            if head.len() > 16 * 1024 {
                return Ok(());
            }
        }
        let text = String::from_utf8_lossy(&head);
        let mut words = text.split_whitespace();
        if words.next() != Some("CONNECT") {
            client
                .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Ok(());
        }
        let target = words.next().unwrap_or_default().to_string();
        (ProxyKind::HttpConnect, target)
    };
    let mut upstream = TcpStream::connect(&target).await?;
    seen.lock().expect("tunnels").push((kind, target));
    match kind {
        ProxyKind::Socks5 => client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?,
        ProxyKind::HttpConnect => {
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?
        }
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
