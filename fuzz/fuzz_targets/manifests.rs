//! The manifest loader on arbitrary text: it may refuse anything, but never panic, hang or
//! run out of memory, and what it accepts must be whole Kubernetes objects.
//!
//! The first byte picks how the text is named (`.yaml`, `.json`, or stdin) and the size of the
//! pieces the streaming reader cuts it into: read whole or a piece at a time, the same text must
//! give the same objects or the same error. Every ReadinessChecklist found is deserialized and
//! validated as `readygate check` does, so checklist error paths are exercised too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readygate::engine::validate::validate_checklist;
use readygate::inventory::manifests::{parse_reader, parse_str, parse_str_with_sources, split_checklists, to_checklist};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let origin = match selector % 3 {
        0 => "fuzz.yaml",
        1 => "fuzz.json",
        _ => "<stdin>",
    };
    let piece_bytes = usize::from(selector / 3) * 4;

    // Streaming: read from bytes (not UTF-8 is an error naming the line), a piece at a time.
    let mut streamed = Vec::new();
    let streaming = parse_reader(&mut &rest[..], origin, "default", piece_bytes, &mut |o| streamed.push(o));
    let Ok(text) = std::str::from_utf8(rest) else {
        assert!(streaming.is_err(), "text that is not UTF-8 is refused");
        return;
    };
    match (parse_str(text, origin, "default"), streaming) {
        (Ok(whole), Ok(())) => assert_eq!(whole, streamed, "whole and streamed read alike"),
        // Both refuse. How may differ: a quoted scalar left open before a `---` line is an
        // open quote to the piece that ends there, and a document marker inside a scalar to
        // the whole stream.
        (Err(whole), Err(pieces)) => {
            assert!(place(&whole).is_some() && place(&pieces).is_some(), "{whole} / {pieces}");
        }
        (whole, pieces) => panic!("whole {whole:?}, streamed {pieces:?}"),
    }

    let Ok(loaded) = parse_str_with_sources(text, origin, "default") else { return };
    for item in &loaded {
        let object = &item.object;
        assert!(!object.api_version.is_empty() && !object.kind.is_empty() && !object.name.is_empty());
        assert!(object.data.is_object(), "an object is a mapping");
        assert!(item.source.document() >= 1);
        // Locating the document must not fail for any document that produced an object.
        let _ = item.source.line();
    }
    let (checklists, _) = split_checklists(loaded);
    for document in &checklists {
        if let Ok(checklist) = to_checklist(document) {
            let _ = validate_checklist(&checklist);
        }
    }
});

/// Where a manifest error points (file, document, line); `None` for any other error.
fn place(error: &readygate::Error) -> Option<(String, Option<usize>, Option<usize>)> {
    match error {
        readygate::Error::Manifest { path, document, line, .. } => Some((path.clone(), *document, *line)),
        _ => None,
    }
}
