//! A supervised child process: its own process group, its output in a log file, and a
//! watchdog that stops it when the test process goes away.
//!
//! A control plane shared through a `static` is never dropped, and a test binary killed by a
//! timeout runs no destructor at all, so Drop alone would leak etcd and kube-apiserver. Each
//! program therefore runs under a small bash supervisor that holds our end of a pipe on its
//! stdin: when the pipe closes (Drop, a panic, or the test process dying in any way), the
//! supervisor sends SIGTERM to its process group, then SIGKILL after 10 s.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The supervisor. Arguments: the exit-status file, a folder to remove once the program is
/// gone (or ""), then the program and its arguments. A line or EOF on stdin stops the program.
const SUPERVISOR: &str = r#"
exit_file=$1; remove=$2; shift 2
"$@" </dev/null &
child=$!
trap '' TERM INT
while :; do
  read -r -t 1 _ && break
  [ $? -gt 128 ] || break
  if [ -z "$(jobs -pr)" ]; then
    wait "$child"; echo $? >"$exit_file"
    read -r _ || true
    break
  fi
done
kill -TERM -- -$$ 2>/dev/null
for _ in $(seq 100); do
  [ -z "$(jobs -pr)" ] && break
  sleep 0.1
done
kill -KILL "$child" 2>/dev/null
wait
if [ -n "$remove" ]; then rm -rf "$remove"; fi
exit 0
"#;

pub struct Supervised {
    name: String,
    child: Child,
    lifeline: Option<ChildStdin>,
    log: PathBuf,
    exit_file: PathBuf,
}

impl Supervised {
    /// Starts `program args` with its stdout and stderr appended to `dir/<name>.log`; once it
    /// is stopped, the supervisor removes `remove_after` if given (a shared control plane's
    /// folder, which no destructor removes).
    pub fn start(name: &str, dir: &Path, program: &Path, args: &[String], remove_after: Option<&Path>) -> Supervised {
        use std::os::unix::process::CommandExt as _;
        let log = dir.join(format!("{name}.log"));
        let exit_file = dir.join(format!("{name}.exit"));
        let _ = std::fs::remove_file(&exit_file);
        let output = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log file");
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(SUPERVISOR)
            .arg(name)
            .arg(&exit_file)
            .arg(remove_after.map(Path::as_os_str).unwrap_or_default())
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(output.try_clone().expect("log file handle"))
            .stderr(output)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} under bash: {e}", program.display()));
        let lifeline = child.stdin.take();
        Supervised { name: name.to_owned(), child, lifeline, log, exit_file }
    }

    /// `Some(status)` once the program has exited on its own.
    pub fn exited(&self) -> Option<String> {
        std::fs::read_to_string(&self.exit_file).ok().map(|s| s.trim().to_owned())
    }

    /// The last `lines` lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        format!("--- {} ({}) ---\n{}", self.name, self.log.display(), all[all.len().saturating_sub(lines)..].join("\n"))
    }

    /// Stops the program (SIGTERM, SIGKILL after 10 s) and waits for it.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(mut lifeline) = self.lifeline.take() {
            let _ = lifeline.write_all(b"stop\n");
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The supervisor itself is stuck: take the whole group down.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.shut_down();
    }
}
