//! Who the tests act as: static tokens in kube-apiserver's `--token-auth-file`.
//!
//! Token authentication lets a test be anyone without client certificates or OIDC, including
//! readygate's ServiceAccount: a static token user named `system:serviceaccount:NS:NAME` in the
//! ServiceAccount groups gets exactly the RBAC a bound ServiceAccount gets (RBAC matches
//! ServiceAccount subjects by that username), while the test needs no token controller.

/// The namespace and name deploy/ gives readygate's ServiceAccount.
pub const READYGATE_NAMESPACE: &str = "readygate-system";
pub const READYGATE_SERVICE_ACCOUNT: &str = "readygate";

/// One identity the API server authenticates.
pub struct Identity {
    /// What tests call it: `admin`, `readygate`, or a user's name.
    pub key: &'static str,
    pub username: String,
    pub groups: Vec<String>,
    pub token: String,
}

/// The admin (system:masters), readygate's ServiceAccount, and three people:
/// alice deploys (dev), bob deploys and may override the gate (dev, sre-oncall), carol signs off
/// as CTO (cto). Groups are what a checklist's `overrideGroups` and approvers name.
pub fn all() -> Vec<Identity> {
    let service_account = format!("system:serviceaccount:{READYGATE_NAMESPACE}:{READYGATE_SERVICE_ACCOUNT}");
    let sa_groups = ["system:serviceaccounts".to_owned(), format!("system:serviceaccounts:{READYGATE_NAMESPACE}")];
    vec![
        identity("admin", "admin", &["system:masters"]),
        Identity { key: "readygate", username: service_account, groups: sa_groups.to_vec(), token: token("readygate") },
        identity("alice", "alice", &["dev"]),
        identity("bob", "bob", &["dev", "sre-oncall"]),
        identity("carol", "carol", &["cto"]),
    ]
}

fn identity(key: &'static str, username: &str, groups: &[&str]) -> Identity {
    Identity {
        key,
        username: username.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        token: token(key),
    }
}

/// A token unique to this control plane. The API server listens on loopback only and lives as
/// long as the test process, so a time-derived token is enough; no secret generator needed.
fn token(key: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{key}-{nanos:x}-{}", std::process::id())
}

/// The `--token-auth-file` CSV: `token,user,uid,"group1,group2"`. The API server adds
/// `system:authenticated` to every authenticated user itself.
pub fn token_file(identities: &[Identity]) -> String {
    identities.iter().map(|i| format!("{},{},{},\"{}\"\n", i.token, i.username, i.key, i.groups.join(","))).collect()
}
