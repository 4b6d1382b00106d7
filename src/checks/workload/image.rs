//! The `image` rule: container image references parsed as container runtimes parse them.

use crate::api::ImageRule;
use crate::checks::podspec::Container;

/// The version parts of `[registry[:port]/]path[:tag][@algorithm:hex]`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ImageRef<'a> {
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// Splits an image reference. The tag is the part after the last `:` that follows the last `/`,
/// so `registry:5000/app` has no tag; a digest follows `@`.
pub(super) fn parse(image: &str) -> Result<ImageRef<'_>, String> {
    if image.is_empty() {
        return Err("is empty".to_owned());
    }
    if image.trim() != image {
        return Err("has surrounding whitespace".to_owned());
    }
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => {
            check_digest(digest)?;
            (name, Some(digest))
        }
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if repository.is_empty() || repository.ends_with('/') {
        return Err("has no repository".to_owned());
    }
    if let Some(tag) = tag {
        check_tag(tag)?;
    }
    Ok(ImageRef { tag, digest })
}

/// Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let mut chars = tag.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && tag.len() <= 128 { Ok(()) } else { Err(format!("has an invalid tag {tag:?}")) }
}

/// Digests container runtimes verify: sha256, sha384 or sha512 in lower-case hex.
fn check_digest(digest: &str) -> Result<(), String> {
    let valid = match digest.split_once(':') {
        Some(("sha256", hex)) => is_hex(hex, 64),
        Some(("sha384", hex)) => is_hex(hex, 96),
        Some(("sha512", hex)) => is_hex(hex, 128),
        _ => false,
    };
    if valid { Ok(()) } else { Err(format!("has an invalid digest {digest:?}")) }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Every container's image, init containers included (they run the same supply chain), meets
/// the rule. A digest pins the image whatever tag sits beside it (`app:latest@sha256:..` runs
/// the digest), so `forbidLatest` accepts it.
pub(super) fn check(containers: &[Container<'_>], rule: &ImageRule) -> Vec<String> {
    containers
        .iter()
        .filter_map(|c| {
            let image = c.spec.image.as_deref().unwrap_or_default();
            let reasons = judge(image, rule);
            (!reasons.is_empty()).then(|| format!("{} image {image:?} {}", c.describe(), reasons.join(", ")))
        })
        .collect()
}

fn judge(image: &str, rule: &ImageRule) -> Vec<String> {
    let parsed = match parse(image) {
        Ok(parsed) => parsed,
        Err(e) => return vec![e],
    };
    let mut reasons = Vec::new();
    if rule.forbid_latest && parsed.digest.is_none() {
        match parsed.tag {
            None => reasons.push("has no tag (means latest)".to_owned()),
            Some("latest") => reasons.push("uses tag latest".to_owned()),
            Some(_) => {}
        }
    }
    if rule.require_digest && parsed.digest.is_none() {
        reasons.push("is not pinned by digest".to_owned());
    }
    if let Some(wanted) = rule.tag.as_deref() {
        match parsed.tag {
            Some(tag) if tag == wanted => {}
            Some(tag) => reasons.push(format!("has tag {tag}, expected {wanted}")),
            None => reasons.push(format!("has no tag, expected {wanted}")),
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::{good_container, view, workload};
    use super::*;
    use crate::checks::podspec;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(image: &str) -> (Option<&str>, Option<&str>) {
        let parsed = parse(image).unwrap_or_else(|e| panic!("{image:?} {e}"));
        (parsed.tag, parsed.digest)
    }

    fn forbid_latest() -> ImageRule {
        ImageRule { forbid_latest: true, ..ImageRule::default() }
    }

    #[test]
    fn parses_plain_tagged_and_digested_references() {
        assert_eq!(parts("nginx"), (None, None));
        assert_eq!(parts("nginx:1.27"), (Some("1.27"), None));
        assert_eq!(parts("docker.io/library/nginx:1.27-alpine"), (Some("1.27-alpine"), None));
        let pinned = format!("ghcr.io/acme/api:v2@{DIGEST}");
        assert_eq!(parts(&pinned), (Some("v2"), Some(DIGEST)));
        let digest_only = format!("ghcr.io/acme/api@{DIGEST}");
        assert_eq!(parts(&digest_only), (None, Some(DIGEST)));
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        assert_eq!(parts("registry:5000/app"), (None, None));
        assert_eq!(parts("registry:5000/team/app:1.0"), (Some("1.0"), None));
        assert_eq!(parts(&format!("localhost:5000/app@{DIGEST}")), (None, Some(DIGEST)));
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in ["", " nginx", "nginx:", "nginx:-x", ":1.0", "app@sha256:abc", "app@md5:0123", "registry:5000/"] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn forbid_latest_rejects_latest_and_missing_tags() {
        assert_eq!(judge("nginx", &forbid_latest()), ["has no tag (means latest)"]);
        assert_eq!(judge("nginx:latest", &forbid_latest()), ["uses tag latest"]);
        assert_eq!(judge("registry:5000/app", &forbid_latest()), ["has no tag (means latest)"]);
        assert!(judge("nginx:1.27", &forbid_latest()).is_empty());
    }

    #[test]
    fn a_digest_pins_the_image_even_beside_latest() {
        assert!(judge(&format!("nginx:latest@{DIGEST}"), &forbid_latest()).is_empty());
        assert!(judge(&format!("nginx@{DIGEST}"), &forbid_latest()).is_empty());
    }

    #[test]
    fn require_digest_rejects_tag_only_images() {
        let rule = ImageRule { require_digest: true, ..ImageRule::default() };
        assert_eq!(judge("nginx:1.27", &rule), ["is not pinned by digest"]);
        assert!(judge(&format!("nginx:1.27@{DIGEST}"), &rule).is_empty());
        assert_eq!(judge("nginx@sha256:short", &rule), ["has an invalid digest \"sha256:short\""]);
    }

    #[test]
    fn exact_tag_must_match() {
        let rule = ImageRule { tag: Some("v1.0.0".to_owned()), ..ImageRule::default() };
        assert!(judge("ghcr.io/acme/api:v1.0.0", &rule).is_empty());
        assert_eq!(judge("ghcr.io/acme/api:v1.0.1", &rule), ["has tag v1.0.1, expected v1.0.0"]);
        assert_eq!(judge("registry:5000/api", &rule), ["has no tag, expected v1.0.0"]);
    }

    #[test]
    fn applies_to_init_containers_and_names_the_container() {
        let mut init = good_container("migrate");
        init["image"] = json!("flyway/flyway");
        let mut api = workload("Deployment", "api", vec![good_container("api")]);
        api.data["spec"]["template"]["spec"]["initContainers"] = json!([init]);
        let found = check(&podspec::containers(&view(&api)), &forbid_latest());
        assert_eq!(found, ["init container migrate image \"flyway/flyway\" has no tag (means latest)"]);
    }

    #[test]
    fn a_container_without_image_is_reported() {
        let mut container = good_container("api");
        if let Some(map) = container.as_object_mut() {
            map.remove("image");
        }
        let api = workload("Deployment", "api", vec![container]);
        assert_eq!(check(&podspec::containers(&view(&api)), &forbid_latest()), ["container api image \"\" is empty"]);
    }
}
