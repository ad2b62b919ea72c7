//! Receipt templates: who issues a receipt and how it looks. A template is a TOML file
//! (`templates/receipts/NAME.toml`, or any path) naming the issuer's legal name, logo,
//! address, tax ID, support contact, accent colour, paper size, per-language footer and the
//! URL pattern of the verification QR code. The built-in `default` is recibo's plain look.
//!
//! A template is read and checked whole before any receipt is rendered: an unknown key, a
//! missing or unreadable logo, a colour that is not one, an unknown language in `[footer]`
//! or a `verify_url` without `{code}` is an error naming the file and the key.
//!
//! Several templates may be given; a refund gets the first whose `merchants` lists its
//! merchant ID, else the first without a `merchants` list, else `default`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::layout::Rgb;
use crate::error::{Error, Result};
use crate::locale::Lang;
use crate::model::Transaction;

/// The environment variable holding the key verification codes are made with.
pub const RECEIPT_KEY_ENV: &str = "RECIBO_RECEIPT_KEY";

/// A key shorter than this is refused: the codes must not be guessable.
const MIN_KEY_BYTES: usize = 16;

/// Bytes of the HMAC kept in a code: 120 bits, written as 24 base32 letters and digits.
const CODE_BYTES: usize = 15;

/// Paper a receipt is printed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    /// Width and height in points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.0, 842.0),
            Paper::Letter => (612.0, 792.0),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::Letter => "Letter",
        }
    }
}

/// A logo image, checked when the template is read, decoded once and shared by every
/// receipt drawn with it.
#[derive(Clone, Debug)]
pub struct Logo {
    pub art: LogoArt,
    /// Its size (pixels, or an SVG's units): the logo is drawn at this aspect ratio.
    pub width: f32,
    pub height: f32,
    /// What a screen reader says for it.
    pub alt: String,
}

/// The tax ID line: `CNPJ: 12.345.678/0001-90`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxId {
    pub label: String,
    pub value: String,
}

/// A checked template.
#[derive(Clone, Debug, Default)]
pub struct Template {
    /// `default`, or the file as given: what metadata and messages name it by.
    pub name: String,
    pub issuer: Option<String>,
    pub logo: Option<Logo>,
    pub address: Vec<String>,
    pub tax_id: Option<TaxId>,
    pub support: Option<String>,
    pub accent: Option<Rgb>,
    pub paper: Paper,
    /// `https://.../{code}`: the receipt carries a QR code of it.
    pub verify_url: Option<String>,
    pub merchants: Vec<String>,
    pub footer: BTreeMap<&'static str, String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    /// For the reader of the file; recibo does not print it.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    issuer: Option<String>,
    logo: Option<String>,
    logo_alt: Option<String>,
    #[serde(default)]
    address: Vec<String>,
    tax_id: Option<TaxId>,
    support: Option<String>,
    accent: Option<String>,
    paper: Option<String>,
    verify_url: Option<String>,
    #[serde(default)]
    merchants: Vec<String>,
    #[serde(default)]
    footer: BTreeMap<String, String>,
}

impl Template {
    /// recibo's plain look: no issuer block, no logo, no QR code.
    pub fn builtin() -> Template {
        Template {
            name: "default".into(),
            ..Template::default()
        }
    }

    /// Whether `spec` is a path to a template file rather than a template's name.
    pub fn names_a_file(spec: &str) -> bool {
        spec.ends_with(".toml") || spec.contains('/')
    }

    /// The name a request picks the template by: its file name without `.toml`.
    pub fn short_name(&self) -> String {
        Path::new(&self.name)
            .file_stem()
            .map_or(self.name.clone(), |s| s.to_string_lossy().into_owned())
    }

    /// `spec` is `default`, a template name looked up in `dir` (`NAME.toml`), or a path to
    /// a `.toml` file.
    pub fn resolve(spec: &str, dir: Option<&Path>) -> Result<Template> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("default") {
            return Ok(Template::builtin());
        }
        let path = if Template::names_a_file(spec) {
            PathBuf::from(spec)
        } else {
            let dir = dir.unwrap_or(Path::new("templates/receipts"));
            dir.join(format!("{spec}.toml"))
        };
        if !path.is_file() {
            return Err(Error::usage(format!(
                "receipt template {spec:?}: no such file {} (a template is `default`, a NAME \
                 in templates/receipts/ or a path to a .toml file)",
                path.display()
            )));
        }
        Template::load(&path)
    }

    /// Reads and checks the template in `path`; relative paths inside it (the logo) are
    /// taken from the file's folder.
    pub fn load(path: &Path) -> Result<Template> {
        let name = path.display().to_string();
        let fail =
            |key: &str, why: String| Error::usage(format!("receipt template {name}: {key}: {why}"));
        let text = read_small(path, MAX_TEMPLATE_BYTES)
            .and_then(|b| String::from_utf8(b).map_err(|_| "is not UTF-8 text".to_string()))
            .map_err(|e| Error::usage(format!("receipt template {name}: {e}")))?;
        let file: TemplateFile = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            Error::usage(format!("receipt template {name}{at}: {}", e.message()))
        })?;
        let folder = path.parent().unwrap_or(Path::new(""));

        let accent = file
            .accent
            .as_deref()
            .map(|c| {
                parse_colour(c).ok_or_else(|| {
                    fail(
                        "accent",
                        format!("{c:?} is not a colour (write #RRGGBB or #RGB)"),
                    )
                })
            })
            .transpose()?;
        let paper = match file.paper.as_deref().map(str::trim) {
            None => Paper::A4,
            Some(p) if p.eq_ignore_ascii_case("a4") => Paper::A4,
            Some(p) if p.eq_ignore_ascii_case("letter") => Paper::Letter,
            Some(p) => return Err(fail("paper", format!("{p:?} is not A4 or Letter"))),
        };
        if let Some(url) = &file.verify_url {
            check_verify_url(url).map_err(|why| fail("verify_url", why))?;
        }
        let mut footer = BTreeMap::new();
        for (tag, line) in file.footer {
            let lang = tag.parse::<Lang>().ok().ok_or_else(|| {
                fail(
                    &format!("footer.{tag}"),
                    "is not a receipt language (en, zh-CN or pt-BR)".into(),
                )
            })?;
            footer.insert(lang.tag(), line.trim().to_string());
        }
        let issuer = file
            .issuer
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let logo = match &file.logo {
            None => None,
            Some(logo) => {
                let alt = file
                    .logo_alt
                    .clone()
                    .or_else(|| issuer.as_ref().map(|i| format!("{i} logo")))
                    .unwrap_or_else(|| "Logo".into());
                Some(
                    load_logo(&folder.join(logo), alt)
                        .map_err(|why| fail("logo", format!("{logo}: {why}")))?,
                )
            }
        };
        Ok(Template {
            name,
            issuer,
            logo,
            address: file
                .address
                .into_iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            tax_id: file.tax_id,
            support: file
                .support
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            accent,
            paper,
            verify_url: file.verify_url,
            merchants: file
                .merchants
                .into_iter()
                .map(|m| m.trim().to_string())
                .collect(),
            footer,
        })
    }
}

/// `#RRGGBB` or `#RGB`.
fn parse_colour(text: &str) -> Option<Rgb> {
    let hex = text.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).ok();
    match hex.len() {
        6 => Some((digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
        3 => Some((digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17)),
        _ => None,
    }
}

/// A verification URL pattern: http(s), with `{code}` exactly once and no other braces.
fn check_verify_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("{url:?} must start with https:// (or http://)"));
    }
    if url.matches("{code}").count() != 1 {
        return Err(format!(
            "{url:?} must hold {{code}} once, where the code goes"
        ));
    }
    let rest = url.replace("{code}", "");
    if rest.contains(['{', '}']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?}: only {{code}} may stand in braces, and no spaces"
        ));
    }
    Ok(())
}

/// A template file is a few lines; more than this is a mistake.
const MAX_TEMPLATE_BYTES: u64 = 64 << 10;
/// A logo is a small picture.
const MAX_LOGO_BYTES: u64 = 4 << 20;

/// A regular file's bytes, at most `limit` of them: a device, a FIFO or a file that grows
/// while it is read (`/dev/zero`, a symlink to one) is refused, never read without end.
pub(crate) fn read_small(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    if !file.metadata().map_err(|e| e.to_string())?.is_file() {
        return Err("is not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("is larger than {} KiB", limit >> 10));
    }
    Ok(bytes)
}

impl PartialEq for Logo {
    fn eq(&self, other: &Logo) -> bool {
        let art = match (&self.art, &other.art) {
            (LogoArt::Image(a), LogoArt::Image(b)) => a == b,
            (LogoArt::Svg(a), LogoArt::Svg(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        art && self.width.to_bits() == other.width.to_bits()
            && self.height.to_bits() == other.height.to_bits()
            && self.alt == other.alt
    }
}

impl Eq for Logo {}

/// What a logo is drawn from.
#[derive(Clone, Debug)]
pub enum LogoArt {
    /// A PNG or JPEG.
    Image(krilla::image::Image),
    /// An SVG, drawn as vector paths.
    Svg(Arc<super::svg::SvgLogo>),
}

/// A PNG, JPEG or SVG, known by its first bytes, whatever its name says.
fn load_logo(path: &Path, alt: String) -> std::result::Result<Logo, String> {
    let bytes = read_small(path, MAX_LOGO_BYTES)?;
    // Not interpolated: PDF/A forbids it, and a logo is drawn near its own size anyway.
    let image = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        krilla::image::Image::from_png(bytes.into(), false)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        krilla::image::Image::from_jpeg(bytes.into(), false)
    } else if looks_like_svg(&bytes) {
        let svg = super::svg::SvgLogo::parse(&bytes).map_err(|why| format!("(SVG) {why}"))?;
        if !(svg.width > 0.0 && svg.height > 0.0) {
            return Err("(SVG) has no size".into());
        }
        return Ok(Logo {
            width: svg.width,
            height: svg.height,
            art: LogoArt::Svg(Arc::new(svg)),
            alt,
        });
    } else {
        return Err("is neither a PNG, a JPEG nor an SVG image".into());
    }
    .map_err(|e| format!("cannot be read as an image: {e}"))?;
    let (width, height) = image.size();
    if width == 0 || height == 0 {
        return Err("has no pixels".into());
    }
    Ok(Logo {
        art: LogoArt::Image(image),
        width: width as f32,
        height: height as f32,
        alt,
    })
}

/// An XML document whose first element is `<svg`: after an optional byte order mark,
/// white space, an XML declaration, comments and a doctype.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>').map_or("", |(_, r)| r).trim_start();
        } else {
            return rest.starts_with("<svg");
        }
    }
}

/// The key verification codes are made with, from [`RECEIPT_KEY_ENV`]. Never shown.
#[derive(Clone)]
pub struct ReceiptKey(Arc<Vec<u8>>);

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptKey(***)")
    }
}

impl ReceiptKey {
    pub fn new(secret: &[u8]) -> Result<ReceiptKey> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(Error::usage(format!(
                "{RECEIPT_KEY_ENV} is {} bytes long; a receipt key needs at least \
                 {MIN_KEY_BYTES} (e.g. `openssl rand -hex 32`)",
                secret.len()
            )));
        }
        Ok(ReceiptKey(Arc::new(secret.to_vec())))
    }

    /// The key in the environment, `None` when it is not set.
    pub fn from_env() -> Result<Option<ReceiptKey>> {
        match std::env::var_os(RECEIPT_KEY_ENV) {
            None => Ok(None),
            Some(v) => ReceiptKey::new(v.as_encoded_bytes()).map(Some),
        }
    }

    /// The refund's verification code: 120 bits of an HMAC-SHA-256 over its merchant ID
    /// and refund ID, in lower-case base32. Stable while the key is; without the key it
    /// cannot be worked out from IDs a stranger may know.
    pub fn code(&self, refund: &Transaction) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"recibo receipt code v1");
        for part in [refund.customer_id.trim(), refund.transaction_id.trim()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        base32(&mac.finalize().into_bytes()[..CODE_BYTES])
    }
}

/// RFC 4648 base32 in lower case, without padding (`bytes` a multiple of 5 long).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
        for i in (0..8).rev() {
            out.push(ALPHABET[((n >> (i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// A QR symbol: modules per side, and the modules row by row (`true` dark).
type Symbol = (usize, Arc<Vec<bool>>);

/// The QR symbol of `data` at error correction level M, as its width and its modules (dark
/// is `true`, row by row). The mask is the one of the eight with the lowest penalty of
/// ISO/IEC 18004 §7.8.3, scored here on plain booleans: the qrcode crate's own scoring took
/// a fifth of a branded receipt's time.
fn qr_symbol(data: &[u8]) -> Option<(usize, Vec<bool>)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let level = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(data, level).ok()?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, level).ok()?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).ok()?;
    [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ]
    .into_iter()
    .map(|pattern| {
        let mut masked = canvas.clone();
        masked.apply_mask(pattern);
        let modules: Vec<bool> = masked
            .into_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        (qr_penalty(&modules, width), modules)
    })
    // The first of equal scores, as the mask patterns are numbered.
    .min_by_key(|(penalty, _)| *penalty)
    .map(|(_, modules)| (width, modules))
}

/// The penalty of a masked symbol (ISO/IEC 18004 §7.8.3.1): runs of five or more modules
/// of one colour in a row or column (3, plus 1 for each module past five), 2×2 blocks of
/// one colour (3 each), 1:1:3:1:1 finder-like patterns with four light modules on one side
/// (40 each; outside the symbol counts as light), and the distance of the dark share from
/// half (10 for each 5 %).
fn qr_penalty(modules: &[bool], n: usize) -> u32 {
    let at = |row: usize, col: usize| modules[row * n + col];
    let mut score = 0u32;
    for horizontal in [true, false] {
        let get = |line: usize, i: usize| if horizontal { at(line, i) } else { at(i, line) };
        for line in 0..n {
            let mut run = 1;
            for i in 1..=n {
                if i < n && get(line, i) == get(line, i - 1) {
                    run += 1;
                    continue;
                }
                if run >= 5 {
                    score += 3 + (run - 5);
                }
                run = 1;
            }
            // An 11-module window slid along the line padded with four light modules each
            // side: dark 1011101 beside 0000, before or after.
            let mut window = 0u16;
            for i in 0..n + 8 {
                let dark = i >= 4 && i < n + 4 && get(line, i - 4);
                window = ((window << 1) | u16::from(dark)) & 0x7ff;
                if i >= 10 && (window == 0b000_0101_1101 || window == 0b101_1101_0000) {
                    score += 40;
                }
            }
        }
    }
    for row in 0..n - 1 {
        for col in 0..n - 1 {
            let c = at(row, col);
            if at(row, col + 1) == c && at(row + 1, col) == c && at(row + 1, col + 1) == c {
                score += 3;
            }
        }
    }
    let dark = modules.iter().filter(|&&m| m).count();
    let percent = dark * 100 / modules.len();
    score + 10 * (percent.abs_diff(50) / 5) as u32
}

/// Symbols kept for reuse at most; a bulk run renders a refund's languages one after another.
const SYMBOLS_KEPT: usize = 1024;

/// Who issues a run's receipts: the templates it may use (and picks each refund's), the key
/// for their verification codes, and the key and certificate that sign them.
#[derive(Clone, Debug)]
pub struct Branding {
    templates: Vec<Arc<Template>>,
    /// Signs every receipt when set (`--sign-key`).
    signer: Option<Arc<crate::receipt::sign::Signer>>,
    fallback: Arc<Template>,
    key: Option<ReceiptKey>,
    /// `--verify-url`: a pattern for templates that give none.
    verify_url: Option<String>,
    /// The symbols of recent URLs: choosing a symbol's mask is most of a QR code's cost,
    /// and a refund's receipts in each language carry the same one.
    symbols: Arc<std::sync::Mutex<std::collections::HashMap<String, Symbol>>>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            templates: Vec::new(),
            fallback: Arc::new(Template::builtin()),
            signer: None,
            key: None,
            verify_url: None,
            symbols: Arc::default(),
        }
    }
}

impl Branding {
    /// The templates `specs` name (see [`Template::resolve`]), `verify_url` for those
    /// without one, and the receipt key from [`RECEIPT_KEY_ENV`], which a QR code needs.
    pub fn new(specs: &[String], dir: Option<&Path>, verify_url: Option<&str>) -> Result<Branding> {
        let key = ReceiptKey::from_env()?;
        if let Some(url) = verify_url {
            check_verify_url(url).map_err(|why| Error::usage(format!("--verify-url: {why}")))?;
        }
        let templates: Vec<Arc<Template>> = specs
            .iter()
            .map(|s| Template::resolve(s, dir).map(Arc::new))
            .collect::<Result<_>>()?;
        let fallback = templates
            .iter()
            .find(|t| t.merchants.is_empty())
            .cloned()
            .unwrap_or_else(|| Arc::new(Template::builtin()));
        let branding = Branding {
            templates,
            fallback,
            signer: None,
            key,
            verify_url: verify_url.map(str::to_string),
            symbols: Arc::default(),
        };
        let wants_codes = branding.verify_url.is_some()
            || branding.templates.iter().any(|t| t.verify_url.is_some());
        if wants_codes && branding.key.is_none() {
            return Err(Error::usage(format!(
                "a verification URL needs {RECEIPT_KEY_ENV} set to a secret of at least \
                 {MIN_KEY_BYTES} bytes: its codes are made with it"
            )));
        }
        Ok(branding)
    }

    /// The template `refund` is printed with.
    pub fn template_for(&self, refund: &Transaction) -> &Template {
        let merchant = refund.customer_id.trim();
        self.templates
            .iter()
            .find(|t| t.merchants.iter().any(|m| m == merchant))
            .unwrap_or(&self.fallback)
    }

    /// The URL the receipt's QR code holds, when its template (or `--verify-url`) asks.
    pub fn verify_url(&self, template: &Template, refund: &Transaction) -> Option<String> {
        let pattern = template.verify_url.as_ref().or(self.verify_url.as_ref())?;
        let key = self.key.as_ref()?;
        Some(pattern.replace("{code}", &key.code(refund)))
    }

    /// The verification URL of `refund` and its QR symbol (error correction level M: a
    /// smudged print still scans), when its template asks for one. A URL too long for any
    /// QR code gives none; a URL pattern is far shorter than that.
    pub fn verify_symbol(
        &self,
        template: &Template,
        refund: &Transaction,
    ) -> Option<(String, usize, Arc<Vec<bool>>)> {
        let url = self.verify_url(template, refund)?;
        let symbols = self.symbols.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((width, modules)) = symbols.get(&url) {
            return Some((url, *width, Arc::clone(modules)));
        }
        drop(symbols);
        let (width, modules) = qr_symbol(url.as_bytes())?;
        let modules = Arc::new(modules);
        let mut symbols = self.symbols.lock().unwrap_or_else(|p| p.into_inner());
        if symbols.len() >= SYMBOLS_KEPT {
            symbols.clear();
        }
        symbols.insert(url.clone(), (width, Arc::clone(&modules)));
        Some((url, width, modules))
    }

    /// This branding with every receipt printed with the template `name` (`default`, a
    /// template's file name without `.toml`, or its name as given), whatever the merchant;
    /// `None` when it has no such template.
    pub fn pick(&self, name: &str) -> Option<Branding> {
        let chosen = if name.eq_ignore_ascii_case("default") {
            Arc::new(Template::builtin())
        } else {
            Arc::clone(
                self.templates
                    .iter()
                    .find(|t| t.name == name || t.short_name() == name)?,
            )
        };
        Some(Branding {
            templates: Vec::new(),
            fallback: chosen,
            signer: self.signer.clone(),
            key: self.key.clone(),
            verify_url: self.verify_url.clone(),
            symbols: Arc::clone(&self.symbols),
        })
    }

    /// The names [`Branding::pick`] takes.
    pub fn names(&self) -> Vec<String> {
        std::iter::once("default".to_string())
            .chain(self.templates.iter().map(|t| t.short_name()))
            .collect()
    }

    /// Whether any receipt it prints carries a verification code.
    pub fn issues_codes(&self) -> bool {
        self.key.is_some()
            && (self.verify_url.is_some()
                || self.fallback.verify_url.is_some()
                || self.templates.iter().any(|t| t.verify_url.is_some()))
    }

    pub fn key(&self) -> Option<&ReceiptKey> {
        self.key.as_ref()
    }

    /// The same branding, its receipts signed by `signer` (or unsigned with `None`).
    pub fn with_signer(mut self, signer: Option<crate::receipt::sign::Signer>) -> Branding {
        self.signer = signer.map(Arc::new);
        self
    }

    /// The signer of every receipt, if they are signed.
    pub fn signer(&self) -> Option<&Arc<crate::receipt::sign::Signer>> {
        self.signer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_penalty_counts_each_rule() {
        let n = 21;
        // All dark: 42 lines each one run of 21 (3 + 16), 400 blocks, no finder pattern,
        // and 100 % dark (10 steps of 5 %).
        assert_eq!(qr_penalty(&vec![true; n * n], n), 42 * 19 + 400 * 3 + 100);
        // One finder-like row in a checkerboard: its 40 is the difference.
        let checkerboard: Vec<bool> = (0..n * n).map(|i| (i / n + i % n) % 2 == 0).collect();
        let mut with_finder = checkerboard.clone();
        for (i, dark) in [
            false, false, false, false, true, false, true, true, true, false, true,
        ]
        .into_iter()
        .enumerate()
        {
            with_finder[10 * n + 5 + i] = dark;
        }
        let base = qr_penalty(&checkerboard, n);
        assert_eq!(base, 0);
        assert!(qr_penalty(&with_finder, n) >= base + 40);
    }

    #[test]
    fn a_symbol_has_its_version_s_width_and_a_chosen_mask() {
        let (width, modules) =
            qr_symbol(b"https://receipts.example.com/v/abcdefghijklmnopqrstuvwx").unwrap();
        assert_eq!(modules.len(), width * width);
        assert_eq!((width - 17) % 4, 0, "a QR width is 17 + 4 x version");
        // The finder pattern's corner is dark.
        assert!(modules[0] && modules[width - 1] && modules[(width - 1) * width]);
    }

    #[test]
    fn colours_and_urls_are_checked() {
        assert_eq!(parse_colour("#1B5E20"), Some((0x1b, 0x5e, 0x20)));
        assert_eq!(parse_colour("#fff"), Some((255, 255, 255)));
        for bad in ["1B5E20", "#12", "#GGGGGG", "green", "#1234567"] {
            assert_eq!(parse_colour(bad), None, "{bad}");
        }
        assert!(check_verify_url("https://r.example/v/{code}").is_ok());
        for bad in [
            "https://r.example/v/",
            "ftp://r.example/{code}",
            "https://r.example/{code}/{code}",
            "https://r.example/{id}/{code}",
            "https://r.example/ {code}",
        ] {
            assert!(check_verify_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_are_stable_per_key_and_differ_between_keys_and_refunds() {
        let mut refund = crate::store::blank();
        refund.customer_id = "2188120000002468".into();
        refund.transaction_id = "R1".into();
        let a = ReceiptKey::new(b"0123456789abcdef-one").unwrap();
        let b = ReceiptKey::new(b"0123456789abcdef-two").unwrap();
        let code = a.code(&refund);
        assert_eq!(code.len(), 24);
        assert!(
            code.bytes()
                .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
        );
        assert_eq!(code, a.code(&refund));
        assert_ne!(code, b.code(&refund));
        let mut other = refund.clone();
        other.transaction_id = "R2".into();
        assert_ne!(code, a.code(&other));
        assert!(ReceiptKey::new(b"short").is_err());
        assert_eq!(format!("{a:?}"), "ReceiptKey(***)");
        assert_eq!(base32(b"\0\0\0\0\0"), "aaaaaaaa");
        assert_eq!(base32(b"fooba"), "mzxw6ytb");
    }
}
