//! The fonts shipped in `fonts/`, compiled into the binary and parsed once per process, and
//! the per-character fallback between them.
//!
//! Receipts never use system fonts: a receipt must look the same on every machine that
//! renders it, and Chinese text must never turn into boxes because a host lacks a CJK font.

use std::sync::LazyLock;

use krilla::text::Font;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

// The shipped faces carry no hinting (PDFs never use it; `examples/slim_fonts.rs` removed
// it once), so krilla embeds subsets half the size without any work at start-up.
pub(crate) static NOTO_SANS_REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
pub(crate) static NOTO_SANS_BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");
pub(crate) static WENQUANYI: &[u8] = include_bytes!("../../fonts/wqy-microhei.ttf");

/// Parsing WenQuanYi (4 MB) and hashing it for krilla takes milliseconds, so every
/// [`FontSet::shared`] caller gets the same parsed set.
static SHARED: LazyLock<FontSet> = LazyLock::new(FontSet::load);

/// One of the shipped faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaceId {
    NotoSansRegular,
    NotoSansBold,
    WenQuanYi,
}

impl FaceId {
    pub fn is_bold(self) -> bool {
        self == FaceId::NotoSansBold
    }

    fn index(self) -> usize {
        match self {
            FaceId::NotoSansRegular => 0,
            FaceId::NotoSansBold => 1,
            FaceId::WenQuanYi => 2,
        }
    }
}

/// The weight a piece of text asks for; the fallback list depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// Fallback order per weight. There is no bold CJK face: Chinese in a bold run is drawn
/// with WenQuanYi's regular weight rather than not at all.
const REGULAR_CHAIN: &[FaceId] = &[FaceId::NotoSansRegular, FaceId::WenQuanYi];
const BOLD_CHAIN: &[FaceId] = &[FaceId::NotoSansBold, FaceId::WenQuanYi];

impl Weight {
    pub fn fallback_chain(self) -> &'static [FaceId] {
        match self {
            Weight::Regular => REGULAR_CHAIN,
            Weight::Bold => BOLD_CHAIN,
        }
    }
}

/// A glyph chosen for one character: which face, which glyph, and its advance in em.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlyphChoice {
    pub face: FaceId,
    pub glyph: u16,
    pub advance: f32,
}

/// The outcome of looking a character up in a fallback chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved {
    Found(GlyphChoice),
    /// No shipped face has the character; `glyph` draws the visible replacement `drawn`
    /// (U+FFFD, or `?` when no face has U+FFFD) instead.
    Missing {
        glyph: GlyphChoice,
        drawn: char,
    },
}

/// Characters below this are looked up once at load time: receipts are mostly digits,
/// ASCII and accented Latin, and a table beats a cmap binary search per character.
const DIRECT_LOOKUP: usize = 0x300;

/// One parsed face: the krilla font (Arc-based, cheap to clone into every document) and
/// the skrifa tables used to map characters and measure them.
pub struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Glyph id and advance for U+0000..U+02FF; glyph 0 means unmapped.
    direct: Box<[(u16, f32)]>,
}

impl Face {
    fn load(name: &str, data: &'static [u8], index: u32) -> Face {
        // These bytes are compiled in; a failure here is a broken build, not a runtime condition.
        let font_ref = FontRef::from_index(data, index)
            .unwrap_or_else(|e| panic!("shipped font {name} cannot be parsed by skrifa: {e}"));
        let font = Font::new(data.into(), index)
            .unwrap_or_else(|| panic!("shipped font {name} cannot be parsed by krilla"));
        let charmap = font_ref.charmap();
        let metrics = font_ref.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let mut face = Face {
            font,
            charmap,
            metrics,
            units_per_em: if units_per_em > 0.0 {
                units_per_em
            } else {
                1000.0
            },
            direct: Box::new([]),
        };
        face.direct = (0..DIRECT_LOOKUP as u32)
            .map(|cp| {
                char::from_u32(cp)
                    .and_then(|c| face.lookup(c))
                    .unwrap_or((0, 0.0))
            })
            .collect();
        face
    }

    fn lookup(&self, c: char) -> Option<(u16, f32)> {
        let gid = self.charmap.map(c)?;
        let gid16 = u16::try_from(gid.to_u32()).ok().filter(|&g| g != 0)?;
        let advance = self.metrics.advance_width(gid).unwrap_or(0.0) / self.units_per_em;
        Some((gid16, advance))
    }

    /// Glyph id and advance (em) of `c`, or `None` when the face has no glyph for it.
    pub fn glyph(&self, c: char) -> Option<(u16, f32)> {
        match self.direct.get(c as usize) {
            Some(&(0, _)) => None,
            Some(&hit) => Some(hit),
            None => self.lookup(c),
        }
    }

    pub fn font(&self) -> &Font {
        &self.font
    }
}

/// The three shipped faces.
pub struct FontSet {
    faces: [Face; 3],
}

impl FontSet {
    /// The process-wide set, parsed on first use.
    pub fn shared() -> &'static FontSet {
        &SHARED
    }

    fn load() -> FontSet {
        FontSet {
            faces: [
                Face::load("NotoSans-Regular.ttf", NOTO_SANS_REGULAR, 0),
                Face::load("NotoSans-Bold.ttf", NOTO_SANS_BOLD, 0),
                Face::load("wqy-microhei.ttf", WENQUANYI, 0),
            ],
        }
    }

    pub fn face(&self, id: FaceId) -> &Face {
        &self.faces[id.index()]
    }

    /// The first face of `weight`'s fallback chain that has `c`, or a visible replacement
    /// (U+FFFD, else `?`) when none has it.
    ///
    /// Private-use code points count as missing even if a face maps them: their glyphs mean
    /// something only to that font's author, and PDF/A forbids them in text.
    pub fn resolve(&self, weight: Weight, c: char) -> Resolved {
        let chain = weight.fallback_chain();
        if !is_private_use(c) {
            for &id in chain {
                if let Some((glyph, advance)) = self.face(id).glyph(c) {
                    return Resolved::Found(GlyphChoice {
                        face: id,
                        glyph,
                        advance,
                    });
                }
            }
        }
        let (glyph, drawn) = self.replacement(weight);
        Resolved::Missing { glyph, drawn }
    }

    /// The glyph drawn in place of a character no face has, and the character it stands for
    /// (so the PDF's text layer says what is drawn).
    pub fn replacement(&self, weight: Weight) -> (GlyphChoice, char) {
        let chain = weight.fallback_chain();
        for c in [REPLACEMENT_CHARACTER, '?'] {
            for &id in chain {
                if let Some((glyph, advance)) = self.face(id).glyph(c) {
                    return (
                        GlyphChoice {
                            face: id,
                            glyph,
                            advance,
                        },
                        c,
                    );
                }
            }
        }
        // Noto Sans has both; reaching this means the shipped fonts were swapped for broken ones.
        panic!("no shipped font has U+FFFD or '?'")
    }
}

/// What is drawn for a character no shipped font has.
pub const REPLACEMENT_CHARACTER: char = '\u{FFFD}';

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_face(weight: Weight, c: char) -> Option<FaceId> {
        match FontSet::shared().resolve(weight, c) {
            Resolved::Found(g) => Some(g.face),
            Resolved::Missing { .. } => None,
        }
    }

    #[test]
    fn latin_and_special_spaces_come_from_noto() {
        assert_eq!(
            found_face(Weight::Regular, 'a'),
            Some(FaceId::NotoSansRegular)
        );
        assert_eq!(
            found_face(Weight::Regular, 'ç'),
            Some(FaceId::NotoSansRegular)
        );
        assert_eq!(
            found_face(Weight::Regular, '₩'),
            Some(FaceId::NotoSansRegular)
        );
        assert_eq!(
            found_face(Weight::Regular, '\u{202F}'),
            Some(FaceId::NotoSansRegular)
        );
        assert_eq!(
            found_face(Weight::Regular, '\u{A0}'),
            Some(FaceId::NotoSansRegular)
        );
        assert_eq!(found_face(Weight::Bold, '₩'), Some(FaceId::NotoSansBold));
        assert_eq!(found_face(Weight::Bold, 'ã'), Some(FaceId::NotoSansBold));
    }

    #[test]
    fn chinese_falls_back_to_wenquanyi_in_both_weights() {
        assert_eq!(found_face(Weight::Regular, '中'), Some(FaceId::WenQuanYi));
        assert_eq!(found_face(Weight::Bold, '中'), Some(FaceId::WenQuanYi));
        assert_eq!(found_face(Weight::Regular, '，'), Some(FaceId::WenQuanYi));
    }

    #[test]
    fn wenquanyi_lacks_won_and_narrow_nbsp() {
        let wqy = FontSet::shared().face(FaceId::WenQuanYi);
        assert!(wqy.glyph('中').is_some());
        assert!(wqy.glyph('₩').is_none());
        assert!(wqy.glyph('\u{202F}').is_none());
    }

    #[test]
    fn unknown_characters_get_a_visible_replacement() {
        let fonts = FontSet::shared();
        for c in ['\u{E000}', '\u{10FFFD}', '\u{0378}'] {
            match fonts.resolve(Weight::Regular, c) {
                Resolved::Missing { glyph, drawn } => {
                    assert_eq!(glyph.face, FaceId::NotoSansRegular);
                    assert_eq!(drawn, REPLACEMENT_CHARACTER);
                    assert_ne!(glyph.glyph, 0);
                    assert!(glyph.advance > 0.0);
                }
                Resolved::Found(g) => panic!("{c:?} unexpectedly found in {:?}", g.face),
            }
        }
        let (bold, drawn) = fonts.replacement(Weight::Bold);
        assert_eq!(
            (bold.face, drawn),
            (FaceId::NotoSansBold, REPLACEMENT_CHARACTER)
        );
    }

    #[test]
    fn direct_table_matches_cmap() {
        let face = FontSet::shared().face(FaceId::NotoSansRegular);
        for c in ['A', 'é', 'ǿ', '\u{2FF}'] {
            assert_eq!(face.glyph(c), face.lookup(c), "{c:?}");
        }
        assert!(face.glyph('\u{1}').is_none());
    }

    #[test]
    fn font_set_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FontSet>();
    }
}
