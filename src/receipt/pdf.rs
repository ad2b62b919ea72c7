//! Refund receipts as tagged PDF: one A4 page per [`ReceiptPage`].
//!
//! Text arrives localized and formatted; this module only lays it out. Glyphs are chosen
//! per character from the shipped fonts ([`super::fonts`]), lines are broken by
//! [`super::layout`], and the page is drawn with krilla's `draw_glyphs`, which takes the
//! glyphs as they are (krilla's `draw_text` would build a shaper on every call). Fonts are
//! subset by krilla, so a receipt embeds only the glyphs it uses.
//!
//! The output is deterministic: the same pages and options give the same bytes.

use std::num::NonZeroU16;

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, ValidationError};
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{self, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Node, SpanTag, TableHeaderScope, Tag, TagGroup, TagTree,
};
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use unicode_normalization::UnicodeNormalization;

use super::fonts::{FontSet, Weight};
use super::layout::{Cluster, Line, break_lines, prepare};
use super::page::ReceiptPage;

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
        "receipt for refund {refund_id} does not fit on one A4 page, even with text shrunk to {percent}%"
    )]
    DoesNotFit { refund_id: String, percent: u32 },
    #[error("PDF/A-2b requires a creation date: set RenderOptions::creation_date")]
    PdfaNeedsCreationDate,
    #[error("the PDF does not conform to {standard}: {}", .problems.join("; "))]
    Validation {
        standard: &'static str,
        problems: Vec<String>,
    },
    #[error("cannot configure the PDF writer: {0}")]
    Configuration(String),
    #[error("PDF generation failed: {0}")]
    Pdf(KrillaError),
}

// Page geometry in points; krilla's origin is the top-left corner, y grows downwards.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 50.0;
const MARGIN_BOTTOM: f32 = 42.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const LABEL_COL_W: f32 = CONTENT_W * 0.35;
const COL_GUTTER: f32 = 12.0;
const VALUE_X: f32 = MARGIN_X + LABEL_COL_W;
const VALUE_W: f32 = CONTENT_W - LABEL_COL_W;

/// Outline width, in em, that makes a regular face look bold.
const FAUX_BOLD_STROKE: f32 = 0.035;

/// Each shrink step multiplies text sizes and vertical gaps by this much...
const SHRINK_STEP: f32 = 0.92;
/// ...down to this scale, below which the text would be unreadable.
const MIN_SCALE: f32 = 0.45;

/// Where a piece of text sits on the receipt; decides its style, width and structure tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Brand,
    Title,
    Subtitle,
    Heading,
    Label,
    Value,
    Footer,
}

struct Style {
    size: f32,
    /// Line advance as a multiple of `size`.
    leading: f32,
    weight: Weight,
    color: (u8, u8, u8),
    width: f32,
}

const INK: (u8, u8, u8) = (0x17, 0x1a, 0x1f);
const MUTED: (u8, u8, u8) = (0x55, 0x5b, 0x63);
const ACCENT: (u8, u8, u8) = (0x1f, 0x3a, 0x5f);
const RULE_STRONG: (u8, u8, u8) = (0x9a, 0xa1, 0xab);
const RULE_LIGHT: (u8, u8, u8) = (0xd8, 0xdc, 0xe1);

impl Role {
    fn style(self) -> Style {
        let (size, leading, weight, color, width) = match self {
            Role::Brand => (9.0, 1.35, Weight::Regular, MUTED, CONTENT_W),
            Role::Title => (20.0, 1.25, Weight::Bold, INK, CONTENT_W),
            Role::Subtitle => (10.0, 1.4, Weight::Regular, MUTED, CONTENT_W),
            Role::Heading => (11.5, 1.35, Weight::Bold, ACCENT, CONTENT_W),
            Role::Label => (9.5, 1.35, Weight::Regular, MUTED, LABEL_COL_W - COL_GUTTER),
            Role::Value => (9.5, 1.35, Weight::Regular, INK, VALUE_W),
            Role::Footer => (7.5, 1.4, Weight::Regular, MUTED, CONTENT_W),
        };
        Style {
            size,
            leading,
            weight,
            color,
            width,
        }
    }
}

/// One prepared piece of text and, once laid out, its lines.
struct Block {
    role: Role,
    /// Range in [`PageText::clusters`].
    clusters: (usize, usize),
    /// Range in [`PageText::lines`] (line indices are relative to the block's clusters).
    lines: (usize, usize),
}

/// Everything one page shows, prepared for drawing. Reused across the pages of a document.
#[derive(Default)]
struct PageText {
    text: String,
    clusters: Vec<Cluster>,
    blocks: Vec<Block>,
    lines: Vec<Line>,
}

impl PageText {
    fn clear(&mut self) {
        self.text.clear();
        self.clusters.clear();
        self.blocks.clear();
        self.lines.clear();
    }

    fn add(&mut self, fonts: &FontSet, role: Role, text: &str, missing: &mut impl FnMut(char)) {
        let start = self.clusters.len();
        prepare(
            fonts,
            role.style().weight,
            text,
            &mut self.text,
            &mut self.clusters,
            missing,
        );
        self.blocks.push(Block {
            role,
            clusters: (start, self.clusters.len()),
            lines: (0, 0),
        });
    }

    /// Breaks every block into lines for text scaled by `scale`.
    fn break_all(&mut self, scale: f32) {
        self.lines.clear();
        for block in &mut self.blocks {
            let style = block.role.style();
            let start = self.lines.len();
            let (a, b) = block.clusters;
            break_lines(
                &self.clusters[a..b],
                style.width / (style.size * scale),
                &mut self.lines,
            );
            block.lines = (start, self.lines.len());
        }
    }

    fn line_count(&self, block: usize) -> usize {
        let (a, b) = self.blocks[block].lines;
        b - a
    }
}

/// Vertical measures at one scale. Both the fit check and the drawing walk the page with
/// these, so they cannot disagree about where things go.
#[derive(Clone, Copy)]
struct Metrics {
    scale: f32,
}

impl Metrics {
    fn size(self, role: Role) -> f32 {
        role.style().size * self.scale
    }

    fn leading(self, role: Role) -> f32 {
        let style = role.style();
        style.size * style.leading * self.scale
    }

    fn gap(self, points: f32) -> f32 {
        points * self.scale
    }

    fn block_height(self, text: &PageText, block: usize) -> f32 {
        text.line_count(block) as f32 * self.leading(text.blocks[block].role)
    }

    fn row_padding(self) -> f32 {
        self.gap(5.0)
    }
}

/// Block indices of a page, in the order [`Renderer::prepare_page`] adds them.
struct Blocks {
    next: usize,
}

impl Blocks {
    fn take(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }
}

/// Positions of the page furniture for one scale, computed without drawing.
struct Placement {
    footer_top: f32,
    fits: bool,
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

    /// One PDF document with one A4 page per receipt page: a single receipt, or with
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
        let mut text = PageText::default();
        let mut glyphs = Vec::new();

        for page in pages {
            text.clear();
            self.prepare_page(page, &mut text, &mut missing_glyphs);
            let (metrics, placement) = fit(page, &mut text)?;

            let mut pdf_page =
                document.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 size"));
            let mut surface = pdf_page.surface();
            let mut painter = Painter {
                surface: &mut surface,
                fonts: self.fonts,
                text: &text,
                glyphs: &mut glyphs,
                metrics,
                color: None,
            };
            let nodes = painter.draw_page(page, &placement);
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
        document.set_metadata(self.metadata(first, options));

        let bytes = document.finish().map_err(|e| match e {
            KrillaError::Validation(errors) => RenderError::Validation {
                standard: "PDF/A-2b",
                problems: errors.iter().map(|(e, _)| describe(e)).collect(),
            },
            other => RenderError::Pdf(other),
        })?;
        Ok(RenderedPdf {
            bytes,
            missing_glyphs,
        })
    }

    fn metadata(&self, first: &ReceiptPage, options: &RenderOptions) -> Metadata {
        let title = plain(options.document_title.as_deref().unwrap_or(&first.title));
        let mut metadata = Metadata::new()
            .title(title)
            .language(first.lang.to_string())
            .creator("recibo".to_string());
        if let Some(date) = options.creation_date {
            metadata = metadata.creation_date(pdf_date(date));
        }
        metadata
    }

    fn prepare_page(
        &self,
        page: &ReceiptPage,
        text: &mut PageText,
        missing_glyphs: &mut Vec<MissingGlyph>,
    ) {
        let mut missing = |c: char| {
            let seen = missing_glyphs
                .iter()
                .any(|m| m.character == c && m.refund_id == page.refund_id);
            if !seen {
                missing_glyphs.push(MissingGlyph {
                    refund_id: page.refund_id.clone(),
                    character: c,
                });
            }
        };
        let fonts = self.fonts;
        text.add(fonts, Role::Brand, &page.brand, &mut missing);
        text.add(fonts, Role::Title, &page.title, &mut missing);
        text.add(fonts, Role::Subtitle, &page.subtitle, &mut missing);
        for section in &page.sections {
            text.add(fonts, Role::Heading, &section.heading, &mut missing);
            for row in &section.rows {
                text.add(fonts, Role::Label, &row.label, &mut missing);
                text.add(fonts, Role::Value, &row.value, &mut missing);
            }
        }
        for line in &page.footer {
            text.add(fonts, Role::Footer, line, &mut missing);
        }
    }
}

/// Lays the page out at full size, shrinking step by step until it fits on the page.
fn fit(page: &ReceiptPage, text: &mut PageText) -> Result<(Metrics, Placement), RenderError> {
    let mut scale = 1.0f32;
    loop {
        text.break_all(scale);
        let metrics = Metrics { scale };
        let placement = place(page, text, metrics);
        if placement.fits {
            return Ok((metrics, placement));
        }
        let next = scale * SHRINK_STEP;
        if next < MIN_SCALE {
            return Err(RenderError::DoesNotFit {
                refund_id: page.refund_id.clone(),
                percent: (scale * 100.0).round() as u32,
            });
        }
        scale = next;
    }
}

fn place(page: &ReceiptPage, text: &PageText, m: Metrics) -> Placement {
    let mut blocks = Blocks { next: 0 };
    let mut y = MARGIN_TOP;
    y += header_height(text, m, &mut blocks);
    for (k, section) in page.sections.iter().enumerate() {
        if k > 0 {
            y += m.gap(SECTION_GAP);
        }
        y += m.block_height(text, blocks.take()) + m.gap(HEADING_GAP);
        for _ in &section.rows {
            let label = blocks.take();
            let value = blocks.take();
            y += row_height(text, m, label, value);
        }
    }
    let footer_h: f32 = page
        .footer
        .iter()
        .map(|_| m.block_height(text, blocks.take()))
        .sum();
    let footer_top = PAGE_H - MARGIN_BOTTOM - footer_h;
    let limit = if footer_h > 0.0 {
        footer_top - m.gap(FOOTER_RULE_GAP) - m.gap(MIN_BODY_FOOTER_GAP)
    } else {
        PAGE_H - MARGIN_BOTTOM
    };
    Placement {
        footer_top,
        fits: y <= limit,
    }
}

// Vertical gaps at full scale, in points.
const BRAND_GAP: f32 = 3.0;
const TITLE_GAP: f32 = 2.0;
const HEADER_RULE_GAP: f32 = 10.0;
const AFTER_HEADER_GAP: f32 = 20.0;
const HEADING_GAP: f32 = 5.0;
const SECTION_GAP: f32 = 18.0;
const FOOTER_RULE_GAP: f32 = 8.0;
const MIN_BODY_FOOTER_GAP: f32 = 16.0;

fn header_height(text: &PageText, m: Metrics, blocks: &mut Blocks) -> f32 {
    let brand = m.block_height(text, blocks.take());
    let title = m.block_height(text, blocks.take());
    let subtitle = m.block_height(text, blocks.take());
    let mut h = brand + title + subtitle;
    if brand > 0.0 {
        h += m.gap(BRAND_GAP);
    }
    if subtitle > 0.0 {
        h += m.gap(TITLE_GAP);
    }
    h + m.gap(HEADER_RULE_GAP) + m.gap(AFTER_HEADER_GAP)
}

fn row_height(text: &PageText, m: Metrics, label: usize, value: usize) -> f32 {
    let lines = text.line_count(label).max(text.line_count(value)).max(1);
    lines as f32 * m.leading(Role::Value) + 2.0 * m.row_padding()
}

/// Draws one page and returns its structure nodes in reading order.
struct Painter<'a, 's> {
    surface: &'a mut Surface<'s>,
    fonts: &'static FontSet,
    text: &'a PageText,
    glyphs: &'a mut Vec<KrillaGlyph>,
    metrics: Metrics,
    color: Option<(u8, u8, u8)>,
}

impl Painter<'_, '_> {
    fn draw_page(&mut self, page: &ReceiptPage, placement: &Placement) -> Vec<Node> {
        let m = self.metrics;
        let text = self.text;
        let mut nodes: Vec<Node> = Vec::new();
        let mut blocks = Blocks { next: 0 };
        let mut y = MARGIN_TOP;

        let brand = blocks.take();
        let mut group = TagGroup::new(Tag::P);
        y = self.draw_block(brand, MARGIN_X, y, &mut group);
        push_group(&mut nodes, group);
        if text.line_count(brand) > 0 {
            y += m.gap(BRAND_GAP);
        }

        let title = blocks.take();
        let h1 = Tag::Hn(NonZeroU16::MIN, Some(self.block_text(title)));
        let mut group = TagGroup::new(h1);
        y = self.draw_block(title, MARGIN_X, y, &mut group);
        push_group(&mut nodes, group);

        let subtitle = blocks.take();
        if text.line_count(subtitle) > 0 {
            y += m.gap(TITLE_GAP);
        }
        let mut group = TagGroup::new(Tag::P);
        y = self.draw_block(subtitle, MARGIN_X, y, &mut group);
        push_group(&mut nodes, group);

        y += m.gap(HEADER_RULE_GAP);
        self.rule(MARGIN_X, y, CONTENT_W, 1.2, INK);
        y += m.gap(AFTER_HEADER_GAP);

        let h2_level = NonZeroU16::new(2).expect("non-zero");
        for (k, section) in page.sections.iter().enumerate() {
            if k > 0 {
                y += m.gap(SECTION_GAP);
            }
            let heading = blocks.take();
            let mut group = TagGroup::new(Tag::Hn(h2_level, Some(self.block_text(heading))));
            y = self.draw_block(heading, MARGIN_X, y, &mut group);
            push_group(&mut nodes, group);
            y += m.gap(HEADING_GAP);

            if section.rows.is_empty() {
                continue;
            }
            self.rule(MARGIN_X, y, CONTENT_W, 0.8, RULE_STRONG);
            let mut table = TagGroup::new(Tag::Table);
            let rows = section.rows.len();
            for r in 0..rows {
                let label = blocks.take();
                let value = blocks.take();
                let height = row_height(text, m, label, value);
                let top = y + m.row_padding();
                let mut th = TagGroup::new(Tag::TH(TableHeaderScope::Row));
                self.draw_block(label, MARGIN_X, top, &mut th);
                let mut td = TagGroup::new(Tag::TD);
                self.draw_block(value, VALUE_X, top, &mut td);
                let mut tr = TagGroup::new(Tag::TR);
                tr.push(th);
                tr.push(td);
                table.push(tr);
                y += height;
                let (thickness, color) = if r + 1 == rows {
                    (0.8, RULE_STRONG)
                } else {
                    (0.5, RULE_LIGHT)
                };
                self.rule(MARGIN_X, y, CONTENT_W, thickness, color);
            }
            nodes.push(table.into());
        }

        if !page.footer.is_empty() {
            self.rule(
                MARGIN_X,
                placement.footer_top - m.gap(FOOTER_RULE_GAP),
                CONTENT_W,
                0.5,
                RULE_LIGHT,
            );
            let mut fy = placement.footer_top;
            for _ in &page.footer {
                let mut group = TagGroup::new(Tag::P);
                fy = self.draw_block(blocks.take(), MARGIN_X, fy, &mut group);
                push_group(&mut nodes, group);
            }
        }
        nodes
    }

    /// The prepared text of a block, for heading titles in the structure tree.
    fn block_text(&self, block: usize) -> String {
        let (a, b) = self.text.blocks[block].clusters;
        match (
            self.text.clusters.get(a),
            b.checked_sub(1).and_then(|l| self.text.clusters.get(l)),
        ) {
            (Some(first), Some(last)) if a < b => self.text.text
                [first.byte as usize..last.byte as usize + last.ch.len_utf8()]
                .replace('\n', " "),
            _ => String::new(),
        }
    }

    /// Draws a block's lines from `top` down, each line a tagged span added to `group`;
    /// returns the y below the block.
    fn draw_block(&mut self, block: usize, x: f32, top: f32, group: &mut TagGroup) -> f32 {
        let text = self.text;
        let b = &text.blocks[block];
        let style = b.role.style();
        let size = self.metrics.size(b.role);
        let leading = self.metrics.leading(b.role);
        let clusters = &text.clusters[b.clusters.0..b.clusters.1];
        let mut y = top;
        for line in &text.lines[b.lines.0..b.lines.1] {
            if line.start < line.end {
                // Centre the capital height within the line box.
                let baseline = y + leading / 2.0 + 0.357 * size;
                self.set_color(style.color);
                let id = self
                    .surface
                    .start_tagged(ContentTag::Span(SpanTag::empty()));
                self.draw_line(&clusters[line.start..line.end], x, baseline, &style, size);
                self.surface.end_tagged();
                group.push(id);
            }
            y += leading;
        }
        y
    }

    /// Draws one line as one `draw_glyphs` call per run of characters sharing a face.
    fn draw_line(&mut self, line: &[Cluster], x: f32, baseline: f32, style: &Style, size: f32) {
        let text = &self.text.text;
        let mut x = x;
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
    fn rule(&mut self, x: f32, y: f32, width: f32, thickness: f32, color: (u8, u8, u8)) {
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

    fn set_color(&mut self, color: (u8, u8, u8)) {
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
