//! The incremental update that carries a receipt's signature (ISO 32000-1 §7.5.6, §12.8).
//!
//! The rendered file is left untouched; appended to it are a signature dictionary, a signature
//! field merged with its invisible widget, new versions of the catalog (with `/AcroForm`) and
//! of the first page (with the widget in `/Annots`), a classic cross-reference section and a
//! trailer whose `/Prev` points at the rendered file's. The signature's `/Contents` is a
//! zero-filled hex placeholder of a fixed size, and `/ByteRange` covers everything else, so
//! the update is fully laid out before anything is hashed.
//!
//! Only what recibo's own PDF writer produces needs reading here (a classic `xref` table, no
//! object streams, direct dictionaries), and anything else is refused rather than guessed at.
//! `recibo verify` builds the same update from a re-rendered receipt and compares it with the
//! file, so every byte outside the signature value is checked.

use std::ops::Range;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Why a file cannot take a signature.
#[derive(Debug, thiserror::Error)]
#[error("cannot add a signature to this PDF: {0}")]
pub struct UpdateError(pub &'static str);

type Result<T> = std::result::Result<T, UpdateError>;

/// A file with its signature update laid out: `/ByteRange` filled in, `/Contents` still zeros.
pub struct Prepared {
    pub bytes: Vec<u8>,
    /// The hex digits of `/Contents`, without its `<` and `>`.
    pub contents: Range<usize>,
}

impl Prepared {
    /// The bytes the signature covers: everything but `/Contents`' value and its brackets.
    pub fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(&self.bytes[..self.contents.start - 1]);
        hash.update(&self.bytes[self.contents.end + 1..]);
        hash.finalize().into()
    }

    /// Writes the DER signature into the placeholder (zero-padded).
    pub fn fill(mut self, cms: &[u8]) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        assert!(
            2 * cms.len() <= self.contents.len(),
            "signature fits its placeholder"
        );
        let slot = &mut self.bytes[self.contents.clone()];
        for (pair, byte) in slot.chunks_exact_mut(2).zip(cms) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 15)];
        }
        self.bytes
    }
}

/// The field's name, shown by PDF readers in their signature panel.
const FIELD_NAME: &str = "Signature1";
/// Most objects a file to sign may have (a merged document of 10,000 receipts has about a
/// million).
const MAX_OBJECTS: usize = 1 << 24;
/// Deepest nesting of arrays and dictionaries read.
const MAX_DEPTH: usize = 32;
/// Width of each `/ByteRange` number, so that the offsets are known before they are written.
const RANGE_DIGITS: usize = 10;

/// `pdf` with a signature update appended, its placeholder holding `contents_len` bytes.
/// `signed_at` becomes the signature's `/M`.
pub fn prepare(pdf: &[u8], signed_at: DateTime<Utc>, contents_len: usize) -> Result<Prepared> {
    let prev = last_startxref(pdf)?;
    let trailer = Trailer::read(pdf, prev)?;
    let xref = XrefTable::read(pdf, prev)?;
    let catalog = xref.dictionary(pdf, trailer.root)?;
    if catalog.get(pdf, b"AcroForm").is_some() {
        return Err(UpdateError("it already has a form (or a signature)"));
    }
    let page = first_page(pdf, &xref, &catalog)?;

    let signature = trailer.size;
    let field = trailer.size + 1;
    let mut out = Vec::with_capacity(pdf.len() + 2 * contents_len + 1024);
    out.extend_from_slice(pdf);
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, usize)> = Vec::with_capacity(4);

    offsets.push((signature, out.len()));
    out.extend_from_slice(
        format!(
            "{signature} 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange["
        )
        .as_bytes(),
    );
    let ranges_at = out.len();
    out.extend_from_slice(&[b' '; 4 * (RANGE_DIGITS + 1)]);
    out.extend_from_slice(b"]/Contents<");
    let contents = out.len()..out.len() + 2 * contents_len;
    out.resize(contents.end, b'0');
    out.extend_from_slice(
        format!(
            ">/M(D:{})>>\nendobj\n",
            signed_at.format("%Y%m%d%H%M%S+00'00'")
        )
        .as_bytes(),
    );

    offsets.push((field, out.len()));
    // Print (4) and Locked (128); an empty rectangle needs no appearance under PDF/A-2.
    out.extend_from_slice(
        format!(
            "{field} 0 obj\n<</Type/Annot/Subtype/Widget/FT/Sig/T({FIELD_NAME})/V {signature} 0 R/P {} 0 R/Rect[0 0 0 0]/F 132>>\nendobj\n",
            page.number
        )
        .as_bytes(),
    );

    let mut changed = [
        (
            trailer.root,
            catalog.with_entry(
                pdf,
                format!("/AcroForm<</Fields[{field} 0 R]/SigFlags 3>>").as_bytes(),
            ),
        ),
        (page.number, page.dictionary.with_annotation(pdf, field)?),
    ];
    changed.sort_by_key(|(number, _)| *number);
    for (number, dictionary) in &changed {
        offsets.push((*number, out.len()));
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(dictionary);
        out.extend_from_slice(b"\nendobj\n");
    }

    let xref_at = out.len();
    offsets.sort_by_key(|(number, _)| *number);
    out.extend_from_slice(b"xref\n");
    for (number, offset) in &offsets {
        out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n\r\n").as_bytes());
    }
    // The first /ID element names the document and stays; the second names this version,
    // taken from the content so that a rerun writes the same bytes.
    let mut version = Sha256::new();
    version.update(pdf);
    version.update(signed_at.timestamp().to_be_bytes());
    let version = version.finalize();
    out.extend_from_slice(
        format!("trailer\n<</Size {}/Root {} 0 R", field + 1, trailer.root).as_bytes(),
    );
    if let Some(info) = trailer.info {
        out.extend_from_slice(format!("/Info {info} 0 R").as_bytes());
    }
    out.extend_from_slice(b"/ID[");
    out.extend_from_slice(&pdf[trailer.first_id.clone()]);
    out.push(b'<');
    for byte in &version[..16] {
        out.extend_from_slice(format!("{byte:02X}").as_bytes());
    }
    out.extend_from_slice(format!(">]/Prev {prev}>>\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());

    let ranges = [
        contents.start - 1,
        contents.end + 1,
        out.len() - contents.end - 1,
    ];
    let mut text = String::from("0");
    for value in ranges {
        text.push_str(&format!(" {value:<RANGE_DIGITS$}"));
    }
    out[ranges_at..ranges_at + text.len()].copy_from_slice(text.as_bytes());
    Ok(Prepared {
        bytes: out,
        contents,
    })
}

/// Where the signature's hex value sits in a file signed by [`prepare`]: the `/Contents`
/// placeholder of the update that starts at `from`.
pub fn contents_in(file: &[u8], from: usize) -> Option<Range<usize>> {
    let tail = file.get(from..)?;
    let start = from + find(tail, b"/ByteRange[")?;
    let open = start + find(&file[start..], b"/Contents<")? + b"/Contents<".len();
    let close = open + memchr::memchr(b'>', &file[open..])?;
    Some(open..close)
}

/// The two byte ranges a signed file declares, checked against where its `/Contents` is.
pub fn declared_ranges_match(file: &[u8], contents: &Range<usize>) -> bool {
    let Some(at) = file[..contents.start]
        .windows(11)
        .rposition(|w| w == b"/ByteRange[")
    else {
        return false;
    };
    let list = &file[at + 11..];
    let Some(end) = memchr::memchr(b']', list) else {
        return false;
    };
    let numbers: Vec<usize> = std::str::from_utf8(&list[..end])
        .unwrap_or("")
        .split_ascii_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    numbers
        == [
            0,
            contents.start - 1,
            contents.end + 1,
            file.len() - contents.end - 1,
        ]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn last_startxref(pdf: &[u8]) -> Result<usize> {
    const KEY: &[u8] = b"startxref";
    let at = memchr::memmem::rfind(pdf, KEY).ok_or(UpdateError("it has no startxref"))?;
    let mut lexer = Lexer::new(pdf, at + KEY.len());
    match lexer.token() {
        Some(Token::Integer(offset)) if (offset as usize) < at => Ok(offset as usize),
        _ => Err(UpdateError("its startxref is not an offset")),
    }
}

/// The references the update needs from the trailer.
struct Trailer {
    size: u32,
    root: u32,
    info: Option<u32>,
    /// The first `/ID` element as written.
    first_id: Range<usize>,
}

impl Trailer {
    fn read(pdf: &[u8], xref_at: usize) -> Result<Trailer> {
        let after = &pdf[xref_at..];
        let at = xref_at + find(after, b"trailer").ok_or(UpdateError("it has no trailer"))?;
        let dictionary = Dictionary::parse(pdf, at + b"trailer".len())?;
        if dictionary.get(pdf, b"Prev").is_some() || dictionary.get(pdf, b"Encrypt").is_some() {
            return Err(UpdateError(
                "it was already updated or is encrypted, so it is not a receipt as rendered",
            ));
        }
        let integer = |key: &[u8]| match dictionary.get(pdf, key) {
            Some(Value::Integer(n)) => u32::try_from(n).ok(),
            _ => None,
        };
        let reference = |key: &[u8]| match dictionary.get(pdf, key) {
            Some(Value::Reference(n)) => Some(n),
            _ => None,
        };
        let first_id = match dictionary.get(pdf, b"ID") {
            Some(Value::Array(range)) => {
                let mut lexer = Lexer::new(pdf, range.start + 1);
                lexer.skip_space();
                let start = lexer.at;
                match lexer.token() {
                    Some(Token::String) => start..lexer.at,
                    _ => return Err(UpdateError("its /ID is not two strings")),
                }
            }
            _ => return Err(UpdateError("its trailer has no /ID")),
        };
        Ok(Trailer {
            size: integer(b"Size").ok_or(UpdateError("its trailer has no /Size"))?,
            root: reference(b"Root").ok_or(UpdateError("its trailer has no /Root"))?,
            info: reference(b"Info"),
            first_id,
        })
    }
}

/// Object offsets from a classic cross-reference table.
struct XrefTable {
    offsets: Vec<Option<usize>>,
}

impl XrefTable {
    fn read(pdf: &[u8], at: usize) -> Result<XrefTable> {
        let mut lexer = Lexer::new(pdf, at);
        if lexer.token() != Some(Token::Keyword(b"xref")) {
            return Err(UpdateError(
                "its cross-reference section is not a classic table",
            ));
        }
        let mut offsets = Vec::new();
        while let (Some(Token::Integer(first)), Some(Token::Integer(count))) =
            (lexer.token(), lexer.token())
        {
            // A subsection must fit in the file and name a plausible number of objects.
            let bad = UpdateError("its cross-reference table is malformed");
            let (Ok(first), Ok(count)) = (usize::try_from(first), usize::try_from(count)) else {
                return Err(bad);
            };
            if first.saturating_add(count) > MAX_OBJECTS {
                return Err(bad);
            }
            lexer.skip_space();
            let entries = pdf
                .get(lexer.at..lexer.at.saturating_add(20 * count))
                .ok_or(UpdateError("its cross-reference table is cut short"))?;
            if offsets.len() < first + count {
                offsets.resize(first + count, None);
            }
            for (i, entry) in entries.chunks_exact(20).enumerate() {
                if entry[17] == b'n' {
                    let offset = std::str::from_utf8(&entry[..10])
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or(UpdateError("its cross-reference table has a bad entry"))?;
                    offsets[first + i] = Some(offset);
                }
            }
            lexer.at += 20 * count;
        }
        Ok(XrefTable { offsets })
    }

    /// The dictionary of object `number` (generation 0).
    fn dictionary(&self, pdf: &[u8], number: u32) -> Result<Dictionary> {
        let offset = self
            .offsets
            .get(number as usize)
            .copied()
            .flatten()
            .ok_or(UpdateError("an object it refers to is not in its table"))?;
        let mut lexer = Lexer::new(pdf, offset);
        match (lexer.token(), lexer.token(), lexer.token()) {
            (Some(Token::Integer(n)), Some(Token::Integer(0)), Some(Token::Keyword(b"obj")))
                if n == i64::from(number) => {}
            _ => return Err(UpdateError("its table points beside an object")),
        }
        Dictionary::parse(pdf, lexer.at)
    }
}

struct Page {
    number: u32,
    dictionary: Dictionary,
}

/// The document's first page, down the page tree's first kids.
fn first_page(pdf: &[u8], xref: &XrefTable, catalog: &Dictionary) -> Result<Page> {
    let Some(Value::Reference(mut number)) = catalog.get(pdf, b"Pages") else {
        return Err(UpdateError("its catalog has no page tree"));
    };
    for _ in 0..32 {
        let node = xref.dictionary(pdf, number)?;
        match node.get(pdf, b"Type") {
            Some(Value::Name(name)) if &pdf[name.clone()] == b"Page" => {
                return Ok(Page {
                    number,
                    dictionary: node,
                });
            }
            _ => {}
        }
        let Some(Value::Array(kids)) = node.get(pdf, b"Kids") else {
            return Err(UpdateError("its page tree has a node without kids"));
        };
        let mut lexer = Lexer::new(pdf, kids.start + 1);
        match lexer.value() {
            Some(Value::Reference(kid)) => number = kid,
            _ => return Err(UpdateError("its page tree is empty")),
        }
    }
    Err(UpdateError("its page tree is too deep"))
}

/// A direct dictionary `<< ... >>` in the file, by position.
struct Dictionary {
    span: Range<usize>,
    /// Each key's name and its value.
    entries: Vec<(Range<usize>, Value)>,
}

impl Dictionary {
    fn parse(pdf: &[u8], at: usize) -> Result<Dictionary> {
        let mut lexer = Lexer::new(pdf, at);
        lexer.skip_space();
        let start = lexer.at;
        if lexer.token() != Some(Token::DictionaryStart) {
            return Err(UpdateError("an object it needs is not a dictionary"));
        }
        let mut entries = Vec::new();
        loop {
            match lexer.token() {
                Some(Token::DictionaryEnd) => break,
                Some(Token::Name(key)) => {
                    let value = lexer
                        .value()
                        .ok_or(UpdateError("a dictionary it needs is malformed"))?;
                    entries.push((key, value));
                }
                _ => return Err(UpdateError("a dictionary it needs is malformed")),
            }
        }
        Ok(Dictionary {
            span: start..lexer.at,
            entries,
        })
    }

    fn get(&self, pdf: &[u8], key: &[u8]) -> Option<Value> {
        self.entries
            .iter()
            .find(|(name, _)| &pdf[name.clone()] == key)
            .map(|(_, value)| value.clone())
    }

    /// The dictionary as written, with `entry` added before its closing `>>`.
    fn with_entry(&self, pdf: &[u8], entry: &[u8]) -> Vec<u8> {
        let body = &pdf[self.span.start..self.span.end - 2];
        [body, entry, b">>"].concat()
    }

    /// A page dictionary with the widget `field` among its annotations.
    fn with_annotation(&self, pdf: &[u8], field: u32) -> Result<Vec<u8>> {
        let reference = format!("{field} 0 R");
        match self.get(pdf, b"Annots") {
            None => Ok(self.with_entry(pdf, format!("/Annots[{reference}]").as_bytes())),
            Some(Value::Array(array)) => {
                let inside = array.start + 1;
                Ok([
                    &pdf[self.span.start..inside],
                    reference.as_bytes(),
                    b" ",
                    &pdf[inside..self.span.end],
                ]
                .concat())
            }
            Some(_) => Err(UpdateError(
                "its first page's annotations are not a direct array",
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Integer(i64),
    Reference(u32),
    Name(Range<usize>),
    /// From `[` to past `]`.
    Array(Range<usize>),
    Other,
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Integer(i64),
    Real,
    Name(Range<usize>),
    String,
    ArrayStart,
    ArrayEnd,
    DictionaryStart,
    DictionaryEnd,
    Keyword(&'a [u8]),
}

/// Just enough of PDF's syntax (ISO 32000-1 §7.2, §7.3) to walk dictionaries.
struct Lexer<'a> {
    pdf: &'a [u8],
    at: usize,
}

fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

impl<'a> Lexer<'a> {
    fn new(pdf: &'a [u8], at: usize) -> Lexer<'a> {
        Lexer { pdf, at }
    }

    fn peek(&self) -> Option<u8> {
        self.pdf.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            if is_space(byte) {
                self.at += 1;
            } else if byte == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> Range<usize> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| !is_space(b) && !is_delimiter(b))
        {
            self.at += 1;
        }
        start..self.at
    }

    fn token(&mut self) -> Option<Token<'a>> {
        self.skip_space();
        let byte = self.peek()?;
        match byte {
            b'/' => {
                self.at += 1;
                Some(Token::Name(self.regular_run()))
            }
            b'[' => {
                self.at += 1;
                Some(Token::ArrayStart)
            }
            b']' => {
                self.at += 1;
                Some(Token::ArrayEnd)
            }
            b'<' if self.pdf.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                Some(Token::DictionaryStart)
            }
            b'>' if self.pdf.get(self.at + 1) == Some(&b'>') => {
                self.at += 2;
                Some(Token::DictionaryEnd)
            }
            b'<' => {
                let end = memchr::memchr(b'>', &self.pdf[self.at..])?;
                self.at += end + 1;
                Some(Token::String)
            }
            b'(' => {
                let mut depth = 0usize;
                loop {
                    let byte = self.peek()?;
                    self.at += 1;
                    match byte {
                        b'\\' => self.at += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(Token::String);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ if is_delimiter(byte) => None,
            _ => {
                let run = self.regular_run();
                let text = &self.pdf[run];
                if let Some(n) = std::str::from_utf8(text).ok().and_then(|s| s.parse().ok()) {
                    Some(Token::Integer(n))
                } else if text
                    .iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
                {
                    Some(Token::Real)
                } else {
                    Some(Token::Keyword(text))
                }
            }
        }
    }

    /// One whole value; an integer followed by `G R` is a reference.
    fn value(&mut self) -> Option<Value> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        let start = self.at;
        match self.token()? {
            Token::Integer(n) => {
                let save = self.at;
                if let (Some(Token::Integer(_)), Some(Token::Keyword(b"R"))) =
                    (self.token(), self.token())
                {
                    return u32::try_from(n).ok().map(Value::Reference);
                }
                self.at = save;
                Some(Value::Integer(n))
            }
            Token::Name(name) => Some(Value::Name(name)),
            Token::ArrayStart => {
                loop {
                    self.skip_space();
                    if self.peek() == Some(b']') {
                        self.at += 1;
                        break;
                    }
                    self.value_at(depth + 1)?;
                }
                Some(Value::Array(start..self.at))
            }
            Token::DictionaryStart => {
                loop {
                    match self.token()? {
                        Token::DictionaryEnd => break,
                        Token::Name(_) => {
                            self.value_at(depth + 1)?;
                        }
                        _ => return None,
                    }
                }
                Some(Value::Other)
            }
            Token::Real | Token::String | Token::Keyword(_) => Some(Value::Other),
            Token::ArrayEnd | Token::DictionaryEnd => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page file laid out as recibo's writer lays them out, with its offsets computed.
    fn minimal() -> Vec<u8> {
        let objects = [
            "<</Type/Pages/Count 1/Kids[2 0 R]>>",
            "<</Type/Page/Parent 1 0 R/MediaBox[0 0 595 842]>>",
            "<</Type/Catalog/Pages 1 0 R/Lang(en \\) \\(x)>>",
        ];
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut table = String::from("xref\n0 4\n0000000000 65535 f\r\n");
        for (i, object) in objects.iter().enumerate() {
            table.push_str(&format!("{:010} 00000 n\r\n", pdf.len()));
            pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
        }
        let xref_at = pdf.len();
        pdf.extend_from_slice(table.as_bytes());
        pdf.extend_from_slice(
            format!(
                "trailer\n<</Size 4/Root 3 0 R/ID[(a\\)b)(a\\)b)]>>\nstartxref\n{xref_at}\n%%EOF"
            )
            .as_bytes(),
        );
        pdf
    }

    fn at(time: &str) -> DateTime<Utc> {
        time.parse().unwrap()
    }

    #[test]
    fn the_minimal_file_is_laid_out_as_its_table_says() {
        let pdf = minimal();
        let xref = XrefTable::read(&pdf, last_startxref(&pdf).unwrap()).unwrap();
        assert_eq!(xref.offsets[1], Some(9));
        let catalog = xref.dictionary(&pdf, 3).unwrap();
        assert!(matches!(
            catalog.get(&pdf, b"Pages"),
            Some(Value::Reference(1))
        ));
        assert_eq!(first_page(&pdf, &xref, &catalog).unwrap().number, 2);
    }

    #[test]
    fn the_update_appends_and_covers_all_but_the_placeholder() {
        let pdf = minimal();
        let prev = last_startxref(&pdf).unwrap();
        let prepared = prepare(&pdf, at("2026-10-01T12:30:00Z"), 40).unwrap();
        assert!(prepared.bytes.starts_with(&pdf));
        assert_eq!(prepared.contents.len(), 80);
        let text = String::from_utf8_lossy(&prepared.bytes[pdf.len()..]).into_owned();
        assert!(text.contains("/M(D:20261001123000+00'00')"), "{text}");
        assert!(
            text.contains("/AcroForm<</Fields[5 0 R]/SigFlags 3>>"),
            "{text}"
        );
        assert!(text.contains("/Annots[5 0 R]"), "{text}");
        assert!(text.contains("/ID[(a\\)b)<"), "{text}");
        assert!(text.contains(&format!("/Prev {prev}>>")), "{text}");
        assert!(declared_ranges_match(&prepared.bytes, &prepared.contents));
        assert_eq!(
            contents_in(&prepared.bytes, pdf.len()),
            Some(prepared.contents.clone())
        );
        // Every offset in the new table points at its object.
        let xref_at = last_startxref(&prepared.bytes).unwrap();
        let xref = XrefTable::read(&prepared.bytes, xref_at).unwrap();
        for number in [2u32, 3, 4, 5] {
            let offset = xref.offsets[number as usize].unwrap();
            assert!(
                prepared.bytes[offset..].starts_with(format!("{number} 0 obj").as_bytes()),
                "object {number}"
            );
        }
        let filled = prepared.fill(&[0xab, 0x01]);
        assert!(String::from_utf8_lossy(&filled).contains("/Contents<AB0100"));
    }

    #[test]
    fn a_second_signature_or_an_updated_file_is_refused() {
        let pdf = minimal();
        let signed = prepare(&pdf, at("2026-10-01T00:00:00Z"), 8).unwrap().bytes;
        assert!(prepare(&signed, at("2026-10-01T00:00:00Z"), 8).is_err());
        assert!(prepare(b"%PDF-1.7\nno table", at("2026-10-01T00:00:00Z"), 8).is_err());
        let cut = &pdf[..pdf.len() - 40];
        assert!(prepare(cut, at("2026-10-01T00:00:00Z"), 8).is_err());
    }

    #[test]
    fn a_hostile_table_or_trailer_is_refused_without_panicking() {
        let pdf = minimal();
        let at = at("2026-10-01T00:00:00Z");
        let text = String::from_utf8(pdf.clone()).unwrap();
        for (from, to) in [
            ("xref\n0 4\n", "xref\n-1 4\n"),
            ("xref\n0 4\n", "xref\n0 4611686018427387905\n"),
            ("xref\n0 4\n", "xref\n10000000000 1\n"),
        ] {
            let hostile = text.replacen(from, to, 1);
            assert!(prepare(hostile.as_bytes(), at, 8).is_err(), "{to:?}");
        }
        // A trailer nested a million arrays deep.
        let deep = text.replacen("/ID[", &format!("/X{}/ID[", "[".repeat(1_000_000)), 1);
        assert!(prepare(deep.as_bytes(), at, 8).is_err());
    }

    #[test]
    fn the_update_is_deterministic() {
        let pdf = minimal();
        let a = prepare(&pdf, at("2026-10-01T00:00:00Z"), 8).unwrap();
        let b = prepare(&pdf, at("2026-10-01T00:00:00Z"), 8).unwrap();
        assert_eq!(a.bytes, b.bytes);
    }
}
