//! SVG logos: read once, when the template is loaded, into the shapes a receipt paints
//! (paths with solid fills and strokes, in the SVG's own units), so every receipt draws
//! them as vectors with nothing left to resolve.
//!
//! usvg parses the file and reduces it to paths with absolute transforms. What a receipt
//! could not draw faithfully with solid paint is refused by name rather than dropped
//! silently: text (convert it to outlines), embedded or linked images, gradients and
//! patterns, clip paths, masks and filters. No file is read but the logo itself.

use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule, LineCap, LineJoin, Stroke, StrokeDash};
use krilla::surface::Surface;

/// Why a logo with text or images is refused: usvg leaves both out of the tree it builds
/// (without fonts, and with no file or data URL loaded), so they are looked for in the
/// document itself, and the tree's own nodes of either kind are refused the same way.
const HOLDS_TEXT: &str = "holds text; convert its text to outlines (paths) and try again";
const HOLDS_IMAGE: &str = "holds an image; a logo must be drawn with paths";
/// Elements nested deeper than this are refused (a logo needs a handful).
const MAX_DEPTH: usize = 64;
/// Shapes and path segments a logo may have once `<use>` is expanded: every receipt paints
/// them all, so a logo is kept to what a mark needs.
const MAX_SHAPES: usize = 5_000;
const MAX_SEGMENTS: usize = 100_000;
/// Largest coordinate, stroke width or size, in the SVG's units, and the smallest size:
/// beyond them the scaling into the logo box leaves the range of the PDF's numbers.
const MAX_COORDINATE: f32 = 1.0e5;
const MIN_SIZE: f32 = 0.01;

/// A logo drawn as vector shapes.
pub struct SvgLogo {
    /// The drawing's size in its own units (`viewBox` or width and height).
    pub width: f32,
    pub height: f32,
    shapes: Vec<Shape>,
}

struct Shape {
    path: Path,
    fill: Option<Fill>,
    stroke: Option<Stroke>,
    stroke_first: bool,
}

impl std::fmt::Debug for SvgLogo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SvgLogo({} x {}, {} shapes)",
            self.width,
            self.height,
            self.shapes.len()
        )
    }
}

impl SvgLogo {
    /// Reads `bytes`, an SVG document; the error says what cannot be drawn.
    pub fn parse(bytes: &[u8]) -> Result<SvgLogo, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
        // Without fonts, usvg leaves text out of the tree; it is looked for here so that a
        // logo never loses its lettering unnoticed.
        let document = usvg::roxmltree::Document::parse_with_options(
            text,
            usvg::roxmltree::ParsingOptions {
                allow_dtd: false,
                ..Default::default()
            },
        )
        .map_err(|e| format!("is not a well-formed SVG document: {e}"))?;
        // Nor does it keep an image it was not allowed to load. The drawing is read by
        // recursion, so its depth is bounded first.
        for element in document.descendants().filter(|n| n.is_element()) {
            if element.ancestors().nth(MAX_DEPTH).is_some() {
                return Err(format!("nests elements more than {MAX_DEPTH} deep"));
            }
            match element.tag_name().name() {
                "text" => return Err(HOLDS_TEXT.to_string()),
                "image" | "foreignObject" => return Err(HOLDS_IMAGE.to_string()),
                _ => {}
            }
        }
        let options = usvg::Options {
            resources_dir: None,
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: Box::new(|_, _, _| None),
                resolve_string: Box::new(|_, _| None),
            },
            ..usvg::Options::default()
        };
        let tree = usvg::Tree::from_str(text, &options)
            .map_err(|e| format!("cannot be read as SVG: {e}"))?;
        let size = tree.size();
        let (width, height) = (size.width(), size.height());
        let sane = |v: f32| v.is_finite() && (MIN_SIZE..=MAX_COORDINATE).contains(&v);
        if !sane(width) || !sane(height) || !(1.0e-3..=1.0e3).contains(&(width / height)) {
            return Err(format!(
                "is {width} x {height}: a logo's width and height must be between {MIN_SIZE} and \
                 {MAX_COORDINATE}, neither more than 1,000 times the other"
            ));
        }
        let mut shapes = Vec::new();
        let mut segments = 0;
        collect(tree.root(), 1.0, &mut shapes, &mut segments)?;
        if shapes.is_empty() {
            return Err("draws nothing".to_string());
        }
        Ok(SvgLogo {
            width,
            height,
            shapes,
        })
    }

    /// Paints the shapes, in the SVG's units, under the surface's current transform.
    pub fn draw(&self, surface: &mut Surface) {
        for shape in &self.shapes {
            let fill = shape.fill.clone().map(|fill| (Some(fill), None));
            let stroke = shape.stroke.clone().map(|stroke| (None, Some(stroke)));
            let passes = if shape.stroke_first {
                [stroke, fill]
            } else {
                [fill, stroke]
            };
            for (fill, stroke) in passes.into_iter().flatten() {
                surface.set_fill(fill);
                surface.set_stroke(stroke);
                surface.draw_path(&shape.path);
            }
        }
        surface.set_stroke(None);
    }
}

fn collect(
    group: &usvg::Group,
    opacity: f32,
    shapes: &mut Vec<Shape>,
    segments: &mut usize,
) -> Result<(), String> {
    if group.clip_path().is_some() {
        return Err("uses a clip path, which a receipt's logo cannot".to_string());
    }
    if group.mask().is_some() {
        return Err("uses a mask, which a receipt's logo cannot".to_string());
    }
    if !group.filters().is_empty() {
        return Err("uses a filter, which a receipt's logo cannot".to_string());
    }
    // A group's opacity is given to each of its shapes: exact unless they overlap.
    let opacity = opacity * group.opacity().get();
    for node in group.children() {
        match node {
            usvg::Node::Group(group) => collect(group, opacity, shapes, segments)?,
            usvg::Node::Path(path) => {
                if let Some(shape) = shape(path, opacity, segments)? {
                    shapes.push(shape);
                    if shapes.len() > MAX_SHAPES || *segments > MAX_SEGMENTS {
                        return Err(format!(
                            "draws more than {MAX_SHAPES} shapes or {MAX_SEGMENTS} path \
                             segments; simplify it"
                        ));
                    }
                }
            }
            usvg::Node::Image(_) => return Err(HOLDS_IMAGE.to_string()),
            usvg::Node::Text(_) => return Err(HOLDS_TEXT.to_string()),
        }
    }
    Ok(())
}

fn shape(path: &usvg::Path, opacity: f32, segments: &mut usize) -> Result<Option<Shape>, String> {
    if !path.is_visible() {
        return Ok(None);
    }
    let Some(data) = path.data().clone().transform(path.abs_transform()) else {
        return Ok(None);
    };
    let bounds = data.bounds();
    let far = |v: f32| !v.is_finite() || v.abs() > MAX_COORDINATE;
    if [bounds.left(), bounds.top(), bounds.right(), bounds.bottom()]
        .into_iter()
        .any(far)
    {
        return Err(format!(
            "draws beyond {MAX_COORDINATE} units from its origin"
        ));
    }
    *segments += data.len();
    let mut builder = PathBuilder::new();
    for segment in data.segments() {
        use usvg::tiny_skia_path::PathSegment as S;
        match segment {
            S::MoveTo(p) => builder.move_to(p.x, p.y),
            S::LineTo(p) => builder.line_to(p.x, p.y),
            S::QuadTo(a, p) => builder.quad_to(a.x, a.y, p.x, p.y),
            S::CubicTo(a, b, p) => builder.cubic_to(a.x, a.y, b.x, b.y, p.x, p.y),
            S::Close => builder.close(),
        }
    }
    let Some(built) = builder.finish() else {
        return Ok(None);
    };
    let normalized =
        |value: f32| NormalizedF32::new(value.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE);
    let fill = match path.fill() {
        None => None,
        Some(fill) => Some(Fill {
            paint: solid(fill.paint())?.into(),
            opacity: normalized(fill.opacity().get() * opacity),
            rule: match fill.rule() {
                usvg::FillRule::NonZero => FillRule::NonZero,
                usvg::FillRule::EvenOdd => FillRule::EvenOdd,
            },
        }),
    };
    let stroke = match path.stroke() {
        None => None,
        Some(stroke) => {
            // The transform is baked into the path, so the width takes its scale.
            let ts = path.abs_transform();
            let scale = (ts.sx * ts.sy - ts.kx * ts.ky).abs().sqrt();
            let width = stroke.width().get() * scale;
            if far(width) {
                return Err(format!("strokes wider than {MAX_COORDINATE} units"));
            }
            Some(Stroke {
                paint: solid(stroke.paint())?.into(),
                width,
                miter_limit: stroke.miterlimit().get(),
                line_cap: match stroke.linecap() {
                    usvg::LineCap::Butt => LineCap::Butt,
                    usvg::LineCap::Round => LineCap::Round,
                    usvg::LineCap::Square => LineCap::Square,
                },
                line_join: match stroke.linejoin() {
                    usvg::LineJoin::Miter | usvg::LineJoin::MiterClip => LineJoin::Miter,
                    usvg::LineJoin::Round => LineJoin::Round,
                    usvg::LineJoin::Bevel => LineJoin::Bevel,
                },
                opacity: normalized(stroke.opacity().get() * opacity),
                dash: stroke.dasharray().map(|array| StrokeDash {
                    array: array.iter().map(|d| d * scale).collect(),
                    offset: stroke.dashoffset() * scale,
                }),
            })
        }
    };
    Ok(Some(Shape {
        path: built,
        fill,
        stroke,
        stroke_first: path.paint_order() == usvg::PaintOrder::StrokeAndFill,
    }))
}

fn solid(paint: &usvg::Paint) -> Result<rgb::Color, String> {
    match paint {
        usvg::Paint::Color(c) => Ok(rgb::Color::new(c.red, c.green, c.blue)),
        usvg::Paint::LinearGradient(_) | usvg::Paint::RadialGradient(_) => {
            Err("paints with a gradient; a receipt's logo takes solid colours".to_string())
        }
        usvg::Paint::Pattern(_) => {
            Err("paints with a pattern; a receipt's logo takes solid colours".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_of_paths_is_read_and_what_it_cannot_draw_is_named() {
        let ok = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50" width="400" height="100">
            <g transform="translate(10 5)" opacity="0.5"><rect width="40" height="40" fill="#1B5E20"/></g>
            <circle cx="100" cy="25" r="20" fill="none" stroke="#000" stroke-width="4"/></svg>"##;
        let logo = SvgLogo::parse(ok).unwrap();
        assert_eq!((logo.width, logo.height), (400.0, 100.0));
        assert_eq!(logo.shapes.len(), 2);
        assert!(logo.shapes[0].fill.is_some() && logo.shapes[0].stroke.is_none());
        assert_eq!(logo.shapes[0].fill.as_ref().unwrap().opacity.get(), 0.5);
        assert!(logo.shapes[1].fill.is_none() && logo.shapes[1].stroke.is_some());

        let deep = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\">{}<rect width=\"1\" height=\"1\"/>{}</svg>",
            "<g>".repeat(100_000),
            "</g>".repeat(100_000)
        );
        // Ten uses of ten uses of ... a rectangle: 100,000 rectangles from a few hundred bytes.
        let mut bomb = String::from(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><defs><rect id="a0" width="1" height="1"/>"#,
        );
        for level in 1..=5 {
            bomb.push_str(&format!("<g id=\"a{level}\">"));
            for _ in 0..10 {
                bomb.push_str(&format!("<use xlink:href=\"#a{}\"/>", level - 1));
            }
            bomb.push_str("</g>");
        }
        bomb.push_str(r##"</defs><use xlink:href="#a5"/></svg>"##);
        for (svg, why) in [
            (&br#"<svg xmlns="http://www.w3.org/2000/svg"><text>ACME</text></svg>"#[..], "text"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image width="9" height="9" xlink:href="/etc/passwd"/><rect width="1" height="1"/></svg>"#, "image"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs><rect width="9" height="9" fill="url(#g)"/></svg>"#, "gradient"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg"><defs><filter id="f"><feGaussianBlur stdDeviation="2"/></filter></defs><rect width="9" height="9" filter="url(#f)"/></svg>"#, "filter"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg"></svg>"#, "nothing"),
            (deep.as_bytes(), "deep"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M0 0 L3e38 3e38 L0 3e38 Z"/></svg>"#, "beyond"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg" width="1e-38" height="1e-38"><rect width="1" height="1"/></svg>"#, "between"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg" width="5000" height="1"><rect width="1" height="1"/></svg>"#, "1,000 times"),
            (bomb.as_bytes(), "shapes"),
            (br#"<svg xmlns="http://www.w3.org/2000/svg"><rect"#, "well-formed"),
            (br#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#, "well-formed"),
        ] {
            let e = SvgLogo::parse(svg).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
