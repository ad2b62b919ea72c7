//! Text preparation and line breaking for receipts: what [`super::layout`] places.
//!
//! Text is prepared once per block ([`prepare`]): NFC-normalized, stripped of control and
//! invisible format characters, and mapped to glyphs through the font fallback chain. The
//! result is a run of [`Cluster`]s with advances in em, so breaking the same text at another
//! font size or column width ([`break_lines`]) needs no font lookups at all.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::fonts::{FaceId, FontSet, GlyphChoice, Resolved, Weight};

/// One drawable character: its place in the prepared text and the glyph chosen for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cluster {
    pub ch: char,
    /// Byte offset of `ch` in the prepared text.
    pub byte: u32,
    pub face: FaceId,
    pub glyph: u16,
    /// Advance in em; multiply by the font size for points.
    pub advance: f32,
}

/// Anything the line breaker can measure: a character and its advance.
pub trait Measured {
    fn ch(&self) -> char;
    fn advance(&self) -> f32;
}

impl Measured for Cluster {
    fn ch(&self) -> char {
        self.ch
    }
    fn advance(&self) -> f32 {
        self.advance
    }
}

impl Measured for (char, f32) {
    fn ch(&self) -> char {
        self.0
    }
    fn advance(&self) -> f32 {
        self.1
    }
}

/// One line of a block: items `start..end` (trailing spaces included, so the text layer
/// keeps word boundaries), and the visible width without those trailing spaces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub width: f32,
}

/// Appends `text`, prepared for drawing in `weight`, to `out_text` and `out`.
///
/// Leading and trailing whitespace is dropped; `\r\n`, `\r`, U+2028/U+2029 and the like
/// become `\n` (a hard line break); tabs become spaces; other control and invisible format
/// characters are removed. A character no shipped font has is replaced by a visible
/// replacement glyph and reported once per occurrence through `missing`.
pub fn prepare(
    fonts: &FontSet,
    weight: Weight,
    text: &str,
    out_text: &mut String,
    out: &mut Vec<Cluster>,
    missing: &mut impl FnMut(char),
) {
    let first = out.len();
    let mut pending_cr = false;
    let mut push = |c: char, out_text: &mut String, out: &mut Vec<Cluster>| {
        let c = match c {
            '\r' => {
                pending_cr = true;
                '\n'
            }
            '\n' if pending_cr => {
                pending_cr = false;
                return;
            }
            _ => {
                pending_cr = false;
                match classify(c) {
                    Class::Keep => c,
                    Class::Space => ' ',
                    Class::Newline => '\n',
                    Class::Drop => return,
                }
            }
        };
        if out.len() == first && c.is_whitespace() {
            return;
        }
        let (choice, drawn) = if c == '\n' {
            // Never drawn (lines end before it); only its position in the text matters.
            let face = weight.fallback_chain()[0];
            (
                GlyphChoice {
                    face,
                    glyph: 0,
                    advance: 0.0,
                },
                c,
            )
        } else {
            match fonts.resolve(weight, c) {
                Resolved::Found(choice) => (choice, c),
                // An exotic space nobody can draw is still just a space.
                Resolved::Missing { .. } if c.is_whitespace() => match fonts.resolve(weight, ' ') {
                    Resolved::Found(space) => (space, ' '),
                    Resolved::Missing { glyph, drawn } => (glyph, drawn),
                },
                Resolved::Missing { glyph, drawn } => {
                    missing(c);
                    (glyph, drawn)
                }
            }
        };
        out.push(Cluster {
            ch: drawn,
            byte: out_text.len() as u32,
            face: choice.face,
            glyph: choice.glyph,
            advance: choice.advance,
        });
        out_text.push(drawn);
    };
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.chars().for_each(|c| push(c, out_text, out));
    } else {
        text.nfc().for_each(|c| push(c, out_text, out));
    }
    while let Some(last) = out.last().filter(|_| out.len() > first) {
        if !last.ch.is_whitespace() {
            break;
        }
        out_text.truncate(last.byte as usize);
        out.pop();
    }
}

enum Class {
    Keep,
    Space,
    Newline,
    Drop,
}

fn classify(c: char) -> Class {
    match c {
        '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Class::Newline,
        '\t' => Class::Space,
        // Invisible format characters: soft hyphen, zero-width spaces and joiners, bidi
        // controls, word joiner and invisible operators, BOM, variation selectors, tags.
        // Without a shaper they would draw as .notdef boxes or stray advances.
        '\u{AD}'
        | '\u{34F}'
        | '\u{61C}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}' => Class::Drop,
        c if c.is_control() => Class::Drop,
        _ => Class::Keep,
    }
}

/// Breaks `items` into lines no wider than `max_width` (same unit as the advances) and
/// appends them to `out`.
///
/// Break opportunities: after spaces, and before or after a CJK character. Closing
/// punctuation never starts a line and opening brackets never end one; no-break spaces
/// (U+00A0, U+202F, U+2007) glue their neighbours. A word wider than the line is broken
/// between characters. `\n` forces a break. Every line holds at least one item, so an
/// absurdly narrow width still terminates.
pub fn break_lines<T: Measured>(items: &[T], max_width: f32, out: &mut Vec<Line>) {
    let n = items.len();
    let mut start = 0;
    while start < n {
        let mut last_break = None;
        let mut run = 0.0f32;
        let mut i = start;
        loop {
            if i == n {
                out.push(Line {
                    start,
                    end: n,
                    width: visible_width(&items[start..n]),
                });
                start = n;
                break;
            }
            let c = items[i].ch();
            if c == '\n' {
                out.push(Line {
                    start,
                    end: i,
                    width: visible_width(&items[start..i]),
                });
                start = i + 1;
                break;
            }
            if i > start && can_break_between(items[i - 1].ch(), c) {
                last_break = Some(i);
            }
            run += items[i].advance();
            // Trailing spaces hang past the edge rather than forcing a break.
            if run > max_width && i > start && !is_break_space(c) {
                let end = match last_break {
                    Some(b) => b,
                    None => emergency_break(items, start, i),
                };
                out.push(Line {
                    start,
                    end,
                    width: visible_width(&items[start..end]),
                });
                start = end;
                break;
            }
            i += 1;
        }
    }
}

/// Where to split a run with no break opportunity that overflows at `i`: before `i`, or a
/// little earlier if that keeps closing punctuation off the next line's start and opening
/// brackets off this line's end. When even that is impossible (a line of one character),
/// the punctuation stays on this line and overflows slightly instead.
fn emergency_break<T: Measured>(items: &[T], start: usize, i: usize) -> usize {
    let violates = |e: usize| {
        e < items.len()
            && items[e].ch() != '\n'
            && (is_closing(items[e].ch()) || is_opening(items[e - 1].ch()))
    };
    let mut end = i;
    while end > start + 1 && violates(end) {
        end -= 1;
    }
    if violates(end) {
        end = i;
        while violates(end) {
            end += 1;
        }
    }
    end
}

fn visible_width<T: Measured>(items: &[T]) -> f32 {
    let end = items
        .iter()
        .rposition(|it| !is_break_space(it.ch()))
        .map_or(0, |p| p + 1);
    items[..end].iter().map(Measured::advance).sum()
}

/// Whether a line may end after `prev` and the next one start with `next`.
pub fn can_break_between(prev: char, next: char) -> bool {
    if is_glue(prev) || is_glue(next) || is_break_space(next) || is_closing(next) {
        return false;
    }
    if is_opening(prev) {
        return false;
    }
    is_break_space(prev) || is_cjk(prev) || is_cjk(next)
}

fn is_break_space(c: char) -> bool {
    matches!(c, ' ' | '\u{3000}' | '\u{2000}'..='\u{2006}' | '\u{2008}'..='\u{200A}' | '\u{205F}')
}

fn is_glue(c: char) -> bool {
    matches!(c, '\u{A0}' | '\u{202F}' | '\u{2007}' | '\u{2011}')
}

/// Punctuation that must not start a line.
pub fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '〗'
            | '〙'
            | '〛'
            | '］'
            | '｝'
            | '｠'
            | '．'
            | '％'
            | '”'
            | '’'
            | '…'
            | '‥'
            | '·'
            | '・'
            | 'ー'
            | '々'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '%'
    )
}

/// Brackets and quotes that must not end a line.
pub fn is_opening(c: char) -> bool {
    matches!(
        c,
        '（' | '「'
            | '『'
            | '《'
            | '〈'
            | '【'
            | '〔'
            | '〖'
            | '〘'
            | '〚'
            | '［'
            | '｛'
            | '｟'
            | '“'
            | '‘'
            | '('
            | '['
            | '{'
    )
}

/// Scripts written without spaces, where a line may break between any two characters.
pub fn is_cjk(c: char) -> bool {
    matches!(
        c as u32,
        0x1100..=0x11FF
            | 0x2E80..=0x2FFF
            | 0x3000..=0x303F
            | 0x3040..=0x30FF
            | 0x3100..=0x31FF
            | 0x3200..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character 1 unit wide: widths count characters.
    fn items(s: &str) -> Vec<(char, f32)> {
        s.chars().map(|c| (c, 1.0)).collect()
    }

    fn lines(s: &str, width: f32) -> Vec<String> {
        let it = items(s);
        let mut out = Vec::new();
        break_lines(&it, width, &mut out);
        out.iter()
            .map(|l| it[l.start..l.end].iter().map(|x| x.0).collect::<String>())
            .collect()
    }

    #[test]
    fn latin_breaks_at_spaces_and_keeps_the_space_on_the_first_line() {
        assert_eq!(
            lines("the quick brown fox jumps", 10.0),
            ["the quick ", "brown fox ", "jumps"]
        );
        let it = items("the quick brown");
        let mut out = Vec::new();
        break_lines(&it, 10.0, &mut out);
        assert_eq!(out[0].width, 9.0, "trailing space is not counted");
    }

    #[test]
    fn text_that_fits_is_one_line() {
        assert_eq!(lines("short", 10.0), ["short"]);
        assert!(lines("", 10.0).is_empty());
    }

    #[test]
    fn long_word_is_broken_by_character() {
        assert_eq!(
            lines("id: ABCDEFGHIJKLMNOPQRSTUVWXYZ end", 10.0),
            ["id: ", "ABCDEFGHIJ", "KLMNOPQRST", "UVWXYZ end"]
        );
    }

    #[test]
    fn no_break_spaces_glue() {
        // U+00A0 between R$ and the amount: the pair moves together.
        assert_eq!(
            lines("total R$\u{A0}1.234,56", 12.0),
            ["total ", "R$\u{A0}1.234,56"]
        );
        assert_eq!(
            lines("at 6:20:30\u{202F}PM", 8.0),
            ["at ", "6:20:30\u{202F}", "PM"]
        );
    }

    #[test]
    fn cjk_breaks_between_any_two_characters() {
        assert_eq!(
            lines("退款将在三到五个工作日内到账", 5.0),
            ["退款将在三", "到五个工作", "日内到账"]
        );
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // Width 4 would put "，" first on line 2; the character before it moves down too.
        assert_eq!(lines("商品质量，问题", 4.0), ["商品质", "量，问题"]);
        assert_eq!(lines("退款成功。谢谢", 4.0), ["退款成", "功。谢谢"]);
        for w in 1..12 {
            for text in [
                "商品（质量）问题，已退款。",
                "原因：质量问题！请核实？好",
                "a,b.c;d:e!f?g)h]i}j",
            ] {
                for line in lines(text, w as f32).iter().skip(1) {
                    let first = line.chars().next().unwrap();
                    assert!(
                        !is_closing(first),
                        "{text:?} at width {w}: line starts with {first:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn opening_brackets_never_end_a_line() {
        assert_eq!(lines("商品质（量问题）", 4.0), ["商品质", "（量问", "题）"]);
        for w in 2..12 {
            for text in ["退款（部分）原因《说明》【备注】", "x (abc) [def] {ghi}"]
            {
                let all = lines(text, w as f32);
                for line in &all[..all.len() - 1] {
                    let last = line.trim_end().chars().last().unwrap();
                    assert!(
                        !is_opening(last),
                        "{text:?} at width {w}: line ends with {last:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn mixed_chinese_and_latin() {
        assert_eq!(
            lines("退款将在 3-5 个工作日内到账", 6.0),
            ["退款将在 ", "3-5 个工", "作日内到账"]
        );
    }

    #[test]
    fn newline_is_a_hard_break() {
        assert_eq!(lines("line one\nline two", 40.0), ["line one", "line two"]);
    }

    #[test]
    fn every_line_holds_something_even_when_nothing_fits() {
        assert_eq!(lines("abc", 0.1), ["a", "b", "c"]);
    }

    fn prepared(weight: Weight, text: &str) -> (String, Vec<Cluster>, Vec<char>) {
        let mut s = String::new();
        let mut cl = Vec::new();
        let mut missing = Vec::new();
        prepare(FontSet::shared(), weight, text, &mut s, &mut cl, &mut |c| {
            missing.push(c)
        });
        (s, cl, missing)
    }

    #[test]
    fn prepare_normalizes_and_strips_controls() {
        let (s, cl, missing) = prepared(
            Weight::Regular,
            "  Jo\u{0061}\u{0303}o\u{0007}\u{200B} da\tSilva\r\nSão\u{FEFF} \n ",
        );
        assert_eq!(s, "João da Silva\nSão");
        assert!(missing.is_empty());
        assert_eq!(cl.len(), s.chars().count());
        for (c, (b, ch)) in cl.iter().zip(s.char_indices()) {
            assert_eq!((c.byte as usize, c.ch), (b, ch));
        }
    }

    #[test]
    fn prepare_picks_fonts_per_character() {
        let (s, cl, _) = prepared(Weight::Bold, "退款 ₩1,234");
        assert_eq!(s, "退款 ₩1,234");
        let faces: Vec<FaceId> = cl.iter().map(|c| c.face).collect();
        assert_eq!(
            faces[..3],
            [FaceId::WenQuanYi, FaceId::WenQuanYi, FaceId::NotoSansBold]
        );
        assert!(faces[3..].iter().all(|&f| f == FaceId::NotoSansBold));
    }

    #[test]
    fn prepare_replaces_and_reports_unknown_characters() {
        let (s, cl, missing) = prepared(Weight::Regular, "a\u{E000}b\u{10FFFD}");
        assert_eq!(s, "a\u{FFFD}b\u{FFFD}");
        assert_eq!(missing, ['\u{E000}', '\u{10FFFD}']);
        assert!(cl.iter().all(|c| c.glyph != 0 && c.advance > 0.0));
    }
}
