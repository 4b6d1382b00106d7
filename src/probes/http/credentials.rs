//! Credentials in a probe URL (`https://user:password@host/`): sent as HTTP Basic auth, as curl
//! and browsers do, and kept out of the `Host` header, which carries only `host[:port]`.

use base64::Engine;
use http::HeaderValue;

/// The `Host` header value and, when the authority carries userinfo, the `Authorization` value.
pub(super) fn split(authority: &str) -> (&str, Option<HeaderValue>) {
    // Userinfo may itself contain `@` only percent-encoded, so the last `@` ends it.
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return (authority, None) };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let mut pair = percent_decoded(user);
    pair.push(b':');
    pair.extend(percent_decoded(password));
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    let header = HeaderValue::from_str(&format!("Basic {encoded}")).ok().map(|mut value| {
        value.set_sensitive(true);
        value
    });
    (host, header)
}

/// RFC 3986 percent-decoding; a `%` not followed by two hex digits stays as it is.
fn percent_decoded(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes.get(i + 1..i + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match (bytes[i], escaped.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(authority: &str) -> (String, Option<String>) {
        let (host, header) = split(authority);
        (host.to_owned(), header.map(|h| h.to_str().expect("ascii").to_owned()))
    }

    #[test]
    fn an_authority_without_userinfo_is_the_host_header_as_is() {
        assert_eq!(basic("api.novacron.io:8443"), ("api.novacron.io:8443".to_owned(), None));
        assert_eq!(basic("[::1]:9090"), ("[::1]:9090".to_owned(), None));
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_leaves_the_host() {
        // base64("probe:s3cret")
        let expected = ("prometheus:9090".to_owned(), Some("Basic cHJvYmU6czNjcmV0".to_owned()));
        assert_eq!(basic("probe:s3cret@prometheus:9090"), expected);
        assert!(split("probe:s3cret@prometheus:9090").1.expect("header").is_sensitive());
    }

    #[test]
    fn percent_encoded_userinfo_is_decoded_before_encoding() {
        // base64("a@b:p:w%") from `a%40b:p%3Aw%`: `%` without two hex digits stays.
        assert_eq!(basic("a%40b:p%3Aw%@host").1.as_deref(), Some("Basic YUBiOnA6dyU="));
        // A user without a password still sends `user:`.
        assert_eq!(basic("probe@host").1.as_deref(), Some("Basic cHJvYmU6"));
    }
}
