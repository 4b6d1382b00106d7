//! The fast path for `/validate/workloads`: picks the fields a Deployment admission reads out of
//! the body in one lexical pass, skipping everything else (managedFields, status, the old
//! object's metadata) without decoding it, and decodes only the small parts it keeps with
//! serde. Anything unusual (an escaped key, a duplicate field, a missing required field, bytes
//! after the document) returns `None`, and the complete serde path answers instead, so the two
//! never disagree on a request both accept. Skipped regions are checked for structure (strings,
//! nesting) but not decoded: their content cannot influence the decision.

use std::borrow::Cow;
use std::collections::BTreeMap;

use memchr::memchr2;
use serde::Deserialize;

use super::admit::workloads::{
    DeploymentRequest, DeploymentView, Metadata, OVERRIDE_ANNOTATION, OverrideAnnotation, RawJson, SpecView,
    TemplateOnly,
};
use super::admit::{AdmissionInput, Gvk, Operation, UserInfo};
use super::review::{API_VERSION, KIND};

/// Reads a v1 AdmissionReview of a Deployment request, or `None` to defer to the serde path.
pub fn deployment_review(body: &[u8]) -> Option<DeploymentRequest<'_>> {
    let mut scanner = Scanner { bytes: body, at: 0 };
    let mut version_ok = false;
    let mut kind_ok = false;
    let mut request = None;
    scanner.object(|key, s| {
        match key {
            b"apiVersion" => version_ok = once(version_ok, s.string_value()? == API_VERSION)?,
            b"kind" => kind_ok = once(kind_ok, s.string_value()? == KIND)?,
            b"request" if request.is_none() => request = Some(s.request()?),
            b"request" => return None,
            _ => {
                s.skip_value()?;
            }
        }
        Some(())
    })?;
    scanner.blank();
    (scanner.at == body.len() && version_ok && kind_ok).then_some(())?;
    request
}

/// Marks a field as seen; a second occurrence is a duplicate, which serde refuses too.
fn once(seen: bool, value: bool) -> Option<bool> {
    (!seen && value).then_some(true)
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn blank(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.blank();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Skips a string; returns its span including the quotes and whether it holds escapes.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.at - 1;
        let mut escaped = false;
        loop {
            let found = self.at + memchr2(b'"', b'\\', self.bytes.get(self.at..)?)?;
            if self.bytes[found] == b'"' {
                self.at = found + 1;
                return Some((start, self.at, escaped));
            }
            escaped = true;
            self.at = found + 2;
        }
    }

    /// Skips any value; returns its span.
    fn skip_value(&mut self) -> Option<(usize, usize)> {
        let start = match self.peek()? {
            b'"' => return self.string().map(|(s, e, _)| (s, e)),
            b'{' | b'[' => self.at,
            _ => {
                let start = self.at;
                while let Some(&b) = self.bytes.get(self.at) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'[' | b':') {
                        break;
                    }
                    self.at += 1;
                }
                return (self.at > start).then_some((start, self.at));
            }
        };
        let mut open: Vec<u8> = Vec::with_capacity(16);
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                open_byte @ (b'{' | b'[') => open.push(if open_byte == b'{' { b'}' } else { b']' }),
                close @ (b'}' | b']') => {
                    if open.pop()? != close {
                        return None;
                    }
                    if open.is_empty() {
                        self.at += 1;
                        return Some((start, self.at));
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// Walks an object, handing each key (unescaped keys only) to `field`, which must consume the
    /// value. `null` reads as an empty object.
    fn object(&mut self, mut field: impl FnMut(&'a [u8], &mut Self) -> Option<()>) -> Option<()> {
        if self.peek()? == b'n' {
            return self.null();
        }
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let (start, end, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.eat(b':')?;
            field(&self.bytes[start + 1..end - 1], self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn null(&mut self) -> Option<()> {
        self.bytes.get(self.at..)?.starts_with(b"null").then(|| self.at += 4)
    }

    fn text(&self, (start, end): (usize, usize)) -> Option<&'a str> {
        std::str::from_utf8(self.bytes.get(start..end)?).ok()
    }

    /// A value decoded by serde from its span (small parts only: strings, maps of labels, user info).
    fn decode<T: Deserialize<'a>>(&mut self) -> Option<T> {
        let (start, end) = self.skip_value()?;
        let bytes: &'a [u8] = self.bytes;
        serde_json::from_slice(bytes.get(start..end)?).ok()
    }

    /// A string, borrowed when it has no escapes.
    fn string_value(&mut self) -> Option<Cow<'a, str>> {
        if self.peek()? != b'"' {
            return None;
        }
        let (start, end, escaped) = self.string()?;
        if escaped {
            serde_json::from_slice::<String>(&self.bytes[start..end]).ok().map(Cow::Owned)
        } else {
            self.text((start + 1, end - 1)).map(Cow::Borrowed)
        }
    }

    /// A string or `null`.
    fn optional_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.peek()? == b'n' { self.null().map(|()| None) } else { self.string_value().map(Some) }
    }

    fn request(&mut self) -> Option<DeploymentRequest<'a>> {
        let mut uid = None;
        let mut kind: Option<Gvk<'a>> = None;
        let mut operation = None;
        let mut sub_resource = None;
        let mut name = None;
        let mut namespace = None;
        let mut user_info = None;
        let mut object = None;
        let mut old_object = None;
        let mut dry_run = None;
        self.object(|key, s| {
            match key {
                b"uid" if uid.is_none() => uid = Some(s.string_value()?),
                b"kind" if kind.is_none() => kind = Some(s.decode::<Gvk<'a>>()?),
                b"operation" if operation.is_none() => operation = Some(s.decode::<Operation>()?),
                b"subResource" if sub_resource.is_none() => sub_resource = Some(s.optional_string()?),
                b"name" if name.is_none() => name = Some(s.optional_string()?),
                b"namespace" if namespace.is_none() => namespace = Some(s.optional_string()?),
                b"userInfo" if user_info.is_none() => {
                    user_info = Some(s.decode::<Option<UserInfo>>()?.unwrap_or_default())
                }
                b"object" if object.is_none() => object = Some(s.deployment()?),
                b"oldObject" if old_object.is_none() => old_object = Some(s.old_deployment()?),
                b"dryRun" if dry_run.is_none() => dry_run = Some(s.decode::<Option<bool>>()?.unwrap_or_default()),
                b"uid" | b"kind" | b"operation" | b"subResource" | b"name" | b"namespace" | b"userInfo" | b"object"
                | b"oldObject" | b"dryRun" => return None,
                _ => {
                    s.skip_value()?;
                }
            }
            Some(())
        })?;
        Some(AdmissionInput {
            uid: uid?,
            kind: kind?,
            sub_resource: sub_resource.flatten(),
            name: name.flatten(),
            namespace: namespace.flatten(),
            operation: operation?,
            user_info: user_info.unwrap_or_default(),
            object: object.flatten(),
            old_object: old_object.flatten(),
            dry_run: dry_run.unwrap_or_default(),
        })
    }

    /// `object`: metadata name/namespace/labels/override annotation and `spec.template` as text.
    fn deployment(&mut self) -> Option<Option<DeploymentView<'a>>> {
        if self.peek()? == b'n' {
            return self.null().map(|()| None);
        }
        let mut metadata = None;
        let mut spec = None;
        self.object(|key, s| {
            match key {
                b"metadata" if metadata.is_none() => metadata = Some(s.metadata()?),
                b"spec" if spec.is_none() => spec = Some(s.spec()?),
                b"metadata" | b"spec" => return None,
                _ => {
                    s.skip_value()?;
                }
            }
            Some(())
        })?;
        Some(Some(DeploymentView { metadata: metadata.unwrap_or_default(), spec: spec.flatten() }))
    }

    fn old_deployment(&mut self) -> Option<Option<TemplateOnly<'a>>> {
        if self.peek()? == b'n' {
            return self.null().map(|()| None);
        }
        let mut spec = None;
        self.object(|key, s| {
            match key {
                b"spec" if spec.is_none() => spec = Some(s.spec()?),
                b"spec" => return None,
                _ => {
                    s.skip_value()?;
                }
            }
            Some(())
        })?;
        Some(Some(TemplateOnly { spec: spec.flatten() }))
    }

    fn metadata(&mut self) -> Option<Metadata> {
        let mut metadata = Metadata::default();
        let mut seen = [false; 5];
        self.object(|key, s| {
            let slot = match key {
                b"name" => 0,
                b"generateName" => 1,
                b"namespace" => 2,
                b"labels" => 3,
                b"annotations" => 4,
                _ => {
                    s.skip_value()?;
                    return Some(());
                }
            };
            seen[slot] = once(seen[slot], true)?;
            match slot {
                0 => metadata.name = s.optional_string()?.map(Cow::into_owned).unwrap_or_default(),
                1 => metadata.generate_name = s.optional_string()?.map(Cow::into_owned).unwrap_or_default(),
                2 => metadata.namespace = s.optional_string()?.map(Cow::into_owned).unwrap_or_default(),
                3 => metadata.labels = s.decode::<Option<BTreeMap<String, String>>>()?.unwrap_or_default(),
                _ => metadata.annotations = s.override_annotation()?,
            }
            Some(())
        })?;
        Some(metadata)
    }

    /// Only the override annotation; an escaped key (which could spell it) defers to serde.
    fn override_annotation(&mut self) -> Option<OverrideAnnotation> {
        let mut found: Option<String> = None;
        self.object(|key, s| {
            if key == OVERRIDE_ANNOTATION.as_bytes() {
                if found.is_some() {
                    return None;
                }
                found = Some(s.string_value()?.into_owned());
            } else {
                s.skip_value()?;
            }
            Some(())
        })?;
        Some(OverrideAnnotation(found))
    }

    fn spec(&mut self) -> Option<Option<SpecView<'a>>> {
        if self.peek()? == b'n' {
            return self.null().map(|()| None);
        }
        let mut template = None;
        self.object(|key, s| {
            match key {
                b"template" if template.is_none() => {
                    template = Some(if s.peek()? == b'n' {
                        s.null()?;
                        None
                    } else {
                        let span = s.skip_value()?;
                        Some(RawJson(s.text(span)?))
                    })
                }
                b"template" => return None,
                _ => {
                    s.skip_value()?;
                }
            }
            Some(())
        })?;
        Some(Some(SpecView { template: template.flatten() }))
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
