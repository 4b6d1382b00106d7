//! Finds the external tools the packaging tests drive (kubectl, promtool, python3 with
//! helm-python-sdk) and runs them. A missing tool fails the test, naming the install step.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Where to learn how a missing tool gets installed.
const INSTALL_HINT: &str = "scripts/test.sh installs it (run it once, as root, on a fresh machine)";

/// `$NAME_ENV` if set, else the first `name` on `PATH`.
fn locate(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn require(name: &str, env: &str, what: &str) -> PathBuf {
    locate(name, env).unwrap_or_else(|| panic!("{name} ({what}) is not on PATH and ${env} is unset: {INSTALL_HINT}"))
}

/// kubectl with a kustomize that knows `Component`s (kubectl 1.21 or newer).
pub fn kubectl() -> PathBuf {
    require("kubectl", "KUBECTL", "renders deploy/ with `kubectl kustomize`")
}

/// promtool, from Debian's `prometheus` package. Copy this into tests that lint a `/metrics`
/// body: `run(&promtool_path(), ["check", "metrics"], Some(body))`.
pub fn promtool_path() -> PathBuf {
    require("promtool", "PROMTOOL", "checks the alerting rules")
}

/// A Python interpreter that can `import helm_python` (PyPI `helm-python-sdk`, Helm v4's SDK
/// bound through ctypes: it ships a shared library, not a `helm` binary).
pub fn python_with_helm() -> PathBuf {
    let python = require("python3", "PYTHON", "runs helm-python-sdk");
    let probe = Command::new(&python).args(["-c", "import helm_python"]).output();
    match probe {
        Ok(output) if output.status.success() => python,
        Ok(output) => panic!(
            "{} cannot import helm_python (PyPI helm-python-sdk): {}; {INSTALL_HINT}",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(e) => panic!("{} does not run ({e}); {INSTALL_HINT}", python.display()),
    }
}

/// Runs `program` with `args` (and `stdin`), returning its output whatever the exit status.
pub fn output<I, S>(program: &Path, args: I, stdin: Option<&str>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child =
        command.spawn().unwrap_or_else(|e| panic!("{} does not start ({e}); {INSTALL_HINT}", program.display()));
    if let Some(text) = stdin {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes()).expect("writes stdin");
    }
    child.wait_with_output().expect("collects output")
}

/// Runs `program` and returns its stdout; a failure panics with the command and its stderr.
pub fn run<I, S>(program: &Path, args: I, stdin: Option<&str>) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let shown: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    let result = output(program, &args, stdin);
    assert!(
        result.status.success(),
        "`{} {}` failed ({}):\n{}{}",
        program.display(),
        shown.join(" "),
        result.status,
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    String::from_utf8(result.stdout).expect("utf-8 output")
}

/// Lua 5.1 (Debian's lua5.1), the language level of Argo CD's health checks (gopher-lua).
pub fn lua() -> PathBuf {
    require("lua5.1", "LUA", "runs the Argo CD health check from docs/gitops.md")
}
