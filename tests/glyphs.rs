//! Every character a receipt can print from recibo's own formatting (amounts in every
//! currency, dates and times in every language and several zones, every message) has a
//! glyph in a shipped font. Free text from the data is another matter: a character no font
//! has is drawn as a visible replacement and reported, which tests/receipt_pdf.rs checks.

use chrono::{DateTime, Utc};
use recibo::locale::{Lang, Locales};
use recibo::model::{Currency, Money};
use recibo::receipt::fonts::{FontSet, Resolved, Weight};

/// The characters of `text` that no shipped face has, for either weight.
fn missing(text: &str) -> Vec<char> {
    let fonts = FontSet::shared();
    let mut out: Vec<char> = text
        .chars()
        .filter(|c| !c.is_control())
        .filter(|c| {
            [Weight::Regular, Weight::Bold]
                .into_iter()
                .any(|w| matches!(fonts.resolve(w, *c), Resolved::Missing { .. }))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Characters without a glyph, gathered over many texts and reported together.
#[derive(Default)]
struct Gaps(Vec<String>);

impl Gaps {
    /// Notes the characters of `text` no shipped face has, under `label`.
    fn check(&mut self, label: impl std::fmt::Display, text: &str) {
        let gaps = missing(text);
        if !gaps.is_empty() {
            self.0.push(format!("{label}: {gaps:?}"));
        }
    }

    #[track_caller]
    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "characters without a glyph:\n{}",
            self.0.join("\n")
        );
    }
}

#[test]
fn every_formatted_amount_in_every_currency_and_language_has_glyphs() {
    let locales = Locales::new().unwrap();
    let mut gaps = Gaps::default();
    for lang in Lang::ALL {
        for currency in Currency::all() {
            for minor in [0, 1, -1, 123_456_789, -987_654_321_012] {
                let money = Money::new(minor, currency);
                for text in [
                    locales.money(lang, money),
                    locales.money_with_code(lang, money),
                ] {
                    gaps.check(format!("{} {text:?}", lang.tag()), &text);
                }
            }
        }
    }
    gaps.assert_none();
}

#[test]
fn every_formatted_date_in_every_language_and_zone_has_glyphs() {
    let locales = Locales::new().unwrap();
    let zones = [
        "UTC",
        "Asia/Shanghai",
        "America/Sao_Paulo",
        "America/New_York",
        "Asia/Kolkata",
        "Pacific/Chatham",
    ];
    // Morning and afternoon (AM/PM and their narrow no-break space), every month.
    let instants: Vec<DateTime<Utc>> = (1..=12)
        .flat_map(|month| {
            [3, 15].map(|hour| {
                format!("2026-{month:02}-05T{hour:02}:20:30Z")
                    .parse()
                    .unwrap()
            })
        })
        .collect();
    let mut gaps = Gaps::default();
    for lang in Lang::ALL {
        for zone in zones {
            let zone: chrono_tz::Tz = zone.parse().unwrap();
            for t in &instants {
                for text in [
                    locales.datetime_with_zone(lang, *t, zone),
                    locales.zone_with_offset(lang, *t, zone),
                    locales.date(lang, *t, zone),
                ] {
                    gaps.check(format!("{} {text:?}", lang.tag()), &text);
                }
            }
        }
    }
    gaps.assert_none();
}

#[test]
fn every_message_in_every_language_has_glyphs() {
    let locales = Locales::new().unwrap();
    let mut gaps = Gaps::default();
    for lang in Lang::ALL {
        let ids = locales.message_ids(lang);
        assert!(!ids.is_empty());
        for id in ids {
            let text = locales.message(lang, &id);
            gaps.check(format!("{} {id}", lang.tag()), &text);
        }
    }
    gaps.assert_none();
}

#[test]
fn the_check_itself_notices_a_character_no_font_has() {
    // A private-use character is in no shipped face: the helper must report it.
    assert_eq!(missing("R$ 1,00 \u{E000}"), vec!['\u{E000}']);
}
