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

use std::collections::HashMap;

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
///
/// The work is linear in the file's runs (each run of the data is looked up by its text),
/// and what the file shows instead is looked for only for the parts named, so a hostile
/// file of many pages and runs costs no more than reading it.
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
    let mut named = Vec::new();
    let mut count = 0usize;
    for (i, ((want, got), page)) in want.iter().zip(&got).zip(pages).enumerate() {
        let on_page = if pages.len() > 1 {
            format!(" on page {} (refund {})", i + 1, page.refund_id)
        } else {
            String::new()
        };
        let mut compared = Compared::new(want, got);
        let parts = compared.parts(page);
        for (part, runs) in &parts {
            count += 1;
            if named.len() < NAMED {
                let shows = compared.shown_instead(runs);
                named.push(format!(
                    "{part} differs: the data gives {}, {shows}{on_page}",
                    {
                        let gives: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
                        quoted(&gives.join(" "))
                    }
                ));
            }
        }
        if let Some(added) = compared.added(&parts) {
            count += 1;
            if named.len() < NAMED {
                named.push(format!(
                    "it shows text the data does not give: {}{on_page}",
                    quoted(&added)
                ));
            }
        }
    }
    if named.is_empty() {
        return Some(
            "every text it shows is as the data gives; the change is in what else it draws, \
             its metadata or its structure"
                .into(),
        );
    }
    let mut out = named.join("; ");
    if count > named.len() {
        out.push_str(&format!("; and {} more", count - named.len()));
    }
    Some(out)
}

/// One page's runs as the data gives them beside the file's, matched up.
struct Compared<'a> {
    got: &'a [TextRun],
    /// The file's runs taken for one of the data's (or for what the file shows instead).
    matched: Vec<bool>,
    /// The data's runs the file does not draw, in page order.
    missing: Vec<&'a TextRun>,
    want: &'a [TextRun],
}

impl<'a> Compared<'a> {
    fn new(want: &'a [TextRun], got: &'a [TextRun]) -> Compared<'a> {
        // The file's runs by their text, each list in page order.
        let mut by_text: HashMap<String, Vec<usize>> = HashMap::new();
        for (j, g) in got.iter().enumerate() {
            by_text.entry(compact(&g.text)).or_default().push(j);
        }
        let mut matched = vec![false; got.len()];
        let mut missing = Vec::new();
        let candidates = |run: &TextRun| by_text.get(&compact(&run.text));
        for run in want {
            let found = candidates(run).and_then(|js| {
                js.iter()
                    .copied()
                    .find(|&j| !matched[j] && near(got[j].x, run.x) && near(got[j].y, run.y))
            });
            match found {
                Some(j) => matched[j] = true,
                None => missing.push(run),
            }
        }
        // A value that wraps onto more or fewer lines moves everything below it up or
        // down: text found in its column at another height is moved, not changed, and not
        // named.
        missing.retain(|run| {
            let moved = candidates(run).and_then(|js| {
                js.iter()
                    .copied()
                    .filter(|&j| !matched[j] && near(got[j].x, run.x))
                    .min_by(|&a, &b| {
                        (got[a].y - run.y)
                            .abs()
                            .total_cmp(&(got[b].y - run.y).abs())
                    })
            });
            match moved {
                Some(j) => {
                    matched[j] = true;
                    false
                }
                None => true,
            }
        });
        Compared {
            got,
            matched,
            missing,
            want,
        }
    }

    /// The missing runs by the part of the page that holds them, in page order.
    fn parts(&self, page: &ReceiptPage) -> Vec<(String, Vec<&'a TextRun>)> {
        let parts = Parts::of(page, self.want);
        let mut named: Vec<(String, Vec<&TextRun>)> = Vec::new();
        for run in &self.missing {
            let part = parts.holding(run);
            match named.iter_mut().find(|(p, _)| *p == part) {
                Some((_, runs)) => runs.push(run),
                None => named.push((part, vec![run])),
            }
        }
        named
    }

    /// What the file draws where the data puts `runs`: its unmatched runs on their lines,
    /// else the nearest in the same column (lines above moved it).
    fn shown_instead(&mut self, runs: &[&TextRun]) -> String {
        let mut shows: Vec<&str> = Vec::new();
        for (j, g) in self.got.iter().enumerate() {
            if !self.matched[j] && runs.iter().any(|r| (g.y - r.y).abs() <= SAME_LINE) {
                self.matched[j] = true;
                shows.push(&g.text);
            }
        }
        if shows.is_empty() {
            let first = runs[0];
            let nearest = (0..self.got.len())
                .filter(|&j| {
                    let g = &self.got[j];
                    !self.matched[j] && near(g.x, first.x) && (g.y - first.y).abs() <= MOVED_AT_MOST
                })
                .min_by(|&a, &b| {
                    (self.got[a].y - first.y)
                        .abs()
                        .total_cmp(&(self.got[b].y - first.y).abs())
                });
            if let Some(j) = nearest {
                self.matched[j] = true;
                shows.push(&self.got[j].text);
            }
        }
        if shows.is_empty() {
            "the file does not show it".to_string()
        } else {
            format!("the file shows {}", quoted(&shows.join(" ")))
        }
    }

    /// Text of the file's that is on no line of a missing part: text the data does not give.
    fn added(&self, parts: &[(String, Vec<&TextRun>)]) -> Option<String> {
        let mut lines: Vec<f32> = parts
            .iter()
            .flat_map(|(_, runs)| runs.iter().map(|r| r.y))
            .collect();
        lines.sort_by(f32::total_cmp);
        let on_a_missing_line = |y: f32| {
            let i = lines.partition_point(|&l| l < y - MOVED_AT_MOST);
            lines.get(i).is_some_and(|&l| l <= y + MOVED_AT_MOST)
        };
        let mut added = String::new();
        for (g, _) in self
            .got
            .iter()
            .zip(&self.matched)
            .filter(|(g, m)| !**m && !g.text.trim().is_empty() && !on_a_missing_line(g.y))
        {
            if added.chars().count() > QUOTED {
                break;
            }
            if !added.is_empty() {
                added.push(' ');
            }
            added.push_str(&g.text);
        }
        (!added.is_empty()).then_some(added)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::page::{Row, Section};

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y,
            size: 10.0,
            text: text.into(),
        }
    }

    fn page() -> ReceiptPage {
        let row = |label: &str, value: &str| Row {
            label: label.into(),
            value: value.into(),
        };
        ReceiptPage {
            title: "Refund receipt".into(),
            sections: vec![Section {
                heading: "Refund".into(),
                rows: vec![
                    row("Refunded amount", "R$ 10,00"),
                    row("Original amount", "R$ 10,00"),
                    row("Reason", "Item returned"),
                ],
            }],
            footer: vec!["Generated on 1 Nov 2026".into()],
            ..ReceiptPage::default()
        }
    }

    fn want() -> Vec<TextRun> {
        vec![
            run(50.0, 750.0, "Refund receipt"),
            run(50.0, 700.0, "Refunded amount"),
            run(300.0, 700.0, "R$\u{a0}10,00"),
            run(50.0, 680.0, "Original amount"),
            run(300.0, 680.0, "R$\u{a0}10,00"),
            run(50.0, 660.0, "Reason"),
            run(300.0, 660.0, "Item returned"),
            run(50.0, 100.0, "Generated on 1 Nov 2026"),
        ]
    }

    fn differences(got: &[TextRun]) -> Vec<String> {
        let want = want();
        let page = page();
        let mut compared = Compared::new(&want, got);
        let parts = compared.parts(&page);
        let mut out: Vec<String> = parts
            .iter()
            .map(|(part, runs)| format!("{part}: {}", compared.shown_instead(runs)))
            .collect();
        out.extend(compared.added(&parts));
        out
    }

    #[test]
    fn the_row_of_a_changed_value_is_named_by_its_line_and_moved_text_is_not() {
        let mut got = want();
        // The second of two equal amounts changed; the footer moved down a line.
        got[4].text = "R$ 90,00".into();
        got[7].y = 90.0;
        assert_eq!(
            differences(&got),
            ["the field \"Original amount\": the file shows \"R$ 90,00\""]
        );
        got[2].text = "R$ 1,00".into();
        assert_eq!(differences(&got).len(), 2, "{:?}", differences(&got));
        assert!(differences(&got)[0].starts_with("the field \"Refunded amount\""));
    }

    #[test]
    fn text_the_data_does_not_give_and_text_left_out_are_named() {
        let mut got = want();
        got.push(run(400.0, 400.0, "PAID IN FULL"));
        assert_eq!(differences(&got), ["PAID IN FULL"]);
        let mut got = want();
        got.remove(6);
        assert_eq!(
            differences(&got),
            ["the field \"Reason\": the file does not show it"]
        );
        assert!(differences(&want()).is_empty());
    }

    #[test]
    fn quotes_are_one_line_and_short() {
        assert_eq!(quoted("R$\u{a0}1\n\"x\""), "\"R$ 1 \\\"x\\\"\"");
        assert_eq!(quoted(&"a".repeat(100)).chars().count(), QUOTED + 3);
    }
}
