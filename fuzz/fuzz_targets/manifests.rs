//! The manifest loader on arbitrary text: it may refuse anything, but never panic, hang or
//! run out of memory, and what it accepts must be whole Kubernetes objects.
//!
//! The first byte picks how the text is named (`.yaml`, `.json`, or a name without extension),
//! since a `.json` file is read as JSON only. Every ReadinessChecklist found is deserialized and
//! validated as `readygate check` does, so checklist error paths are exercised too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use readygate::engine::validate::validate_checklist;
use readygate::inventory::manifests::{parse_str_with_sources, split_checklists, to_checklist};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let origin = match selector % 3 {
        0 => "fuzz.yaml",
        1 => "fuzz.json",
        _ => "-",
    };
    let Ok(loaded) = parse_str_with_sources(text, origin, "default") else { return };
    for item in &loaded {
        let object = &item.object;
        assert!(!object.api_version.is_empty() && !object.kind.is_empty() && !object.name.is_empty());
        assert!(object.data.is_object(), "an object is a mapping");
        assert!(item.source.document() >= 1);
        // Locating the document must not fail for any document that produced an object.
        let _ = item.source.line();
        // No non-finite number can reach an inventory (JSON has none).
        assert!(serde_json::to_string(&object.data).is_ok());
    }
    let (checklists, _) = split_checklists(loaded);
    for document in &checklists {
        if let Ok(checklist) = to_checklist(document) {
            let _ = validate_checklist(&checklist);
        }
    }
});
