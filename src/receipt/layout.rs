//! Places a receipt page: every piece of text broken into lines with a baseline, every rule
//! with its position, and the structure a reader follows (headings, paragraphs, the label and
//! value tables), in one walk of the page per scale. The page is placed at full size and
//! shrunk step by step until it fits; [`super::pdf`] only paints what this returns.
//!
//! Coordinates are points from the page's top-left corner, y growing downwards (krilla's
//! convention).

use super::fonts::{FontSet, Weight};
use super::lines::{Cluster, Line, break_lines, prepare};
use super::page::ReceiptPage;

// Page geometry in points; the page's own width and height come from its paper.
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 50.0;
const MARGIN_BOTTOM: f32 = 42.0;
const LABEL_SHARE: f32 = 0.35;
const COL_GUTTER: f32 = 12.0;

// The issuer's logo fits a box this size, at its own aspect ratio.
const LOGO_MAX_W: f32 = 160.0;
const LOGO_MAX_H: f32 = 44.0;
const LOGO_GAP: f32 = 8.0;
const ISSUER_GAP: f32 = 8.0;
// The verification QR code: a square at the top right, its caption under it. The gap
// keeps the quiet zone a reader needs around the symbol clear of the header's text.
const QR_SIZE: f32 = 76.0;
const QR_GAP: f32 = 18.0;
const QR_CAPTION_GAP: f32 = 3.0;

// Vertical gaps at full scale, in points.
const BRAND_GAP: f32 = 3.0;
const TITLE_GAP: f32 = 2.0;
const HEADER_RULE_GAP: f32 = 10.0;
const AFTER_HEADER_GAP: f32 = 20.0;
const HEADING_GAP: f32 = 5.0;
const SECTION_GAP: f32 = 18.0;
const FOOTER_RULE_GAP: f32 = 8.0;
const MIN_BODY_FOOTER_GAP: f32 = 16.0;
const ROW_PADDING: f32 = 5.0;

/// Each shrink step multiplies text sizes and vertical gaps by this much...
const SHRINK_STEP: f32 = 0.92;
/// ...down to this scale, below which the text would be unreadable.
pub const MIN_SCALE: f32 = 0.45;

/// Height of capitals above the baseline, in em: a line's baseline sits so that capitals
/// are centred in the line box.
const CAP_CENTRE: f32 = 0.357;

pub type Rgb = (u8, u8, u8);

pub const INK: Rgb = (0x17, 0x1a, 0x1f);
const MUTED: Rgb = (0x55, 0x5b, 0x63);
const ACCENT: Rgb = (0x1f, 0x3a, 0x5f);
const RULE_STRONG: Rgb = (0x9a, 0xa1, 0xab);
const RULE_LIGHT: Rgb = (0xd8, 0xdc, 0xe1);

/// Where a piece of text sits on the receipt; decides its style and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The issuer's legal name, at the head of its block.
    Issuer,
    /// The issuer's address, tax ID and support lines.
    IssuerLine,
    Brand,
    Title,
    Subtitle,
    Heading,
    Label,
    Value,
    Footer,
    /// The line under the QR code.
    Caption,
}

/// How a piece of text looks at full scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub size: f32,
    /// Line advance as a multiple of `size`.
    leading: f32,
    pub weight: Weight,
    pub color: Rgb,
    width: f32,
}

/// The widths a page's text is set in.
#[derive(Clone, Copy, Debug, Default)]
struct Geometry {
    page_w: f32,
    page_h: f32,
    content_w: f32,
    /// The header's text column: narrower beside a QR code.
    header_w: f32,
    accent: Rgb,
}

impl Geometry {
    fn of(page: &ReceiptPage) -> Geometry {
        let (page_w, page_h) = page.paper.size();
        let content_w = page_w - 2.0 * MARGIN_X;
        let header_w = if page.verify.is_some() {
            content_w - QR_SIZE - QR_GAP
        } else {
            content_w
        };
        Geometry {
            page_w,
            page_h,
            content_w,
            header_w,
            accent: page.accent.unwrap_or(ACCENT),
        }
    }

    fn label_w(&self) -> f32 {
        self.content_w * LABEL_SHARE
    }

    fn value_x(&self) -> f32 {
        MARGIN_X + self.label_w()
    }

    fn qr_x(&self) -> f32 {
        self.page_w - MARGIN_X - QR_SIZE
    }

    fn style(&self, role: Role) -> Style {
        let (size, leading, weight, color, width) = match role {
            Role::Issuer => (10.0, 1.35, Weight::Bold, INK, self.header_w),
            Role::IssuerLine => (8.0, 1.35, Weight::Regular, MUTED, self.header_w),
            Role::Brand => (9.0, 1.35, Weight::Regular, MUTED, self.header_w),
            Role::Title => (20.0, 1.25, Weight::Bold, INK, self.header_w),
            Role::Subtitle => (10.0, 1.4, Weight::Regular, MUTED, self.header_w),
            Role::Heading => (11.5, 1.35, Weight::Bold, self.accent, self.content_w),
            Role::Label => (
                9.5,
                1.35,
                Weight::Regular,
                MUTED,
                self.label_w() - COL_GUTTER,
            ),
            Role::Value => (
                9.5,
                1.35,
                Weight::Regular,
                INK,
                self.content_w - self.label_w(),
            ),
            Role::Footer => (7.5, 1.4, Weight::Regular, MUTED, self.content_w),
            Role::Caption => (6.5, 1.3, Weight::Regular, MUTED, QR_SIZE),
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

/// One piece of text, prepared and broken into lines.
struct Block {
    style: Style,
    /// Range in [`PlacedPage::clusters`].
    clusters: (usize, usize),
    /// Range in [`PlacedPage::lines`] (a line's indices are relative to the block's clusters).
    lines: (usize, usize),
}

/// A line of text ready to paint: its glyphs, where it starts and its size.
pub struct PlacedLine<'a> {
    pub clusters: &'a [Cluster],
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
}

/// Something painted, in painting order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// The lines of one block, each at its own baseline (see [`PlacedPage::lines_of`]).
    Text { block: usize, x: f32 },
    /// The page's logo in the box from (`x`, `y`), `w` by `h` points.
    Logo { x: f32, y: f32, w: f32, h: f32 },
    /// The page's verification QR code in the square from (`x`, `y`).
    Qr { x: f32, y: f32, size: f32 },
    /// A horizontal rule centred on `y`: page furniture, not content.
    Rule {
        x: f32,
        y: f32,
        width: f32,
        thickness: f32,
        color: Rgb,
    },
}

/// What a reader follows, in reading order; each names the [`Mark::Text`] it tags by its
/// index in [`PlacedPage::marks`]. A mark with no visible line tags nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    Paragraph(usize),
    /// A heading (level 1 or 2) and its text, on one line, as the structure tree's title.
    Heading {
        level: u16,
        mark: usize,
        title: String,
    },
    /// Rows of row-header label and value.
    Table(Vec<(usize, usize)>),
    /// A picture (the logo, the QR code) and what it says in words.
    Figure {
        mark: usize,
        alt: String,
    },
}

/// One page placed at one scale. Reused from page to page, so a merged document of many
/// receipts allocates once.
#[derive(Default)]
pub struct PlacedPage {
    text: String,
    clusters: Vec<Cluster>,
    blocks: Vec<Block>,
    lines: Vec<Line>,
    /// Baseline of each of `lines`.
    baselines: Vec<f32>,
    marks: Vec<Mark>,
    structure: Vec<Element>,
    scale: f32,
    geometry: Geometry,
}

/// Why a page could not be placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoesNotFit {
    /// The smallest text size tried, in percent of full size.
    pub percent: u32,
}

impl PlacedPage {
    /// Places `page`, shrinking it until it fits. `missing` hears of each character no
    /// shipped font has (a replacement glyph is placed instead).
    pub fn place(
        &mut self,
        fonts: &FontSet,
        page: &ReceiptPage,
        missing: &mut impl FnMut(char),
    ) -> Result<(), DoesNotFit> {
        self.prepare(fonts, page, missing);
        let mut scale = 1.0f32;
        loop {
            self.scale = scale;
            self.break_all();
            if self.walk(page) {
                return Ok(());
            }
            let next = scale * SHRINK_STEP;
            if next < MIN_SCALE {
                return Err(DoesNotFit {
                    percent: (scale * 100.0).round() as u32,
                });
            }
            scale = next;
        }
    }

    /// Marks in painting order.
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    pub fn structure(&self) -> &[Element] {
        &self.structure
    }

    /// The style of a text mark's block.
    pub fn style(&self, block: usize) -> Style {
        self.blocks[block].style
    }

    /// Width and height of the page, in points.
    pub fn size(&self) -> (f32, f32) {
        (self.geometry.page_w, self.geometry.page_h)
    }

    /// The prepared text the clusters index into (by `Cluster::byte`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The visible lines of a block placed at `x`, top to bottom.
    pub fn lines_of(&self, block: usize, x: f32) -> impl Iterator<Item = PlacedLine<'_>> {
        let b = &self.blocks[block];
        let clusters = &self.clusters[b.clusters.0..b.clusters.1];
        let size = b.style.size * self.scale;
        (b.lines.0..b.lines.1)
            .map(move |i| (self.lines[i], self.baselines[i]))
            .filter(|(line, _)| line.start < line.end)
            .map(move |(line, baseline)| PlacedLine {
                clusters: &clusters[line.start..line.end],
                x,
                baseline,
                size,
            })
    }

    fn prepare(&mut self, fonts: &FontSet, page: &ReceiptPage, missing: &mut impl FnMut(char)) {
        self.text.clear();
        self.clusters.clear();
        self.blocks.clear();
        self.geometry = Geometry::of(page);
        for (i, line) in page.issuer.iter().enumerate() {
            let role = if i == 0 {
                Role::Issuer
            } else {
                Role::IssuerLine
            };
            self.add(fonts, role, line, missing);
        }
        if let Some(verify) = &page.verify {
            self.add(fonts, Role::Caption, &verify.caption, missing);
        }
        self.add(fonts, Role::Brand, &page.brand, missing);
        self.add(fonts, Role::Title, &page.title, missing);
        self.add(fonts, Role::Subtitle, &page.subtitle, missing);
        for section in &page.sections {
            self.add(fonts, Role::Heading, &section.heading, missing);
            for row in &section.rows {
                self.add(fonts, Role::Label, &row.label, missing);
                self.add(fonts, Role::Value, &row.value, missing);
            }
        }
        for line in &page.footer {
            self.add(fonts, Role::Footer, line, missing);
        }
    }

    fn add(&mut self, fonts: &FontSet, role: Role, text: &str, missing: &mut impl FnMut(char)) {
        let start = self.clusters.len();
        let style = self.geometry.style(role);
        prepare(
            fonts,
            style.weight,
            text,
            &mut self.text,
            &mut self.clusters,
            missing,
        );
        self.blocks.push(Block {
            style,
            clusters: (start, self.clusters.len()),
            lines: (0, 0),
        });
    }

    /// Breaks every block into lines at the current scale.
    fn break_all(&mut self) {
        self.lines.clear();
        for block in &mut self.blocks {
            let style = block.style;
            let start = self.lines.len();
            let (a, b) = block.clusters;
            break_lines(
                &self.clusters[a..b],
                style.width / (style.size * self.scale),
                &mut self.lines,
            );
            block.lines = (start, self.lines.len());
        }
        self.baselines.clear();
        self.baselines.resize(self.lines.len(), 0.0);
    }

    fn gap(&self, points: f32) -> f32 {
        points * self.scale
    }

    fn leading(&self, block: usize) -> f32 {
        let style = self.blocks[block].style;
        style.size * style.leading * self.scale
    }

    /// The leading of a role's text at the current scale.
    fn role_leading(&self, role: Role) -> f32 {
        let style = self.geometry.style(role);
        style.size * style.leading * self.scale
    }

    fn line_count(&self, block: usize) -> usize {
        let (a, b) = self.blocks[block].lines;
        b - a
    }

    /// Places the marks and structure of the whole page at the current scale, in the order
    /// the blocks were prepared; false when the body runs into the footer.
    fn walk(&mut self, page: &ReceiptPage) -> bool {
        self.marks.clear();
        self.structure.clear();
        let mut next_block = 0..self.blocks.len();
        let mut take = || next_block.next().expect("one block per prepared text");
        let mut y = MARGIN_TOP;
        let g = self.geometry;

        if let Some(logo) = &page.logo {
            // At its aspect ratio, as large as the box allows; the box never grows with
            // the scale, so a logo stays as crisp as the issuer made it.
            let ratio = logo.width / logo.height;
            let (w, h) = if ratio * LOGO_MAX_H > LOGO_MAX_W {
                (LOGO_MAX_W, LOGO_MAX_W / ratio)
            } else {
                (LOGO_MAX_H * ratio, LOGO_MAX_H)
            };
            self.marks.push(Mark::Logo {
                x: MARGIN_X,
                y,
                w,
                h,
            });
            self.structure.push(Element::Figure {
                mark: self.marks.len() - 1,
                alt: logo.alt.clone(),
            });
            y += h + self.gap(LOGO_GAP);
        }
        for _ in &page.issuer {
            let line = take();
            let mark = self.text_at(line, MARGIN_X, &mut y);
            self.structure.push(Element::Paragraph(mark));
        }
        if !page.issuer.is_empty() {
            y += self.gap(ISSUER_GAP);
        }
        let mut qr_bottom = 0.0f32;
        if let Some(verify) = &page.verify {
            let caption = take();
            let (x, top) = (g.qr_x(), MARGIN_TOP);
            self.marks.push(Mark::Qr {
                x,
                y: top,
                size: QR_SIZE,
            });
            self.structure.push(Element::Figure {
                mark: self.marks.len() - 1,
                alt: format!("{}: {}", verify.caption, verify.url),
            });
            let mut cy = top + QR_SIZE + QR_CAPTION_GAP;
            let mark = self.text_at(caption, x, &mut cy);
            self.structure.push(Element::Paragraph(mark));
            qr_bottom = cy;
        }

        let brand = take();
        let mark = self.text_at(brand, MARGIN_X, &mut y);
        self.structure.push(Element::Paragraph(mark));
        if self.line_count(brand) > 0 {
            y += self.gap(BRAND_GAP);
        }

        let title = take();
        let mark = self.text_at(title, MARGIN_X, &mut y);
        self.structure.push(Element::Heading {
            level: 1,
            mark,
            title: self.one_line(title),
        });

        let subtitle = take();
        if self.line_count(subtitle) > 0 {
            y += self.gap(TITLE_GAP);
        }
        let mark = self.text_at(subtitle, MARGIN_X, &mut y);
        self.structure.push(Element::Paragraph(mark));
        y = y.max(qr_bottom);

        y += self.gap(HEADER_RULE_GAP);
        // The template's colour marks the header, as it does the headings; without one
        // the header rule stays in ink.
        self.rule(y, 1.2, if page.accent.is_some() { g.accent } else { INK });
        y += self.gap(AFTER_HEADER_GAP);

        for (k, section) in page.sections.iter().enumerate() {
            if k > 0 {
                y += self.gap(SECTION_GAP);
            }
            let heading = take();
            let mark = self.text_at(heading, MARGIN_X, &mut y);
            self.structure.push(Element::Heading {
                level: 2,
                mark,
                title: self.one_line(heading),
            });
            y += self.gap(HEADING_GAP);
            if section.rows.is_empty() {
                continue;
            }
            self.rule(y, 0.8, RULE_STRONG);
            let mut rows = Vec::with_capacity(section.rows.len());
            for r in 0..section.rows.len() {
                let (label, value) = (take(), take());
                let lines = self.line_count(label).max(self.line_count(value)).max(1);
                let height =
                    lines as f32 * self.role_leading(Role::Value) + 2.0 * self.gap(ROW_PADDING);
                let mut top = y + self.gap(ROW_PADDING);
                let label_mark = self.text_at(label, MARGIN_X, &mut top);
                let mut top = y + self.gap(ROW_PADDING);
                let value_mark = self.text_at(value, g.value_x(), &mut top);
                rows.push((label_mark, value_mark));
                y += height;
                if r + 1 == section.rows.len() {
                    self.rule(y, 0.8, RULE_STRONG);
                } else {
                    self.rule(y, 0.5, RULE_LIGHT);
                }
            }
            self.structure.push(Element::Table(rows));
        }

        let footer: Vec<usize> = page.footer.iter().map(|_| take()).collect();
        let footer_h: f32 = footer
            .iter()
            .map(|&b| self.line_count(b) as f32 * self.leading(b))
            .sum();
        let footer_top = g.page_h - MARGIN_BOTTOM - footer_h;
        let limit = if footer.is_empty() {
            g.page_h - MARGIN_BOTTOM
        } else {
            footer_top - self.gap(FOOTER_RULE_GAP) - self.gap(MIN_BODY_FOOTER_GAP)
        };
        if y > limit {
            return false;
        }
        if !footer.is_empty() {
            self.rule(footer_top - self.gap(FOOTER_RULE_GAP), 0.5, RULE_LIGHT);
            let mut fy = footer_top;
            for block in footer {
                let mark = self.text_at(block, MARGIN_X, &mut fy);
                self.structure.push(Element::Paragraph(mark));
            }
        }
        true
    }

    /// Places a block's lines from `*y` down, moving `*y` below them; returns its mark.
    fn text_at(&mut self, block: usize, x: f32, y: &mut f32) -> usize {
        let size = self.blocks[block].style.size * self.scale;
        let leading = self.leading(block);
        let (a, b) = self.blocks[block].lines;
        for baseline in &mut self.baselines[a..b] {
            *baseline = *y + leading / 2.0 + CAP_CENTRE * size;
            *y += leading;
        }
        self.marks.push(Mark::Text { block, x });
        self.marks.len() - 1
    }

    /// A rule across the content width.
    fn rule(&mut self, y: f32, thickness: f32, color: Rgb) {
        self.marks.push(Mark::Rule {
            x: MARGIN_X,
            y,
            width: self.geometry.content_w,
            thickness,
            color,
        });
    }

    /// A block's prepared text on one line.
    fn one_line(&self, block: usize) -> String {
        let (a, b) = self.blocks[block].clusters;
        match (
            self.clusters.get(a),
            b.checked_sub(1).and_then(|l| self.clusters.get(l)),
        ) {
            (Some(first), Some(last)) if a < b => self.text
                [first.byte as usize..last.byte as usize + last.ch.len_utf8()]
                .replace('\n', " "),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::page::{Row, Section};

    fn page(rows: usize) -> ReceiptPage {
        ReceiptPage {
            lang: "en",
            brand: "Acme Electronics Inc.".into(),
            title: "Refund receipt".into(),
            subtitle: "Receipt no. 1".into(),
            sections: vec![
                Section {
                    heading: "Refund".into(),
                    rows: (0..rows)
                        .map(|i| Row {
                            label: format!("Label {i}"),
                            value: format!("A value long enough to wrap onto a second line {i} ")
                                .repeat(2),
                        })
                        .collect(),
                },
                Section {
                    heading: "Empty".into(),
                    rows: Vec::new(),
                },
            ],
            footer: vec!["Generated now".into(), "Second footer line".into()],
            refund_id: "R1".into(),
            issuer: Vec::new(),
            logo: None,
            accent: None,
            paper: Default::default(),
            verify: None,
            stamp: None,
        }
    }

    fn placed(rows: usize) -> Result<PlacedPage, DoesNotFit> {
        let mut placed = PlacedPage::default();
        placed.place(FontSet::shared(), &page(rows), &mut |_| {})?;
        Ok(placed)
    }

    fn baselines(placed: &PlacedPage, mark: usize) -> Vec<f32> {
        match placed.marks()[mark] {
            Mark::Text { block, x } => placed.lines_of(block, x).map(|l| l.baseline).collect(),
            other => panic!("mark {mark} is {other:?}, not text"),
        }
    }

    #[test]
    fn structure_names_text_marks_in_reading_order_and_the_body_stays_above_the_footer() {
        let placed = placed(4).unwrap();
        assert_eq!(placed.scale, 1.0, "four rows fit at full size");
        let mut headings = Vec::new();
        let mut last_baseline = 0.0f32;
        let mut body_bottom = 0.0f32;
        // The page's last two paragraphs are its footer lines.
        let body = placed.structure().len() - 2;
        for (k, element) in placed.structure().iter().enumerate() {
            let marks = match element {
                Element::Paragraph(m) => vec![*m],
                Element::Heading { level, mark, title } => {
                    headings.push((*level, title.clone()));
                    vec![*mark]
                }
                Element::Table(rows) => {
                    assert_eq!(rows.len(), 4);
                    rows.iter().flat_map(|&(l, v)| [l, v]).collect()
                }
                Element::Figure { .. } => panic!("this page has no pictures"),
            };
            for mark in marks {
                for b in baselines(&placed, mark) {
                    assert!(
                        b >= last_baseline - 30.0,
                        "reading order goes down the page"
                    );
                    assert!(b > MARGIN_TOP && b < 842.0 - MARGIN_BOTTOM);
                    last_baseline = last_baseline.max(b);
                }
            }
            if k < body {
                body_bottom = last_baseline;
            }
        }
        assert_eq!(
            headings,
            [
                (1, "Refund receipt".to_string()),
                (2, "Refund".to_string()),
                (2, "Empty".to_string())
            ]
        );
        let footer_rule = placed
            .marks()
            .iter()
            .rev()
            .find_map(|m| match m {
                Mark::Rule { y, .. } => Some(*y),
                _ => None,
            })
            .unwrap();
        assert!(body_bottom < footer_rule, "{body_bottom} < {footer_rule}");
        // Value lines wrap: the value column holds more lines than its label.
        let Some(Element::Table(rows)) = placed
            .structure()
            .iter()
            .find(|e| matches!(e, Element::Table(_)))
        else {
            panic!("no table")
        };
        let (label, value) = rows[0];
        assert!(baselines(&placed, value).len() > baselines(&placed, label).len());
    }

    #[test]
    fn a_long_page_shrinks_until_it_fits_and_a_huge_one_is_refused() {
        let shrunk = placed(40).unwrap();
        assert!(shrunk.scale < 1.0 && shrunk.scale >= MIN_SCALE);
        let lowest = (0..shrunk.marks().len())
            .filter(|&m| matches!(shrunk.marks()[m], Mark::Text { .. }))
            .flat_map(|m| baselines(&shrunk, m))
            .fold(0.0f32, f32::max);
        assert!(lowest < 842.0 - MARGIN_BOTTOM);
        let refused = placed(400).err().expect("400 rows cannot fit");
        assert_eq!(refused.percent, (shrunk_floor() * 100.0).round() as u32);
    }

    /// The last scale tried before giving up.
    fn shrunk_floor() -> f32 {
        let mut scale = 1.0f32;
        while scale * SHRINK_STEP >= MIN_SCALE {
            scale *= SHRINK_STEP;
        }
        scale
    }

    #[test]
    fn a_qr_code_sits_top_right_clear_of_the_header_text_and_above_the_header_rule() {
        use crate::receipt::page::Verify;
        let mut with_qr = page(3);
        with_qr.issuer = vec![
            "Loja Verde Moda Sustentável Ltda., a name long enough to need the whole header width"
                .into(),
            "Rua Augusta, 1500".into(),
        ];
        with_qr.verify = Some(Verify {
            url: "https://r.example/v/abc".into(),
            caption: "Scan to check this receipt is genuine".into(),
            width: 25,
            modules: std::sync::Arc::new(vec![true; 625]),
        });
        let mut placed = PlacedPage::default();
        placed
            .place(FontSet::shared(), &with_qr, &mut |_| {})
            .unwrap();
        let (qr_x, qr_y, size) = placed
            .marks()
            .iter()
            .find_map(|m| match *m {
                Mark::Qr { x, y, size } => Some((x, y, size)),
                _ => None,
            })
            .expect("a QR mark");
        assert_eq!(qr_x + size, 595.0 - MARGIN_X, "flush with the right margin");
        assert_eq!(qr_y, MARGIN_TOP);
        let header_rule = placed
            .marks()
            .iter()
            .find_map(|m| match *m {
                Mark::Rule { y, .. } => Some(y),
                _ => None,
            })
            .unwrap();
        assert!(header_rule > qr_y + size, "the rule runs under the code");
        // Every header line left of the code ends before the quiet zone starts.
        for mark in placed.marks() {
            let Mark::Text { block, x } = *mark else {
                continue;
            };
            for line in placed.lines_of(block, x) {
                if line.baseline > header_rule || x >= qr_x {
                    continue;
                }
                let width: f32 = line.clusters.iter().map(|c| c.advance).sum::<f32>() * line.size;
                assert!(
                    x + width <= qr_x - QR_GAP + 0.01,
                    "{x} + {width} runs into the code"
                );
            }
        }
        let figures = placed
            .structure()
            .iter()
            .filter(|e| matches!(e, Element::Figure { alt, .. } if alt.contains("https://r.example/v/abc")))
            .count();
        assert_eq!(
            figures, 1,
            "the code is a figure whose alt text holds the URL"
        );
    }
}
