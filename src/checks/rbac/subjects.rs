//! Who asks and whom a binding names: the identities Kubernetes authenticators hand to RBAC
//! (users, groups, ServiceAccounts with their implicit groups) and `appliesToUser`.

use crate::inventory::view::binding::Subject;

const AUTHENTICATED: &str = "system:authenticated";
const UNAUTHENTICATED: &str = "system:unauthenticated";
const ANONYMOUS: &str = "system:anonymous";
const SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// Who asks, as the authenticator hands it to RBAC: a user name (none when asserting about a
/// bare group) and the groups the user belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requester {
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl Requester {
    /// A user, authenticated like every user with credentials (`system:authenticated`). A name
    /// of the form `system:serviceaccount:<ns>:<name>` is that ServiceAccount, with its groups,
    /// as impersonation resolves it; `system:anonymous` is in `system:unauthenticated` only.
    pub fn user(name: &str) -> Requester {
        if name == ANONYMOUS {
            return Requester { name: Some(name.to_owned()), groups: vec![UNAUTHENTICATED.to_owned()] };
        }
        if let Some((namespace, account)) = split_service_account_user(name) {
            return Requester::service_account(namespace, account);
        }
        Requester { name: Some(name.to_owned()), groups: vec![AUTHENTICATED.to_owned()] }
    }

    /// A ServiceAccount token's identity: `system:serviceaccount:<ns>:<name>` in the groups
    /// `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`.
    pub fn service_account(namespace: &str, name: &str) -> Requester {
        Requester {
            name: Some(format!("{SERVICE_ACCOUNT_USER_PREFIX}{namespace}:{name}")),
            groups: vec![
                SERVICE_ACCOUNTS.to_owned(),
                format!("{SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_owned(),
            ],
        }
    }

    /// What every member of `group` is granted: a member is authenticated (an authenticator
    /// that puts a user in any group also adds `system:authenticated`), and a member of
    /// `system:serviceaccounts:<ns>` is a ServiceAccount, so it is also in
    /// `system:serviceaccounts`. Only `system:unauthenticated` (anonymous requests) is not
    /// authenticated. Without these, a grant to `system:authenticated` would be invisible to a
    /// Group assertion and a prohibition would pass where every member is allowed.
    pub fn group(name: &str) -> Requester {
        let mut groups = vec![name.to_owned()];
        if name != UNAUTHENTICATED {
            if name.strip_prefix(SERVICE_ACCOUNTS).is_some_and(|rest| rest.starts_with(':') && rest.len() > 1) {
                groups.push(SERVICE_ACCOUNTS.to_owned());
            }
            if name != AUTHENTICATED {
                groups.push(AUTHENTICATED.to_owned());
            }
        }
        Requester { name: None, groups }
    }
}

fn split_service_account_user(name: &str) -> Option<(&str, &str)> {
    let (namespace, account) = name.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?.split_once(':')?;
    (!namespace.is_empty() && !account.is_empty() && !account.contains(':')).then_some((namespace, account))
}

/// `appliesToUser`: Users by name, Groups by membership, ServiceAccounts by their user name,
/// with the namespace defaulting to the binding's (none for ClusterRoleBindings, where a
/// ServiceAccount subject without namespace names nobody).
pub(super) fn subject_applies(subject: &Subject, who: &Requester, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => who.name.as_deref() == Some(subject.name.as_str()),
        "Group" => who.groups.contains(&subject.name),
        "ServiceAccount" => {
            let namespace = subject.namespace.as_deref().unwrap_or(binding_namespace);
            !namespace.is_empty()
                && who
                    .name
                    .as_deref()
                    .is_some_and(|user| split_service_account_user(user) == Some((namespace, subject.name.as_str())))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
        Subject { kind: kind.to_owned(), name: name.to_owned(), namespace: namespace.map(str::to_owned) }
    }

    #[test]
    fn a_service_account_carries_its_user_name_and_three_groups() {
        let sa = Requester::service_account("shop", "app");
        assert_eq!(sa.name.as_deref(), Some("system:serviceaccount:shop:app"));
        assert_eq!(sa.groups, ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"]);
    }

    #[test]
    fn a_service_account_user_name_is_that_service_account() {
        assert_eq!(Requester::user("system:serviceaccount:shop:app"), Requester::service_account("shop", "app"));
        assert_eq!(Requester::user("system:serviceaccount:shop").groups, ["system:authenticated"]);
        assert_eq!(Requester::user("system:serviceaccount:shop:a:b").groups, ["system:authenticated"]);
    }

    #[test]
    fn users_are_authenticated_except_the_anonymous_one() {
        assert_eq!(Requester::user("alice").groups, ["system:authenticated"]);
        assert_eq!(Requester::user("system:anonymous").groups, ["system:unauthenticated"]);
    }

    #[test]
    fn group_members_are_authenticated_and_service_account_groups_nest() {
        assert_eq!(Requester::group("devs").groups, ["devs", "system:authenticated"]);
        assert_eq!(Requester::group("system:authenticated").groups, ["system:authenticated"]);
        assert_eq!(Requester::group("system:unauthenticated").groups, ["system:unauthenticated"]);
        assert_eq!(
            Requester::group("system:serviceaccounts:shop").groups,
            ["system:serviceaccounts:shop", "system:serviceaccounts", "system:authenticated"]
        );
        assert_eq!(
            Requester::group("system:serviceaccounts").groups,
            ["system:serviceaccounts", "system:authenticated"]
        );
        assert_eq!(
            Requester::group("system:serviceaccounts:").groups,
            ["system:serviceaccounts:", "system:authenticated"]
        );
        assert_eq!(Requester::group("devs").name, None);
    }

    #[test]
    fn subjects_match_by_kind() {
        let sa = Requester::service_account("shop", "app");
        assert!(subject_applies(&subject("ServiceAccount", "app", None), &sa, "shop"));
        assert!(!subject_applies(&subject("ServiceAccount", "app", None), &sa, ""));
        assert!(subject_applies(&subject("ServiceAccount", "app", Some("shop")), &sa, ""));
        assert!(subject_applies(&subject("User", "system:serviceaccount:shop:app", None), &sa, ""));
        assert!(subject_applies(&subject("Group", "system:serviceaccounts:shop", None), &sa, ""));
        assert!(!subject_applies(&subject("User", "app", None), &sa, "shop"));
        assert!(!subject_applies(&subject("Group", "", None), &Requester::group("devs"), "shop"));
        assert!(subject_applies(&subject("Group", "system:authenticated", None), &Requester::group("devs"), "shop"));
        assert!(!subject_applies(&subject("User", "", None), &Requester::group("devs"), "shop"));
        assert!(!subject_applies(&subject("Robot", "app", None), &sa, "shop"));
    }
}
