//! The builder alone: what each scalar is, how collections nest, and where errors point.

use serde_json::json;

use super::*;

/// The first error of a text: (document, line, message).
type Refusal = (usize, Option<usize>, String);

/// The documents of `text` with their numbers, or the first error.
fn documents(text: &str) -> Result<Vec<(usize, Value)>, Refusal> {
    let mut found = Vec::new();
    for_each_document(text, 0, &mut |number, value| {
        found.push((number, value));
        Ok(())
    })
    .map_err(|e| (e.document, e.line, e.message))?;
    Ok(found)
}

fn value(text: &str) -> Value {
    let mut found = documents(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
    assert_eq!(found.len(), 1, "{text:?}");
    found.remove(0).1
}

fn error(text: &str) -> Refusal {
    documents(text).expect_err("refused")
}

#[test]
fn plain_scalars_follow_the_yaml_1_2_core_schema_as_go_yaml_v3_does() {
    let read = value(
        "a: yes\nb: on\nc: 0755\nd: 0o755\ne: 0x1F\nf: -0x10\ng: 0b101\nh: True\ni: FALSE\nj: ~\nk: Null\nl:\n\
         m: 1.5\nn: 1e3\no: -.5\np: +12\nq: 1_000\nr: 007\ns: -0\nt: 18446744073709551615\n\
         u: -9223372036854775808\nw: n\nx: 12:30\ny: 2026-12-07\nz: '5'\n",
    );
    assert_eq!(
        read,
        json!({
            "a": "yes", "b": "on", "c": "0755", "d": 493, "e": 31, "f": -16, "g": 5, "h": true, "i": false,
            "j": null, "k": null, "l": null, "m": 1.5, "n": 1000.0, "o": -0.5, "p": 12, "q": "1_000", "r": "007",
            "s": 0, "t": 18446744073709551615u64, "u": -9223372036854775808i64, "w": "n", "x": "12:30",
            "y": "2026-12-07", "z": "5",
        })
    );
}

#[test]
fn quoted_and_block_scalars_are_strings() {
    assert_eq!(
        value("a: '1'\nb: \"true\"\nc: |\n  null\nd: >-\n  12\n"),
        json!({"a": "1", "b": "true", "c": "null\n", "d": "12"})
    );
}

#[test]
fn integers_beyond_64_bits_are_floats_as_kubernetes_reads_them() {
    assert_eq!(value("a: 123456789012345678901234567890\n")["a"], json!(1.2345678901234568e29));
}

#[test]
fn core_schema_tags_say_what_a_scalar_is_and_other_tags_are_dropped() {
    assert_eq!(
        value(
            "a: !!str 5\nb: !!int '7'\nc: !!bool 'true'\nd: !!float '1.5'\nf: !Ref 5\ng: !Ref '5'\nh: !!binary aGk=\n"
        ),
        json!({"a": "5", "b": 7, "c": true, "d": 1.5, "f": 5, "g": "5", "h": "aGk="})
    );
    let (_, _, message) = error("a: !!int five\n");
    assert_eq!(message, "a: invalid value: string \"five\", expected an integer");
    assert_eq!(value("a: !Thing {b: [1]}\n"), json!({"a": {"b": [1]}}));
}

#[test]
fn keys_are_strings_as_written() {
    assert_eq!(
        value("80: http\ntrue: t\n~: n\n0x10: h\n1.50: f\n"),
        json!({"80": "http", "true": "t", "~": "n", "0x10": "h", "1.50": "f"})
    );
    let (document, line, message) = error("a: 1\n[b]: 2\n");
    assert_eq!((document, line), (1, Some(2)));
    assert_eq!(message, "a mapping or sequence as a mapping key has no JSON form");
}

#[test]
fn aliases_copy_their_anchor_and_merge_keys_apply() {
    assert_eq!(
        value(
            "base: &b {x: 1, y: 2}\nname: &n web\ncopy: *b\nlabel: *n\nmerged:\n  <<: [*b, {z: 3, x: 9}]\n  y: 5\n*n : key\n"
        ),
        json!({
            "base": {"x": 1, "y": 2}, "name": "web", "copy": {"x": 1, "y": 2}, "label": "web",
            "merged": {"x": 1, "y": 5, "z": 3}, "web": "key",
        })
    );
    // `<<` over something that is no mapping is an ordinary key.
    assert_eq!(value("<<: 5\n"), json!({"<<": 5}));
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
    for level in 1..9 {
        let previous = format!("*a{}", level - 1);
        text.push_str(&format!("a{level}: &a{level} [{}]\n", vec![previous; 10].join(", ")));
    }
    let (document, line, message) = error(&text);
    assert_eq!(document, 1);
    assert!(line.is_some_and(|line| line >= 6), "{line:?}");
    assert!(message.contains("aliases expand to more than 1000000 nodes"), "{message}");
}

#[test]
fn duplicate_keys_are_refused_naming_the_mapping_and_line() {
    let (document, line, message) = error("a: 1\n---\nspec:\n  items:\n  - name: a\n    name: b\n");
    assert_eq!((document, line), (2, Some(6)));
    assert_eq!(message, "spec.items[0]: duplicate key \"name\" in a mapping");
}

#[test]
fn non_finite_numbers_are_refused_with_their_path() {
    let (document, line, message) = error("spec:\n  ratios: [1, .nan]\n");
    assert_eq!((document, line), (1, Some(2)));
    assert!(message.starts_with("spec.ratios[1]: .nan is not a finite number"), "{message}");
}

#[test]
fn documents_are_numbered_as_written_and_empty_ones_skipped() {
    let found = documents("# c\n---\na: 1\n---\n---\nnull\n---\n- x\n...\n---\nb: 2\n").expect("parses");
    let numbers: Vec<usize> = found.iter().map(|(number, _)| *number).collect();
    assert_eq!(numbers, [1, 4, 5]);
    assert_eq!(documents("").expect("empty"), []);
    let mut count = 0;
    let documents = for_each_document("a: 1\n---\n---\n", 7, &mut |number, _| {
        assert_eq!(number, 8);
        count += 1;
        Ok(())
    });
    assert_eq!((documents.ok(), count), (Some(3), 1));
}

#[test]
fn a_syntax_error_names_its_document_line_and_column() {
    let (document, line, message) = error("a: 1\n---\nb: [1, 2\nc: 3\n");
    assert_eq!(document, 2);
    assert_eq!(line, Some(4));
    assert_eq!(
        message,
        "illegal placement of ':' indicator at column 2, while parsing a flow sequence started at line 3"
    );
}

#[test]
fn the_handler_refusing_a_document_ends_the_text() {
    let mut seen = Vec::new();
    let refused = for_each_document("a: 1\n---\nb: 2\n---\nc: [\n", 0, &mut |number, _| {
        seen.push(number);
        if number == 2 { Err("no b".to_owned()) } else { Ok(()) }
    })
    .expect_err("refused");
    assert_eq!((refused.document, refused.line, refused.message.as_str()), (2, None, "no b"));
    assert_eq!(seen, [1, 2]);
}

mod nesting {
    use super::*;

    #[test]
    fn ordinary_nesting_passes() {
        assert_eq!(documents("a:\n  b:\n    c: [1, {d: [2]}]\n---\n- - - x\n").map(|d| d.len()), Ok(2));
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(documents(&at_limit).is_ok());
    }

    #[test]
    fn flow_nesting_beyond_the_limit_is_found_in_its_document() {
        let text = format!("a: 1\n---\nb: 2\n---\nc: {}\n", "[".repeat(MAX_DEPTH + 1));
        let (document, line, message) = error(&text);
        assert_eq!((document, line), (3, Some(5)));
        assert!(message.starts_with("collections nested more than 128 levels deep"), "{message}");
    }

    #[test]
    fn block_nesting_beyond_the_limit_is_found() {
        let (document, _, message) = error(&format!("{}x\n", "- ".repeat(MAX_DEPTH + 1)));
        assert_eq!(document, 1);
        assert!(message.starts_with("collections nested more than 128 levels deep"), "{message}");
    }

    #[test]
    fn block_and_flow_nesting_mixed_count_together() {
        let text =
            format!("{}{}x{}\n", "- ".repeat(MAX_DEPTH / 2 + 1), "[".repeat(MAX_DEPTH / 2), "]".repeat(MAX_DEPTH / 2));
        let (document, _, message) = error(&text);
        assert_eq!(document, 1);
        assert!(message.starts_with("collections nested more than 128 levels deep"), "{message}");
    }

    #[test]
    fn megabytes_of_brackets_are_refused_at_once() {
        // How fast is for `tests/cli.rs` (under a timeout); here, that nothing is buffered first.
        let (document, line, message) = error(&"[".repeat(6 << 20));
        assert_eq!((document, line), (1, Some(1)));
        assert!(message.contains(&format!("(at column {})", MAX_DEPTH + 1)), "{message}");
    }
}
