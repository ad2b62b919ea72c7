//! What a receipt was rendered from, recorded in its metadata (the document's keywords), so
//! that `recibo verify` can render it again from the data and compare the bytes.
//!
//! The stamp is one line of ASCII: `recibo-receipt/1` and `key=value` pairs, values
//! percent-encoded so that no space, comma, parenthesis or non-ASCII byte appears in them.

use chrono::{DateTime, SecondsFormat, Utc};

/// Marks a receipt's keywords as recibo's stamp, in this format's version.
const PREFIX: &str = "recibo-receipt/1";

/// The render parameters of one receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub refund_id: String,
    pub merchant_id: String,
    pub lang: String,
    pub zone: String,
    pub generated_at: DateTime<Utc>,
    pub template: String,
    pub pdfa: bool,
    /// The recibo version that rendered it: only the same version renders the same bytes.
    pub version: String,
}

impl Stamp {
    pub fn to_keyword(&self) -> String {
        let pairs = [
            ("refund", self.refund_id.as_str()),
            ("merchant", self.merchant_id.as_str()),
            ("lang", self.lang.as_str()),
            ("zone", self.zone.as_str()),
            (
                "generated",
                &self
                    .generated_at
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ),
            ("template", self.template.as_str()),
            ("pdfa", if self.pdfa { "1" } else { "0" }),
            ("version", self.version.as_str()),
        ];
        let mut out = String::from(PREFIX);
        for (key, value) in pairs {
            out.push(' ');
            out.push_str(key);
            out.push('=');
            encode(value, &mut out);
        }
        out
    }

    /// The stamp in a PDF's bytes (its document information's keywords), if it has one;
    /// the last, as a PDF's later updates override its earlier ones.
    pub fn find(pdf: &[u8]) -> Option<Stamp> {
        let mut all = Stamp::find_all(pdf);
        (all.len() == 1).then(|| all.remove(0))
    }

    /// Every stamp in a PDF's keywords, in order: one for a receipt, one per page for a
    /// merged document. Empty when any of them does not parse.
    ///
    /// The keywords are read from the document information (`/Keywords(...)`, the last
    /// one, as later updates override earlier ones; a rewriting tool may put white space
    /// before the string), else from the XMP metadata's `pdf:Keywords`, which stays
    /// readable where a tool packed the information into a compressed object stream.
    pub fn find_all(pdf: &[u8]) -> Vec<Stamp> {
        let Some(text) = info_keywords(pdf).or_else(|| xmp_keywords(pdf)) else {
            return Vec::new();
        };
        // The writer joins keywords with ", "; a stamp's values never hold a comma.
        text.split(", ")
            .map(Stamp::parse)
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }

    fn parse(line: &str) -> Option<Stamp> {
        let mut words = line.split(' ');
        if words.next()? != PREFIX {
            return None;
        }
        let mut get = std::collections::HashMap::new();
        for word in words {
            let (k, v) = word.split_once('=')?;
            get.insert(k, decode(v)?);
        }
        let mut take = |k: &str| get.remove(k);
        Some(Stamp {
            refund_id: take("refund")?,
            merchant_id: take("merchant")?,
            lang: take("lang")?,
            zone: take("zone")?,
            generated_at: DateTime::parse_from_rfc3339(&take("generated")?)
                .ok()?
                .with_timezone(&Utc),
            template: take("template")?,
            pdfa: take("pdfa")? == "1",
            version: take("version")?,
        })
    }
}

/// The last `/Keywords` string of the document information that begins with a stamp.
fn info_keywords(pdf: &[u8]) -> Option<&str> {
    let needle = format!("({PREFIX} ");
    let mut before = pdf.len();
    while let Some(at) = memchr::memmem::rfind(&pdf[..before], needle.as_bytes()) {
        let key = pdf[..at].trim_ascii_end();
        if key.ends_with(b"/Keywords") {
            let start = at + 1;
            let end = start + memchr::memchr(b')', &pdf[start..])?;
            return std::str::from_utf8(&pdf[start..end]).ok();
        }
        before = at;
    }
    None
}

/// The XMP metadata's keywords, when they begin with a stamp.
fn xmp_keywords(pdf: &[u8]) -> Option<&str> {
    let open = format!("<pdf:Keywords>{PREFIX} ");
    let at = memchr::memmem::rfind(pdf, open.as_bytes())?;
    let start = at + "<pdf:Keywords>".len();
    let end = start + memchr::memmem::find(&pdf[start..], b"</pdf:Keywords>")?;
    std::str::from_utf8(&pdf[start..end]).ok()
}

fn encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.:/+~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_awkward_values() {
        let stamp = Stamp {
            refund_id: "R 1,(x)\\ é%".into(),
            merchant_id: "M=2".into(),
            lang: "pt-BR".into(),
            zone: "America/Sao_Paulo".into(),
            generated_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            template: "templates/receipts/loja verde.toml".into(),
            pdfa: true,
            version: "0.1.0".into(),
        };
        let keyword = stamp.to_keyword();
        assert!(keyword.is_ascii());
        assert!(!keyword[PREFIX.len()..].contains(['(', ')', '\\', ',']));
        let pdf = format!("<</Alt(\\({keyword}\\))/Keywords({keyword})>>");
        assert_eq!(Stamp::find(pdf.as_bytes()), Some(stamp.clone()));
        assert_eq!(Stamp::find(b"<</Keywords(something else)>>"), None);
        // Text elsewhere in the file that looks like a stamp is not one.
        let elsewhere = format!("<</Alt({keyword})>>");
        assert_eq!(Stamp::find(elsewhere.as_bytes()), None);
        // As a rewriting tool leaves it: white space before the string, or only the XMP.
        let spaced = format!("<</Keywords \n({keyword})>>");
        assert_eq!(Stamp::find(spaced.as_bytes()), Some(stamp.clone()));
        let xmp = format!("<rdf:Description><pdf:Keywords>{keyword}</pdf:Keywords>");
        assert_eq!(Stamp::find(xmp.as_bytes()), Some(stamp));
    }
}
