//! A blocking HTTPS GET with a bearer token, trusting only the control plane's CA: enough to
//! poll `/readyz` from whatever thread starts the control plane, with no runtime needed.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;

/// `(status, body)` of `GET path` on `127.0.0.1:port`, or why there is none.
pub fn get(tls: &Arc<ClientConfig>, port: u16, path: &str, token: &str) -> Result<(u16, String), String> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    let connection = rustls::ClientConnection::new(tls.clone(), name).map_err(|e| e.to_string())?;
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| format!("request: {e}"))?;
    let mut raw = Vec::new();
    // Go closes without close_notify at times; what arrived before that is the answer.
    if let Err(e) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        return Err(format!("reading: {e}"));
    }
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("no HTTP status line")?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
