//! Where the control-plane binaries are: `$READYGATE_CONTROL_PLANE`, else the cache folder that
//! `scripts/test.sh` builds them into, keyed by the versions pinned in `tests/cluster/go.mod`.

use std::path::{Path, PathBuf};

/// The environment variable `scripts/test.sh` exports.
pub const ENV: &str = "READYGATE_CONTROL_PLANE";

/// How to get the binaries, for the failure message of a test that finds none.
const HOW_TO_BUILD: &str = "run scripts/test.sh (it builds kube-apiserver and etcd from tests/cluster/go.mod into \
     ~/.cache/readygate/control-plane/<versions>/, ~25 minutes the first time on 2 cores), or build them yourself \
     and set READYGATE_CONTROL_PLANE to their folder";

pub struct Binaries {
    pub kube_apiserver: PathBuf,
    pub etcd: PathBuf,
}

/// The binaries, or a panic saying how to build them: these tests fail, never skip.
pub fn locate() -> Binaries {
    let dir = match std::env::var_os(ENV).filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => default_dir(),
    };
    let binaries = Binaries { kube_apiserver: dir.join("kube-apiserver"), etcd: dir.join("etcd") };
    for binary in [&binaries.kube_apiserver, &binaries.etcd] {
        assert!(is_executable(binary), "{} is missing: {HOW_TO_BUILD}", binary.display());
    }
    binaries
}

/// `${XDG_CACHE_HOME:-$HOME/.cache}/readygate/control-plane/k8s-<v>-etcd-<v>`, as scripts/test.sh
/// names it.
fn default_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(|| panic!("neither XDG_CACHE_HOME nor HOME is set: {HOW_TO_BUILD}"));
    cache.join("readygate/control-plane").join(version_key())
}

/// `k8s-v1.37.2-etcd-v3.7.0`: the versions the Go module requires (not those it replaces).
pub fn version_key() -> String {
    let go_mod = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/go.mod");
    let text = std::fs::read_to_string(&go_mod).unwrap_or_else(|e| panic!("reading {}: {e}", go_mod.display()));
    let required = |module: &str| {
        text.lines()
            .map(str::split_whitespace)
            .find_map(|mut words| (words.next() == Some(module)).then(|| words.next()).flatten())
            .filter(|version| version.starts_with('v'))
            .unwrap_or_else(|| panic!("{} requires no {module}", go_mod.display()))
            .to_owned()
    };
    format!("k8s-{}-etcd-{}", required("k8s.io/kubernetes"), required("go.etcd.io/etcd/server/v3"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
