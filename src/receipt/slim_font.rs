//! Rewrites a TrueType face without hinting, the one-off tool behind the shipped fonts
//! (`examples/slim_fonts.rs`); receipts never call it at run time.

use std::borrow::Cow;
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

    let mut tables: Vec<([u8; 4], Cow<[u8]>)> = vec![
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

fn write_sfnt(tables: &[([u8; 4], Cow<[u8]>)]) -> Vec<u8> {
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
    use krilla::text::Font;
    use skrifa::instance::{LocationRef, Size};
    use skrifa::{FontRef, MetadataProvider};

    use super::*;
    use crate::receipt::fonts::{NOTO_SANS_BOLD, NOTO_SANS_REGULAR, WENQUANYI};

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
