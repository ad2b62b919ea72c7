//! Which visible parts of a receipt differ from the receipt its data gives: what `recibo
//! verify` says of an `altered` file beyond the word.
//!
//! Both files are read the same way ([`super::read`]): the one rendered again from the data
//! and the one handed in. Each text run of the first is looked for, with its text, at its
//! place in the second. The runs not found are named by the part of the page whose text
//! holds them (a row's value or label, the title, a footer line, ...), and beside each is
//! what the file draws on that line instead. When every run is found and nothing is added,
//! the visible text is as the data gives, and the change lies elsewhere (drawing, metadata
//! or structure).

use unicode_normalization::UnicodeNormalization;

use super::page::ReceiptPage;
use super::read::{TextRun, page_texts};

/// How far apart, in points, two runs may start and still be the same run: a rewriting
/// tool may round coordinates.
const SAME_PLACE: f32 = 0.5;
/// How far apart two runs' baselines may be and still be on one line.
const SAME_LINE: f32 = 1.0;
/// How far, in points, a part's text may have moved for what the file draws there to be
/// taken as its: a few lines.
const MOVED_AT_MOST: f32 = 40.0;
/// Parts named in one verdict; the rest are counted.
const NAMED: usize = 3;
/// Longest text quoted from either file, in characters.
const QUOTED: usize = 60;

/// What differs in `file` from `expected`, the same pages rendered again from the data, as
/// one clause to follow "altered: ". `None` when the file's text cannot be read.
pub fn visible_differences(expected: &[u8], file: &[u8], pages: &[ReceiptPage]) -> Option<String> {
    let want = page_texts(expected).ok()?;
    let got = page_texts(file).ok()?;
    if want.len() != got.len() {
        return Some(format!(
            "it has {} pages where the data gives {}",
            got.len(),
            want.len()
        ));
    }
    let mut parts = Vec::new();
    for (i, ((want, got), page)) in want.iter().zip(&got).zip(pages).enumerate() {
        let on_page = if pages.len() > 1 {
            format!(" on page {} (refund {})", i + 1, page.refund_id)
        } else {
            String::new()
        };
        for part in page_differences(want, got, page) {
            parts.push(format!("{part}{on_page}"));
        }
    }
    if parts.is_empty() {
        return Some(
            "every text it shows is as the data gives; the change is in what else it draws, \
             its metadata or its structure"
                .into(),
        );
    }
    let more = parts.len().saturating_sub(NAMED);
    parts.truncate(NAMED);
    let mut out = parts.join("; ");
    if more > 0 {
        out.push_str(&format!("; and {more} more"));
    }
    Some(out)
}

/// The parts of one page whose runs the file does not draw where the data puts them, and
/// text the file adds.
fn page_differences(want: &[TextRun], got: &[TextRun], page: &ReceiptPage) -> Vec<String> {
    let mut matched = vec![false; got.len()];
    let mut missing = Vec::new();
    for run in want {
        let found = got.iter().enumerate().position(|(j, g)| {
            !matched[j] && same_text(&g.text, &run.text) && near(g.x, run.x) && near(g.y, run.y)
        });
        match found {
            Some(j) => matched[j] = true,
            None => missing.push(run),
        }
    }
    // A value that wraps onto more or fewer lines moves everything below it up or down:
    // text found in its column at another height is moved, not changed, and not named.
    missing.retain(|run| {
        let moved = got
            .iter()
            .enumerate()
            .filter(|(j, g)| !matched[*j] && same_text(&g.text, &run.text) && near(g.x, run.x))
            .min_by(|(_, a), (_, b)| (a.y - run.y).abs().total_cmp(&(b.y - run.y).abs()))
            .map(|(j, _)| j);
        match moved {
            Some(j) => {
                matched[j] = true;
                false
            }
            None => true,
        }
    });
    let parts = Parts::of(page, want);
    // One entry per part: the first of its runs that is missing names it.
    let mut named: Vec<(String, Vec<&TextRun>)> = Vec::new();
    for run in &missing {
        let part = parts.holding(run);
        match named.iter_mut().find(|(p, _)| *p == part) {
            Some((_, runs)) => runs.push(run),
            None => named.push((part, vec![run])),
        }
    }
    let mut out = Vec::new();
    for (part, runs) in &named {
        let gives: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
        // What the file draws instead: its unmatched runs on the lines of the missing ones.
        let mut shows: Vec<&str> = Vec::new();
        for (j, g) in got.iter().enumerate() {
            if !matched[j] && runs.iter().any(|r| (g.y - r.y).abs() <= SAME_LINE) {
                matched[j] = true;
                shows.push(&g.text);
            }
        }
        // Lines above moved it: what the file draws nearest in the same column.
        if shows.is_empty() {
            let first = runs[0];
            let nearest = got
                .iter()
                .enumerate()
                .filter(|(j, g)| {
                    !matched[*j] && near(g.x, first.x) && (g.y - first.y).abs() <= MOVED_AT_MOST
                })
                .min_by(|(_, a), (_, b)| (a.y - first.y).abs().total_cmp(&(b.y - first.y).abs()));
            if let Some((j, g)) = nearest {
                matched[j] = true;
                shows.push(&g.text);
            }
        }
        let shows = if shows.is_empty() {
            "the file does not show it".to_string()
        } else {
            format!("the file shows {}", quoted(&shows.join(" ")))
        };
        out.push(format!(
            "{part} differs: the data gives {}, {shows}",
            quoted(&gives.join(" "))
        ));
    }
    let added: Vec<&str> = got
        .iter()
        .zip(&matched)
        .filter(|(g, m)| !**m && !g.text.trim().is_empty())
        .map(|(g, _)| g.text.as_str())
        .collect();
    if !added.is_empty() {
        out.push(format!(
            "it shows text the data does not give: {}",
            quoted(&added.join(" "))
        ));
    }
    out
}

/// The named parts of a page, and where their text is drawn in the receipt the data gives.
struct Parts {
    /// Each part's name and its text without white space, in page order.
    texts: Vec<(String, String)>,
    /// For each row, its name and the baseline of its label's first run, to choose between
    /// rows that show the same text (a full refund's amount is its payment's too).
    rows: Vec<(String, f32)>,
}

impl Parts {
    fn of(page: &ReceiptPage, drawn: &[TextRun]) -> Parts {
        let mut texts = Vec::new();
        let mut rows = Vec::new();
        let mut add = |name: String, text: &str| texts.push((name, compact(text)));
        add("the brand line".into(), &page.brand);
        add("the title".into(), &page.title);
        add("the receipt number line".into(), &page.subtitle);
        for line in &page.issuer {
            add("the issuer block".into(), line);
        }
        for section in &page.sections {
            for row in &section.rows {
                let name = format!("the field {}", quoted(&row.label));
                add(name.clone(), &row.value);
                let label = compact(&row.label);
                if let Some(run) = drawn
                    .iter()
                    .find(|r| !r.text.trim().is_empty() && label.starts_with(&compact(&r.text)))
                {
                    rows.push((name, run.y));
                }
            }
        }
        for section in &page.sections {
            add(
                format!("the heading {}", quoted(&section.heading)),
                &section.heading,
            );
            for row in &section.rows {
                add(format!("the label {}", quoted(&row.label)), &row.label);
            }
        }
        if let Some(verify) = &page.verify {
            add("the verification caption".into(), &verify.caption);
        }
        for line in &page.footer {
            add("the footer".into(), line);
        }
        Parts { texts, rows }
    }

    /// The name of the part whose text holds `run`; of several, the row whose label is on
    /// the run's line or nearest above it.
    fn holding(&self, run: &TextRun) -> String {
        let text = compact(&run.text);
        let holders: Vec<&String> = self
            .texts
            .iter()
            .filter(|(_, t)| !text.is_empty() && t.contains(&text))
            .map(|(name, _)| name)
            .collect();
        if holders.len() > 1 {
            let row = self
                .rows
                .iter()
                .filter(|(name, y)| holders.contains(&name) && *y + SAME_LINE >= run.y)
                .min_by(|a, b| (a.1 - run.y).abs().total_cmp(&(b.1 - run.y).abs()));
            if let Some((name, _)) = row {
                return name.clone();
            }
        }
        match holders.first() {
            Some(name) => (*name).clone(),
            None => format!("the text at {:.0}, {:.0} pt", run.x, run.y),
        }
    }
}

fn near(a: f32, b: f32) -> bool {
    (a - b).abs() <= SAME_PLACE
}

fn same_text(a: &str, b: &str) -> bool {
    compact(a) == compact(b)
}

/// Text as it compares: in one normal form, without white space.
fn compact(text: &str) -> String {
    text.nfc().filter(|c| !c.is_whitespace()).collect()
}

/// `text` quoted for a one-line report, shortened when long. Any white space (a no-break
/// space in an amount) shows as a space; the report escapes control characters itself.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == QUOTED {
            out.push('…');
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
