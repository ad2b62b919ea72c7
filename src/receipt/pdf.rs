//! Refund receipts as tagged PDF: one page per [`ReceiptPage`], on its template's paper.
//!
//! Text arrives localized and formatted, and [`super::layout`] places it; this module only
//! paints the placed marks and tags them. Glyphs were chosen per character from the shipped
//! fonts ([`super::fonts`]) and are drawn with krilla's `draw_glyphs`, which takes them as
//! they are (krilla's `draw_text` would build a shaper on every call). Fonts are subset by
//! krilla, so a receipt embeds only the glyphs it uses.
//!
//! The output is deterministic: the same pages and options give the same bytes.

use std::num::NonZeroU16;

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, ValidationError};
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::{self, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use unicode_normalization::UnicodeNormalization;

use super::content::{ReceiptInput, build_page};
use super::fonts::{FontSet, Weight};
use super::layout::{Element, INK, Mark, PlacedLine, PlacedPage, Rgb, Style};
use super::page::{ReceiptPage, Verify};
use super::sign::Signer;
use super::template::{Logo, LogoArt};
use crate::locale::Locales;

/// Outline width, in em, that makes a regular face look bold.
const FAUX_BOLD_STROKE: f32 = 0.035;

/// Builds receipt PDFs. Holds the parsed fonts; cheap to share across threads.
pub struct Renderer {
    fonts: &'static FontSet,
}

/// How a document is written.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Validate against PDF/A-2b (needs `creation_date`) and fail if the file does not conform.
    pub pdfa: bool,
    /// The document's creation date in its metadata; none is written when absent, so that
    /// output stays reproducible.
    pub creation_date: Option<DateTime<Utc>>,
    /// The document title in the metadata; defaults to the first page's title.
    pub document_title: Option<String>,
    /// Signs the finished document, at `creation_date`.
    pub signer: Option<std::sync::Arc<Signer>>,
}

/// A finished document.
#[derive(Clone, Debug)]
pub struct RenderedPdf {
    pub bytes: Vec<u8>,
    /// Characters no shipped font could draw (a replacement glyph is drawn instead), one
    /// entry per distinct refund and character, in order of first appearance.
    pub missing_glyphs: Vec<MissingGlyph>,
}

/// A character of a receipt that no shipped font has.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MissingGlyph {
    pub refund_id: String,
    pub character: char,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no receipt pages to render")]
    NoPages,
    #[error(
        "receipt for refund {refund_id} does not fit on one {paper} page, even with text shrunk to {percent}%"
    )]
    DoesNotFit {
        refund_id: String,
        paper: &'static str,
        percent: u32,
    },
    #[error("PDF/A-2b requires a creation date: set RenderOptions::creation_date")]
    PdfaNeedsCreationDate,
    #[error("the PDF does not conform to {standard}: {}", .problems.join("; "))]
    Validation {
        standard: &'static str,
        problems: Vec<String>,
    },
    #[error("a signed PDF needs a signing time: set RenderOptions::creation_date")]
    SignatureNeedsTime,
    #[error("cannot sign the receipt: {0}")]
    Sign(String),
    #[error("cannot configure the PDF writer: {0}")]
    Configuration(String),
    #[error("PDF generation failed: {0}")]
    Pdf(KrillaError),
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// A renderer using the fonts compiled in from the repository's `fonts/` folder.
    pub fn new() -> Renderer {
        Renderer {
            fonts: FontSet::shared(),
        }
    }

    /// One receipt on its own: its page built from `input` and rendered, dated (and signed,
    /// when its branding has a signer) at its generation time. The page comes back too, for
    /// a merged document.
    pub fn receipt(
        &self,
        locales: &Locales,
        input: &ReceiptInput,
        pdfa: bool,
    ) -> (ReceiptPage, Result<RenderedPdf, RenderError>) {
        let page = build_page(locales, input);
        let options = RenderOptions {
            pdfa,
            creation_date: Some(input.generated_at),
            document_title: None,
            signer: input.branding.signer().cloned(),
        };
        let pdf = self.render(std::slice::from_ref(&page), &options);
        (page, pdf)
    }

    /// One PDF document with one page per receipt page: a single receipt, or with
    /// several pages the merged document of many receipts.
    pub fn render(
        &self,
        pages: &[ReceiptPage],
        options: &RenderOptions,
    ) -> Result<RenderedPdf, RenderError> {
        let first = pages.first().ok_or(RenderError::NoPages)?;
        if options.pdfa && options.creation_date.is_none() {
            return Err(RenderError::PdfaNeedsCreationDate);
        }
        let mut settings = SerializeSettings {
            enable_tagging: true,
            ..SerializeSettings::default()
        };
        if options.pdfa {
            settings.configuration = ConfigurationBuilder::new()
                .with_archival_validator(Archival::A2_B)
                .finish()
                .map_err(|e| RenderError::Configuration(format!("{e:?}")))?;
        }

        let mut document = Document::new_with(settings);
        let mut missing_glyphs = Vec::new();
        let mut tree_children: Vec<Node> = Vec::new();
        let mut placed = PlacedPage::default();
        let mut glyphs = Vec::new();

        for page in pages {
            let mut missing = |c: char| {
                let seen = missing_glyphs
                    .iter()
                    .any(|m: &MissingGlyph| m.character == c && m.refund_id == page.refund_id);
                if !seen {
                    missing_glyphs.push(MissingGlyph {
                        refund_id: page.refund_id.clone(),
                        character: c,
                    });
                }
            };
            placed
                .place(self.fonts, page, &mut missing)
                .map_err(|e| RenderError::DoesNotFit {
                    refund_id: page.refund_id.clone(),
                    paper: page.paper.name(),
                    percent: e.percent,
                })?;

            let (width, height) = placed.size();
            let mut pdf_page = document.start_page_with(
                PageSettings::from_wh(width, height).expect("a paper size is positive"),
            );
            let mut surface = pdf_page.surface();
            let mut painter = Painter {
                surface: &mut surface,
                fonts: self.fonts,
                glyphs: &mut glyphs,
                color: None,
            };
            let nodes = painter.paint(&placed, page);
            surface.finish();
            pdf_page.finish();

            if pages.len() == 1 {
                tree_children.extend(nodes);
            } else {
                // Merged documents can mix languages: each receipt is a section with its own.
                let section = Tag::Section.with_lang(Some(page.lang.to_string()));
                tree_children.push(TagGroup::with_children(section, nodes).into());
            }
        }

        let mut tree = TagTree::from(tree_children);
        tree = tree.with_lang(Some(first.lang.to_string()));
        document.set_tag_tree(tree);
        document.set_metadata(self.metadata(pages, options));

        let bytes = document.finish().map_err(|e| match e {
            KrillaError::Validation(errors) => RenderError::Validation {
                standard: "PDF/A-2b",
                problems: errors.iter().map(|(e, _)| describe(e)).collect(),
            },
            other => RenderError::Pdf(other),
        })?;
        let bytes = match &options.signer {
            Some(signer) => {
                let at = options
                    .creation_date
                    .ok_or(RenderError::SignatureNeedsTime)?;
                signer
                    .sign(&bytes, at)
                    .map_err(|e| RenderError::Sign(e.to_string()))?
            }
            None => bytes,
        };
        Ok(RenderedPdf {
            bytes,
            missing_glyphs,
        })
    }

    fn metadata(&self, pages: &[ReceiptPage], options: &RenderOptions) -> Metadata {
        let first = &pages[0];
        let title = plain(options.document_title.as_deref().unwrap_or(&first.title));
        let mut metadata = Metadata::new()
            .title(title)
            .language(first.lang.to_string())
            .creator("recibo".to_string());
        if let Some(date) = options.creation_date {
            metadata = metadata.creation_date(pdf_date(date));
        }
        // A receipt says what it was made from, for `recibo verify`; a merged document
        // says it of every page, in order (about 150 bytes a page).
        let stamps: Option<Vec<String>> = pages
            .iter()
            .map(|page| {
                page.stamp.as_ref().map(|stamp| {
                    super::stamp::Stamp {
                        pdfa: options.pdfa,
                        ..stamp.clone()
                    }
                    .to_keyword()
                })
            })
            .collect();
        if let Some(stamps) = stamps {
            metadata = metadata.keywords(stamps);
        }
        metadata
    }
}

/// Paints placed pages onto a krilla surface.
struct Painter<'a, 's> {
    surface: &'a mut Surface<'s>,
    fonts: &'static FontSet,
    glyphs: &'a mut Vec<KrillaGlyph>,
    color: Option<Rgb>,
}

impl Painter<'_, '_> {
    /// Paints every mark of the page in order and returns its structure nodes in reading
    /// order.
    fn paint(&mut self, placed: &PlacedPage, page: &ReceiptPage) -> Vec<Node> {
        // Span identifiers of each text mark's lines, for the structure below.
        let mut spans: Vec<Vec<Identifier>> = Vec::with_capacity(placed.marks().len());
        for mark in placed.marks() {
            let mut ids = Vec::new();
            match *mark {
                Mark::Text { block, x } => {
                    let style = placed.style(block);
                    for line in placed.lines_of(block, x) {
                        self.set_color(style.color);
                        let id = self
                            .surface
                            .start_tagged(ContentTag::Span(SpanTag::empty()));
                        self.draw_line(placed.text(), &line, &style);
                        self.surface.end_tagged();
                        ids.push(id);
                    }
                }
                Mark::Rule {
                    x,
                    y,
                    width,
                    thickness,
                    color,
                } => self.rule(x, y, width, thickness, color),
                Mark::Logo { x, y, w, h } => {
                    if let Some(logo) = &page.logo {
                        ids.push(self.logo(logo, x, y, w, h));
                    }
                }
                Mark::Qr { x, y, size } => {
                    if let Some(verify) = &page.verify {
                        ids.push(self.qr(verify, x, y, size));
                    }
                }
            }
            spans.push(ids);
        }
        let group = |tag: TagKind, mark: usize| {
            let mut group = TagGroup::new(tag);
            for id in &spans[mark] {
                group.push(*id);
            }
            group
        };
        let mut nodes: Vec<Node> = Vec::new();
        for element in placed.structure() {
            match element {
                Element::Paragraph(mark) => push_group(&mut nodes, group(Tag::P.into(), *mark)),
                Element::Heading { level, mark, title } => {
                    let level = NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN);
                    push_group(
                        &mut nodes,
                        group(Tag::Hn(level, Some(title.clone())).into(), *mark),
                    );
                }
                Element::Table(rows) => {
                    let mut table = TagGroup::new(Tag::Table);
                    for &(label, value) in rows {
                        let mut tr = TagGroup::new(Tag::TR);
                        tr.push(group(Tag::TH(TableHeaderScope::Row).into(), label));
                        tr.push(group(Tag::TD.into(), value));
                        table.push(tr);
                    }
                    nodes.push(table.into());
                }
                Element::Figure { mark, alt } => push_group(
                    &mut nodes,
                    group(Tag::Figure(Some(alt.clone())).into(), *mark),
                ),
            }
        }
        nodes
    }

    /// The logo, drawn into its box.
    fn logo(&mut self, logo: &Logo, x: f32, y: f32, w: f32, h: f32) -> Identifier {
        let id = self.surface.start_tagged(ContentTag::Other);
        self.surface
            .push_transform(&Transform::from_translate(x, y));
        match &logo.art {
            LogoArt::Image(image) => {
                if let Some(size) = Size::from_wh(w, h) {
                    self.surface.draw_image(image.clone(), size);
                }
            }
            LogoArt::Svg(svg) => {
                self.surface
                    .push_transform(&Transform::from_scale(w / svg.width, h / svg.height));
                svg.draw(self.surface);
                self.surface.pop();
                // The painter's fill is whatever the logo left.
                self.color = None;
            }
        }
        self.surface.pop();
        self.surface.end_tagged();
        id
    }

    /// The QR code as one filled path: a rectangle per run of dark modules in a row, so
    /// the symbol stays sharp at any zoom. The path is in module units under a scale, so
    /// its coordinates are small integers, which keeps it to a few hundred bytes.
    fn qr(&mut self, verify: &Verify, x: f32, y: f32, size: f32) -> Identifier {
        let n = verify.width;
        let module = size / n as f32;
        let mut path = PathBuilder::new();
        for row in 0..n {
            let cells = &verify.modules[row * n..(row + 1) * n];
            let mut col = 0;
            while col < n {
                if !cells[col] {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && cells[col] {
                    col += 1;
                }
                if let Some(rect) =
                    Rect::from_xywh(start as f32, row as f32, (col - start) as f32, 1.0)
                {
                    path.push_rect(rect);
                }
            }
        }
        let id = self.surface.start_tagged(ContentTag::Other);
        if let Some(path) = path.finish() {
            self.set_color(INK);
            self.surface
                .push_transform(&Transform::from_row(module, 0.0, 0.0, module, x, y));
            self.surface.draw_path(&path);
            self.surface.pop();
        }
        self.surface.end_tagged();
        id
    }

    /// Draws one line as one `draw_glyphs` call per run of characters sharing a face.
    fn draw_line(&mut self, text: &str, placed: &PlacedLine, style: &Style) {
        let (line, baseline, size) = (placed.clusters, placed.baseline, placed.size);
        let mut x = placed.x;
        let mut start = 0;
        while start < line.len() {
            let face = line[start].face;
            let end = line[start..]
                .iter()
                .position(|c| c.face != face)
                .map_or(line.len(), |p| start + p);
            let run = &line[start..end];
            let base = run[0].byte as usize;
            let last = run[run.len() - 1];
            let run_text = &text[base..last.byte as usize + last.ch.len_utf8()];
            self.glyphs.clear();
            let mut advance = 0.0;
            for c in run {
                let from = c.byte as usize - base;
                self.glyphs.push(KrillaGlyph::new(
                    GlyphId::new(u32::from(c.glyph)),
                    c.advance,
                    0.0,
                    0.0,
                    0.0,
                    from..from + c.ch.len_utf8(),
                    None,
                ));
                advance += c.advance;
            }
            // No shipped CJK face is bold: a thin outline in the text colour thickens its
            // strokes so Chinese titles and headings still read as bold.
            let faux_bold = style.weight == Weight::Bold && !face.is_bold();
            if faux_bold {
                let (r, g, b) = style.color;
                self.surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(r, g, b).into(),
                    width: FAUX_BOLD_STROKE * size,
                    line_join: LineJoin::Round,
                    ..Stroke::default()
                }));
            }
            self.surface.draw_glyphs(
                Point::from_xy(x, baseline),
                self.glyphs.as_slice(),
                self.fonts.face(face).font().clone(),
                run_text,
                size,
                false,
            );
            if faux_bold {
                self.surface.set_stroke(None);
            }
            x += advance * size;
            start = end;
        }
    }

    /// A horizontal rule, marked as a layout artifact so readers skip it.
    fn rule(&mut self, x: f32, y: f32, width: f32, thickness: f32, color: Rgb) {
        let Some(rect) = Rect::from_xywh(x, y - thickness / 2.0, width, thickness) else {
            return;
        };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        let Some(path) = path.finish() else {
            return;
        };
        self.set_color(color);
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Layout,
            )));
        self.surface.draw_path(&path);
        self.surface.end_tagged();
    }

    fn set_color(&mut self, color: Rgb) {
        if self.color != Some(color) {
            self.surface.set_fill(Some(Fill {
                paint: rgb::Color::new(color.0, color.1, color.2).into(),
                opacity: NormalizedF32::ONE,
                rule: FillRule::NonZero,
            }));
            self.color = Some(color);
        }
    }
}

/// Adds a group unless it is empty (krilla drops childless groups; an empty heading has no
/// place in the structure anyway).
fn push_group(nodes: &mut Vec<Node>, group: TagGroup) {
    if !group.children.is_empty() {
        nodes.push(group.into());
    }
}

/// Title text for metadata: NFC, on one line, without control characters, which viewers
/// show as boxes or ignore.
fn plain(s: &str) -> String {
    let normalized: String = s.nfc().collect();
    let mut out = String::with_capacity(normalized.len());
    for word in normalized
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn pdf_date(date: DateTime<Utc>) -> metadata::DateTime {
    metadata::DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(date.month() as u8)
        .day(date.day() as u8)
        .hour(date.hour() as u8)
        .minute(date.minute() as u8)
        .second(date.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// A readable sentence for a krilla validation error (krilla's own messages only count them).
fn describe(error: &ValidationError) -> String {
    match error {
        ValidationError::ContainsNotDefGlyph(_, _, text) => {
            format!("a font has no glyph for {text:?}")
        }
        ValidationError::NoCodepointMapping(_, glyph, _) => {
            format!("glyph {} has no Unicode mapping", glyph.to_u32())
        }
        ValidationError::InvalidCodepointMapping(_, _, c, _) => {
            format!("text contains the invalid code point U+{:04X}", *c as u32)
        }
        ValidationError::UnicodePrivateArea(_, _, c, _) => {
            format!(
                "text contains the private-use code point U+{:04X}",
                *c as u32
            )
        }
        ValidationError::RestrictedLicense(_) => "a font's license forbids embedding".to_string(),
        ValidationError::NoDocumentLanguage => "the document has no language".to_string(),
        ValidationError::NoDocumentTitle => "the document has no title".to_string(),
        ValidationError::MissingDocumentDate => "the document has no creation date".to_string(),
        ValidationError::Transparency(_) => "the document uses transparency".to_string(),
        other => format!("{other:?}"),
    }
}
