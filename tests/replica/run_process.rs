//! A `readygate run` process in tests: starting it, reading its metrics and health endpoints
//! over a bare HTTP/1.0 GET on loopback, waiting for it to be ready, and stopping it (the API
//! double's replica and the real-cluster harness share it).

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// GET `path` from `127.0.0.1:port`: the status code and body, `None` while nothing answers.
pub async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// Waits until `/readyz` on `port` answers 200, polling every `every`; past `within`, panics
/// with what `/readyz` still waits for and the process's `log`.
pub async fn wait_ready(port: u16, within: std::time::Duration, every: std::time::Duration, log: impl Fn() -> String) {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if let Some((200, _)) = get(port, "/readyz").await {
            return;
        }
        tokio::time::sleep(every).await;
    }
    let pending = get(port, "/readyz").await.map(|(_, body)| body).unwrap_or_default();
    panic!("readygate not ready within {within:?} ({pending}); log:\n{}", log());
}

/// Starts `command` (a `readygate run` already given its arguments) against `kubeconfig`, with
/// its log in `log`; killed when the handle drops.
pub fn spawn(
    mut command: tokio::process::Command,
    kubeconfig: &std::path::Path,
    log: &std::path::Path,
) -> tokio::process::Child {
    command
        .env("KUBECONFIG", kubeconfig)
        .env("RUST_LOG", std::env::var("READYGATE_TEST_LOG").unwrap_or_else(|_| "info".to_owned()))
        .env_remove("POD_NAMESPACE")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("starting readygate run")
}

/// SIGTERM, then the exit status; panics with the `log` when it does not exit within 30 s.
pub async fn terminate(child: &mut tokio::process::Child, log: impl Fn() -> String) -> std::process::ExitStatus {
    let pid = child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(sent.success());
    match tokio::time::timeout(std::time::Duration::from_secs(30), child.wait()).await {
        Ok(status) => status.expect("exit status"),
        Err(_) => panic!("readygate did not exit within 30 s of SIGTERM; log:\n{}", log()),
    }
}
