//! Kubernetes' URL library (`k8s.io/apiserver/pkg/cel/library/urls.go`): `url()` and `isURL()`,
//! and a URL's `getScheme()`, `getHost()`, `getHostname()`, `getPort()`, `getEscapedPath()` and
//! `getQuery()`.
//!
//! Kubernetes checks the string with Go's `url.ParseRequestURI` (an absolute URI or an absolute
//! path), then takes the parts from `url.Parse`, which removes the `#fragment` first. Both are
//! ported here rather than taken from the
//! `url` crate: that one implements the WHATWG URL standard, which lower-cases hosts, drops
//! default ports (`http://a:80/` has no port there, `80` in Kubernetes), resolves `..`
//! segments, reads `\` as `/`, and cannot parse an absolute path alone (`/healthz` is a valid
//! request URI). A rule must give the answer the API server gives, so the parser follows
//! `net/url` step by step: scheme, query, authority (`parseAuthority`, `parseHost`), path
//! (`setPath`), and `EscapedPath`, `Hostname`, `Port` and `Query` as Go computes them.

use std::collections::HashMap;
use std::sync::LazyLock;

use cel::common::types::{CelBool, CelList, CelMap, CelMapKey, CelString, Type};
use cel::common::value::Val;
use cel::{DeclarationError, Env, ExecutionError};

pub const TYPE_NAME: &str = "kubernetes.URL";
static TYPE: LazyLock<Type> = LazyLock::new(|| Type::new_opaque_type(TYPE_NAME));

/// A parsed request URI: an absolute URI or an absolute path.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Url {
    scheme: String,
    /// `host[:port]` as written (brackets kept for IPv6), unescaped.
    host: String,
    /// The path, unescaped (bytes: escapes may decode to invalid UTF-8, as Go allows); for an
    /// opaque URI (`mailto:x`) empty.
    path: Vec<u8>,
    /// The path as written, when it differs from the default escaping of `path`.
    raw_path: String,
    raw_query: String,
}

/// How a component is escaped, as Go's `encoding` modes (those `url()` needs: user
/// information, fragments and paths unescape alike).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    QueryComponent,
}

/// `raw` as Kubernetes' `url()` reads it: valid for `ParseRequestURI`, parts from `Parse`. The
/// errors never quote the input.
pub fn parse(raw: &str) -> Result<Url, &'static str> {
    parse_go(raw, true)?;
    let (before, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    unescape(fragment, Mode::Path)?;
    parse_go(before, false)
}

/// Go's `url.parse`: `via_request` for `ParseRequestURI`, which takes no fragment, reads a
/// `//` after no scheme as a path, and refuses relative references.
fn parse_go(raw: &str, via_request: bool) -> Result<Url, &'static str> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL");
    }
    if raw.is_empty() && via_request {
        return Err("empty url");
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = b"*".to_vec();
        return Ok(url);
    }
    let (scheme, rest) = scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        &rest[..rest.len() - 1]
    } else {
        match rest.split_once('?') {
            Some((before, query)) => {
                url.raw_query = query.to_owned();
                before
            }
            None => rest,
        }
    };
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // A rootless path after a scheme is opaque (`mailto:a@b`): valid, with no host or path.
            return Ok(url);
        }
        if via_request {
            return Err("invalid URI for request");
        }
        if rest.split('/').next().is_some_and(|segment| segment.contains(':')) {
            return Err("first path segment in URL cannot contain colon");
        }
    }
    let mut path = rest;
    let authority = !url.scheme.is_empty() || (!via_request && !rest.starts_with("///"));
    if authority && let Some(after) = rest.strip_prefix("//") {
        let (authority, remainder) = match after.find('/') {
            Some(at) => after.split_at(at),
            None => (after, ""),
        };
        url.host = parse_authority(authority)?;
        path = remainder;
    }
    url.path = unescape(path, Mode::Path)?;
    if escape(&url.path) != path {
        url.raw_path = path.to_owned();
    }
    Ok(url)
}

/// `scheme:` and the rest, or no scheme (`getScheme`).
fn scheme(raw: &str) -> Result<(&str, &str), &'static str> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme"),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// `[userinfo@]host[:port]`: the host and port, unescaped; user information is checked and dropped.
fn parse_authority(authority: &str) -> Result<String, &'static str> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    if let Some(userinfo) = userinfo {
        if !userinfo.bytes().all(valid_userinfo_byte) {
            return Err("net/url: invalid userinfo");
        }
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        unescape(user, Mode::Path)?;
        unescape(password, Mode::Path)?;
    }
    Ok(host)
}

fn valid_userinfo_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c)
}

fn parse_host(host: &str) -> Result<String, &'static str> {
    if host.starts_with('[') {
        let end = host.rfind(']').ok_or("missing ']' in host")?;
        if !valid_optional_port(&host[end + 1..]) {
            return Err("invalid port after host");
        }
        // RFC 6874: a zone, `%25` then the zone, inside the brackets.
        if let Some(zone) = host[..end].find("%25") {
            let mut unescaped = unescape(&host[..zone], Mode::Host)?;
            unescaped.extend(unescape(&host[zone..end], Mode::Zone)?);
            unescaped.extend(unescape(&host[end..], Mode::Host)?);
            return Ok(String::from_utf8_lossy(&unescaped).into_owned());
        }
    } else if let Some(colon) = host.rfind(':')
        && !valid_optional_port(&host[colon..])
    {
        return Err("invalid port after host");
    }
    // A host's escapes may decode to invalid UTF-8, which Go keeps and a CEL string cannot:
    // replaced, so such a host compares unequal to any written one.
    unescape(host, Mode::Host).map(|h| String::from_utf8_lossy(&h).into_owned())
}

/// Empty, or `:` followed by digits only (`:` alone is valid).
fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || port.strip_prefix(':').is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Go's `shouldEscape`: whether `c` must be percent-encoded in `mode`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && (is_sub_delim_or_colon_bracket(c) || b"<>\"".contains(&c)) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::QueryComponent => true,
            Mode::Host | Mode::Zone => true,
        },
        _ => true,
    }
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Go's `unescape`: `%XX` decoded, `+` a space in query components. In hosts, only `%25` and
/// non-ASCII bytes may be escaped, and characters that must be escaped are refused.
fn unescape(s: &str, mode: Mode) -> Result<Vec<u8>, &'static str> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let (Some(high), Some(low)) =
                    (bytes.get(i + 1).copied().and_then(unhex), bytes.get(i + 2).copied().and_then(unhex))
                else {
                    return Err("invalid URL escape");
                };
                if mode == Mode::Host && high < 8 && &s[i..i + 3] != "%25" {
                    return Err("invalid URL escape in host");
                }
                if mode == Mode::Zone {
                    let decoded = high << 4 | low;
                    if &s[i..i + 3] != "%25" && decoded != b' ' && should_escape(decoded, Mode::Host) {
                        return Err("invalid URL escape in zone");
                    }
                }
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if mode == Mode::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err("invalid character in host name");
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's `escape` for paths.
fn escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if should_escape(c, Mode::Path) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

/// Go's `validEncoded`: `s` holds only what may appear unescaped in a path, and escapes.
fn valid_encoded(s: &str) -> bool {
    s.bytes().all(|c| is_sub_delim_or_colon_bracket(c) || b"@%".contains(&c) || !should_escape(c, Mode::Path))
}

/// RFC 3986's sub-delims (`!$&'()*+,;=`) with `:`, `[` and `]`: the characters Go leaves
/// unescaped both in a host (`shouldEscape`) and in an already encoded path (`validEncoded`),
/// each of which adds its own few.
fn is_sub_delim_or_colon_bracket(c: u8) -> bool {
    b"!$&'()*+,;=:[]".contains(&c)
}

/// `host` split at its port, brackets removed (Go's `splitHostPort`).
fn split_host_port(host_port: &str) -> (&str, &str) {
    let mut host = host_port;
    let mut port = "";
    if let Some(colon) = host.rfind(':')
        && valid_optional_port(&host[colon..])
    {
        (host, port) = (&host_port[..colon], &host_port[colon + 1..]);
    }
    if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
        host = &host[1..host.len() - 1];
    }
    (host, port)
}

impl Url {
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == b"*" {
            return "*".to_owned();
        }
        escape(&self.path)
    }

    /// Go's `ParseQuery`, errors skipped: pairs split at `&` (one holding `;` is dropped), keys
    /// and values unescaped, values of a repeated key in order.
    pub fn query(&self) -> Vec<(String, Vec<String>)> {
        let mut query: Vec<(String, Vec<String>)> = Vec::new();
        for pair in self.raw_query.split('&') {
            if pair.is_empty() || pair.contains(';') {
                continue;
            }
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (Ok(key), Ok(value)) = (unescape(key, Mode::QueryComponent), unescape(value, Mode::QueryComponent))
            else {
                continue;
            };
            let (key, value) =
                (String::from_utf8_lossy(&key).into_owned(), String::from_utf8_lossy(&value).into_owned());
            match query.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => query.push((key, vec![value])),
            }
        }
        query
    }
}

opaque_val!(Url, TYPE);

fn url(text: &CelString<'_>) -> Result<Url, ExecutionError> {
    parse(text.inner()).map_err(|e| {
        ExecutionError::function_error("url", format!("URL parse error during conversion from string: {e}"))
    })
}

fn is_url(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse(text.inner()).is_ok())
}

fn get_scheme(this: &Url) -> CelString<'static> {
    CelString::from(this.scheme.clone())
}

fn get_host(this: &Url) -> CelString<'static> {
    CelString::from(this.host.clone())
}

fn get_hostname(this: &Url) -> CelString<'static> {
    CelString::from(split_host_port(&this.host).0.to_owned())
}

fn get_port(this: &Url) -> CelString<'static> {
    CelString::from(split_host_port(&this.host).1.to_owned())
}

fn get_escaped_path(this: &Url) -> CelString<'static> {
    CelString::from(this.escaped_path())
}

fn get_query(this: &Url) -> CelMap<'static> {
    let map = this
        .query()
        .into_iter()
        .map(|(key, values)| {
            let values: Vec<Box<dyn Val>> =
                values.into_iter().map(|v| Box::new(CelString::from(v)) as Box<dyn Val>).collect();
            (CelMapKey::from(key), Box::new(CelList::from(values)) as Box<dyn Val>)
        })
        .collect::<HashMap<_, _>>();
    CelMap::from(map)
}

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(TYPE.to_owned())?;
    cel::add_overload!(env, fn url: (CelString) -> Result<Url>, id = "string_to_url")?;
    cel::add_overload!(env, fn is_url: (CelString) -> CelBool, name = "isURL", id = "url_is_url_string")?;
    cel::add_member_overload!(env, fn get_scheme: (Url) -> CelString, id = "url_get_scheme")?;
    cel::add_member_overload!(env, fn get_host: (Url) -> CelString, id = "url_get_host")?;
    cel::add_member_overload!(env, fn get_hostname: (Url) -> CelString, id = "url_get_hostname")?;
    cel::add_member_overload!(env, fn get_port: (Url) -> CelString, id = "url_get_port")?;
    cel::add_member_overload!(env, fn get_escaped_path: (Url) -> CelString, id = "url_get_escaped_path")?;
    cel::add_member_overload!(env, fn get_query: (Url) -> CelMap, id = "url_get_query")?;
    Ok(())
}
