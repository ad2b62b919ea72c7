//! Replays the fuzz corpora and the saved crash inputs through the same checks the fuzz
//! targets run (`fuzz/checks.rs`), on stable and in the normal test run, so an input once
//! found stays checked without the fuzzer. Crashes not fixed yet are listed in
//! `fuzz/regressions/OPEN.md` and skipped until they are.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// `TARGET/NAME` of every open crash: the back-quoted entries of OPEN.md.
fn open_crashes() -> Vec<String> {
    let text = std::fs::read_to_string(fuzz_dir().join("regressions/OPEN.md")).unwrap_or_default();
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.contains('/'))
        .map(str::to_string)
        .collect()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let check = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a known target");
    let open = open_crashes();
    let corpus = files(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} has no seeds: the replay would check nothing"
    );
    let regressions = files(&fuzz_dir().join("regressions").join(target));
    for path in corpus.iter().chain(&regressions) {
        let name = path.file_name().unwrap().to_string_lossy();
        if open.contains(&format!("{target}/{name}")) {
            continue;
        }
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
    }
}

#[test]
fn every_target_has_a_test_here() {
    let here = include_str!("fuzz_corpus.rs");
    for (name, _) in checks::TARGETS {
        assert!(
            here.contains(&format!("fn {name}_corpus()")),
            "no test for {name}"
        );
    }
}

#[test]
fn csv_corpus() {
    replay("csv");
}

#[test]
fn xlsx_corpus() {
    replay("xlsx");
}

#[test]
fn jsonl_corpus() {
    replay("jsonl");
}

#[test]
fn amount_corpus() {
    replay("amount");
}

#[test]
fn time_corpus() {
    replay("time");
}

#[test]
fn job_corpus() {
    replay("job");
}

#[test]
fn query_corpus() {
    replay("query");
}

#[test]
fn gateway_corpus() {
    replay("gateway");
}

#[test]
fn pdf_text_corpus() {
    replay("pdf_text");
}
