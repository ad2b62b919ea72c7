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
static NOTO_SANS_REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
static NOTO_SANS_BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");
static WENQUANYI: &[u8] = include_bytes!("../../fonts/wqy-microhei.ttf");

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

/// Rewrites face `index` of a TrueType font (or collection) into a standalone font with
/// only what a PDF needs to draw glyphs by id: outlines without hinting instructions,
/// metrics, cmap, OS/2 (embedding permissions), name (copyright) and a `post` table without
/// glyph names. `None` if the font is not TrueType-flavoured or is malformed.
///
/// Every receipt embeds a subset of each font it uses, and every subset is deflated anew:
/// in Noto Sans, hinting is 40% of the glyph data plus a 3.6 KB `fpgm`, and PDF viewers
/// rasterize without it. Dropping it once here halves the font bytes per receipt, which
/// is most of the rendering time (deflate) and of the file size.
pub fn slim_truetype(data: &[u8], index: u32) -> Option<Vec<u8>> {
    let face_offset = if data.get(..4)? == b"ttcf" {
        let count = read_u32(data, 8)?;
        if index >= count {
            return None;
        }
        read_u32(data, 12 + 4 * index as usize)? as usize
    } else if index == 0 {
        0
    } else {
        return None;
    };
    let table = |tag: &[u8; 4]| -> Option<&[u8]> {
        let count = read_u16(data, face_offset + 4)? as usize;
        (0..count).find_map(|i| {
            let rec = face_offset + 12 + 16 * i;
            if data.get(rec..rec + 4)? != tag {
                return None;
            }
            let offset = read_u32(data, rec + 8)? as usize;
            let len = read_u32(data, rec + 12)? as usize;
            data.get(offset..offset.checked_add(len)?)
        })
    };

    let head = table(b"head")?;
    let maxp = table(b"maxp")?;
    let glyf = table(b"glyf")?;
    let loca = table(b"loca")?;
    let post = table(b"post")?;
    if head.len() < 54 || maxp.len() < 6 || post.len() < 32 {
        return None;
    }
    let glyph_count = read_u16(maxp, 4)? as usize;
    let long_loca = read_u16(head, 50)? == 1;
    let offset_of = |g: usize| -> Option<usize> {
        if long_loca {
            read_u32(loca, 4 * g).map(|o| o as usize)
        } else {
            read_u16(loca, 2 * g).map(|o| 2 * o as usize)
        }
    };

    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (glyph_count + 1));
    for g in 0..glyph_count {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let (start, end) = (offset_of(g)?, offset_of(g + 1)?);
        if end > start {
            strip_glyph_instructions(glyf.get(start..end)?, &mut new_glyf)?;
            if new_glyf.len() % 2 == 1 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    if new_maxp.len() >= 28 {
        // maxSizeOfInstructions: there are none left.
        new_maxp[26..28].copy_from_slice(&[0, 0]);
    }
    let mut new_post = post[..32].to_vec();
    new_post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let mut tables: Vec<([u8; 4], std::borrow::Cow<[u8]>)> = vec![
        (*b"glyf", new_glyf.into()),
        (*b"head", new_head.into()),
        (*b"loca", new_loca.into()),
        (*b"maxp", new_maxp.into()),
        (*b"post", new_post.into()),
    ];
    for tag in [b"OS/2", b"cmap", b"hhea", b"hmtx", b"name"] {
        tables.push((*tag, table(tag)?.into()));
    }
    tables.sort_by_key(|t| t.0);
    Some(write_sfnt(&tables))
}

/// Appends `glyph` without its TrueType instructions.
fn strip_glyph_instructions(glyph: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let contours = read_u16(glyph, 0)? as i16;
    if contours >= 0 {
        let len_at = 10 + 2 * contours as usize;
        let instructions = read_u16(glyph, len_at)? as usize;
        let rest = glyph.get(len_at + 2 + instructions..)?;
        out.extend_from_slice(glyph.get(..len_at)?);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Some(());
    }
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const HAVE_SCALE: u16 = 0x0008;
    const MORE_COMPONENTS: u16 = 0x0020;
    const HAVE_XY_SCALE: u16 = 0x0040;
    const HAVE_2X2: u16 = 0x0080;
    const HAVE_INSTRUCTIONS: u16 = 0x0100;
    out.extend_from_slice(glyph.get(..10)?);
    let mut pos = 10;
    loop {
        let flags = read_u16(glyph, pos)?;
        let mut len = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        if flags & HAVE_SCALE != 0 {
            len += 2;
        } else if flags & HAVE_XY_SCALE != 0 {
            len += 4;
        } else if flags & HAVE_2X2 != 0 {
            len += 8;
        }
        let component = glyph.get(pos..pos + len)?;
        out.extend_from_slice(&(flags & !HAVE_INSTRUCTIONS).to_be_bytes());
        out.extend_from_slice(&component[2..]);
        pos += len;
        if flags & MORE_COMPONENTS == 0 {
            return Some(());
        }
    }
}

fn write_sfnt(tables: &[([u8; 4], std::borrow::Cow<[u8]>)]) -> Vec<u8> {
    let count = tables.len() as u16;
    let entry_selector = 15 - count.leading_zeros() as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [
        count,
        search_range,
        entry_selector,
        count * 16 - search_range,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    for (tag, data) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    let mut head_at = None;
    for (tag, data) in tables {
        if tag == b"head" {
            head_at = Some(out.len());
        }
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
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

    /// Outline commands of a glyph, for comparing a slim face with its original.
    fn outline(font: &FontRef, gid: u32) -> Vec<String> {
        use skrifa::outline::{DrawSettings, OutlinePen};
        struct Pen(Vec<String>);
        impl OutlinePen for Pen {
            fn move_to(&mut self, x: f32, y: f32) {
                self.0.push(format!("M{x},{y}"));
            }
            fn line_to(&mut self, x: f32, y: f32) {
                self.0.push(format!("L{x},{y}"));
            }
            fn quad_to(&mut self, a: f32, b: f32, x: f32, y: f32) {
                self.0.push(format!("Q{a},{b},{x},{y}"));
            }
            fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
                self.0.push(format!("C{a},{b},{c},{d},{x},{y}"));
            }
            fn close(&mut self) {
                self.0.push("Z".into());
            }
        }
        let mut pen = Pen(Vec::new());
        let glyphs = font.outline_glyphs();
        let glyph = glyphs.get(skrifa::GlyphId::new(gid)).expect("glyph");
        glyph
            .draw(
                DrawSettings::unhinted(Size::unscaled(), LocationRef::default()),
                &mut pen,
            )
            .expect("draw");
        pen.0
    }

    #[test]
    fn slim_faces_keep_glyphs_metrics_and_outlines() {
        for (data, index, sample) in [
            (NOTO_SANS_REGULAR, 0, "Aé₩ǿ fi%"),
            (NOTO_SANS_BOLD, 0, "Qãç€\u{FFFD}"),
            (WENQUANYI, 0, "退款凭证，中a"),
        ] {
            let slim = slim_truetype(data, index).expect("slim");
            // The shipped faces were slimmed by examples/slim_fonts.rs: nothing is left to strip.
            assert!(slim.len() <= data.len());
            let shipped = FontRef::from_index(data, index).unwrap();
            for hinting in [b"fpgm", b"prep", b"cvt "] {
                assert!(
                    shipped
                        .table_data(skrifa::raw::types::Tag::new(hinting))
                        .is_none(),
                    "a shipped face still has its {} table",
                    String::from_utf8_lossy(hinting)
                );
            }
            let original = FontRef::from_index(data, index).unwrap();
            let thin = FontRef::new(&slim).unwrap();
            let size = Size::unscaled();
            let loc = LocationRef::default();
            assert_eq!(
                original.metrics(size, loc).glyph_count,
                thin.metrics(size, loc).glyph_count
            );
            let (oc, tc) = (original.charmap(), thin.charmap());
            let (om, tm) = (
                original.glyph_metrics(size, loc),
                thin.glyph_metrics(size, loc),
            );
            for c in sample.chars() {
                let gid = oc.map(c).expect("mapped");
                assert_eq!(tc.map(c), Some(gid));
                assert_eq!(om.advance_width(gid), tm.advance_width(gid));
                assert_eq!(
                    outline(&original, gid.to_u32()),
                    outline(&thin, gid.to_u32())
                );
            }
            // A sample across the whole face, composites (accented letters) included.
            let differing = (0..original.metrics(size, loc).glyph_count as u32)
                .step_by(7)
                .filter(|&g| outline(&original, g) != outline(&thin, g))
                .count();
            assert_eq!(differing, 0);
            Font::new(slim.into(), 0).expect("krilla accepts the slim face");
        }
    }
}
