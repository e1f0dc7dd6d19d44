//! Every code block in the READMEs compiles and runs as written. The crate README is
//! the crate's documentation, so its `rust` blocks are doctests; a block marked `ignore` (a
//! server that would not stop) must be, byte for byte, part of the `examples/` file the text
//! just before it names, and examples are built by `cargo test` (CI also runs the quick start
//! against `twilio-webhook send`, `.ci/quickstart`).

use std::path::{Path, PathBuf};

/// A fenced block: its info string, its text, and the lines just before it.
struct Block {
    info: String,
    text: String,
    before: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let start = i;
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .unwrap_or_else(|| panic!("unclosed block at line {}", start + 1));
            out.push(Block {
                info: info.trim().to_owned(),
                text: lines[start + 1..end].join("\n") + "\n",
                before: lines[start.saturating_sub(4)..start].join("\n"),
                line: start + 1,
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `examples/NAME.rs` the text before a block names (last mention wins).
fn named_example(before: &str) -> Option<PathBuf> {
    let at = before.rfind("examples/")?;
    let end = before[at..].find(".rs")? + at + 3;
    Some(root().join("crates/twilio-webhook").join(&before[at..end]))
}

#[test]
fn every_readme_rust_block_is_tested() {
    let readmes = [
        ("README.md", false),
        ("crates/twilio-webhook/README.md", true),
        ("crates/twilio-webhook-cli/README.md", false),
        ("crates/sms-ratings/README.md", false),
    ];
    let mut ignored = 0;
    for (path, doctested) in readmes {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        for block in blocks(&text)
            .into_iter()
            .filter(|b| b.info.starts_with("rust"))
        {
            let at = format!("{path}:{}", block.line);
            if !block.info.contains("ignore") {
                assert!(doctested, "{at}: a rust block here is never compiled");
                continue;
            }
            let example = named_example(&block.before)
                .unwrap_or_else(|| panic!("{at}: an ignored block must name its examples/ file"));
            let source = std::fs::read_to_string(&example)
                .unwrap_or_else(|e| panic!("{at}: {}: {e}", example.display()));
            assert!(
                source.contains(&block.text),
                "{at}: not part of {} as written:\n{}",
                example.display(),
                block.text
            );
            ignored += 1;
        }
    }
    // The quick start, the axum, actix, Rocket (2), Lambda and Poem sections, the workspace
    // README's snippet.
    assert_eq!(ignored, 8);
}

#[test]
fn the_quick_start_is_the_whole_example() {
    let readme = std::fs::read_to_string(root().join("crates/twilio-webhook/README.md")).unwrap();
    let first = blocks(&readme)
        .into_iter()
        .find(|b| b.info.starts_with("rust"))
        .unwrap();
    let example =
        std::fs::read_to_string(root().join("crates/twilio-webhook/examples/quickstart.rs"))
            .unwrap();
    // All of it but the two header lines: `cargo new`, paste, run.
    assert_eq!(
        example
            .split_once('\n')
            .unwrap()
            .1
            .split_once('\n')
            .unwrap()
            .1,
        first.text
    );
    // The first snippet shows the line that makes rejections visible, and answers TwiML.
    assert!(first.text.contains(".with_max_level(tracing::Level::INFO)"));
    assert!(first.text.contains("-> MessagingResponse"));
}
