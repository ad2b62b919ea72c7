//! The visible text of a PDF's pages, with where each piece is drawn.
//!
//! `recibo verify` re-renders a receipt from its data and compares bytes; when they differ,
//! it compares what this module reads from both files, so that it can name the visible field
//! that differs rather than only say the file was altered. One side is our own fresh output,
//! the other is whatever was handed in: possibly rewritten by a PDF tool (uncompressed, or
//! packed into object streams), possibly extended by an incremental update, possibly made to
//! hurt the reader. So this reader trusts nothing in the file:
//!
//! - objects are found by scanning for `N G obj` (and inside `/Type /ObjStm` streams), the
//!   definition latest in the file winning, rather than through cross-reference offsets that
//!   an edit may have left wrong;
//! - a stream's `/Length` is used only when `endstream` follows where it says;
//! - every decoded byte is charged to a budget per call, and nesting, reference chains,
//!   pages, runs, text and form XObject calls are all counted against fixed limits, so any
//!   input ends quickly in a result or a [`ReadError`].
//!
//! It reads only what placing text needs: the page tree, content streams (and form XObjects
//! they draw), fonts' `/ToUnicode` CMaps and glyph widths. It is no general PDF library.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::Range;
use std::rc::Rc;

/// One text-showing operation (Tj, TJ, ' or ") as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct TextRun {
    /// Where the run starts, in default user space (points from the page's bottom left,
    /// after `cm` and the text matrix).
    pub x: f32,
    pub y: f32,
    /// Effective font size in points (Tf size scaled by the text and current matrices' vertical scale).
    pub size: f32,
    /// The run's text in Unicode, through the font's /ToUnicode CMap.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the PDF's text: {0}")]
pub struct ReadError(pub String);

type Result<T> = std::result::Result<T, ReadError>;

fn refuse<T>(why: &str) -> Result<T> {
    Err(ReadError(why.to_string()))
}

/// Largest output of one stream's filters.
const MAX_STREAM_BYTES: usize = 16 << 20;
/// Largest output of all streams decoded in one call, counted each time a stream is decoded
/// (a content stream drawn by many pages is paid for by each), so that references that
/// multiply one small deflate bomb are refused too.
const MAX_DECODED_BYTES: usize = 64 << 20;
/// Deepest nesting of arrays and dictionaries, of the page tree and of form XObjects.
const MAX_DEPTH: usize = 64;
/// Most values in one parsed object, counting nested ones.
const MAX_OBJECT_ITEMS: usize = 1 << 20;
/// Most objects indexed.
const MAX_OBJECTS: usize = 1 << 20;
const MAX_PAGES: usize = 10_000;
const MAX_RUNS_PER_PAGE: usize = 100_000;
const MAX_RUNS: usize = 1_000_000;
/// Most bytes of text in all runs: a CMap can map one code to a long string, and a content
/// stream can repeat that code.
const MAX_TEXT_BYTES: usize = 16 << 20;
const MAX_OPERANDS: usize = 4096;
/// Deepest `q` nesting.
const MAX_SAVED_STATES: usize = 256;
/// Most form XObjects drawn on one page and in one call: a form drawing another twice, 64
/// deep, would otherwise be drawn 2^64 times, and an empty form costs no decoding.
const MAX_FORM_CALLS_PER_PAGE: usize = 10_000;
const MAX_FORM_CALLS: usize = 100_000;
const MAX_FILTERS: usize = 8;
/// Most `R` hops followed from one reference (`1 0 obj 2 0 R endobj` and so on).
const MAX_REFERENCE_HOPS: usize = 16;
/// Most mappings and ranges of one CMap.
const MAX_CMAP_ENTRIES: usize = 1 << 20;
const MAX_CODESPACE_RANGES: usize = 64;
/// Longest Unicode text one code may map to, in UTF-16 units; real ligatures are a few.
const MAX_MAPPED_UNITS: usize = 64;

/// The text runs of every page, in page order, each page's runs in content-stream order.
pub fn page_texts(pdf: &[u8]) -> std::result::Result<Vec<Vec<TextRun>>, ReadError> {
    let doc = Document::index(pdf)?;
    let pages = doc.pages()?;
    let mut reader = ContentReader::new(&doc);
    let mut texts = Vec::with_capacity(pages.len());
    for page in &pages {
        reader.runs.clear();
        reader.form_calls_on_page = 0;
        let content = doc.contents(page.dict.get(b"Contents"))?;
        let resources = doc.resolve_dict(page.resources.as_ref());
        reader.read(&content, &resources, GraphicsState::new(IDENTITY), 0)?;
        texts.push(std::mem::take(&mut reader.runs));
    }
    Ok(texts)
}

// ---------------------------------------------------------------------------------------
// Lexing (ISO 32000-1 §7.2, §7.3), shared by objects, content streams and CMaps.

#[derive(Clone, Debug, PartialEq)]
enum Token<'a> {
    /// The value, and the integer when the text is one that fits an `i64`.
    Number(f64, Option<i64>),
    Name(Vec<u8>),
    String(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// Anything else: `obj`, `R`, `true`, an operator, or a stray delimiter.
    Keyword(&'a [u8]),
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Every call to [`Lexer::token`] consumes at least one byte or returns `None` at the end,
/// so no loop over tokens can stall.
#[derive(Clone, Copy)]
struct Lexer<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8], at: usize) -> Lexer<'a> {
        Lexer {
            data,
            at: at.min(data.len()),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.at += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> Option<Token<'a>> {
        self.skip_space();
        let start = self.at;
        let b = self.peek()?;
        self.at += 1;
        Some(match b {
            b'[' => Token::ArrayOpen,
            b']' => Token::ArrayClose,
            b'<' if self.peek() == Some(b'<') => {
                self.at += 1;
                Token::DictOpen
            }
            b'>' if self.peek() == Some(b'>') => {
                self.at += 1;
                Token::DictClose
            }
            b'<' => Token::String(self.hex_string()),
            b'(' => Token::String(self.literal_string()),
            b'/' => Token::Name(self.name()),
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                self.at = start;
                self.number()
            }
            _ if is_regular(b) => {
                while self.peek().is_some_and(is_regular) {
                    self.at += 1;
                }
                Token::Keyword(&self.data[start..self.at])
            }
            // `)`, a lone `>`, `{`, `}`: one byte each.
            _ => Token::Keyword(&self.data[start..self.at]),
        })
    }

    /// A number as PDF writes them (`12`, `-3.5`, `.5`, `4.`), read as far as it goes;
    /// a lone sign or point reads as 0 and consumes itself.
    fn number(&mut self) -> Token<'a> {
        let start = self.at;
        if let Some(b'+' | b'-') = self.peek() {
            self.at += 1;
        }
        let digits_from = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let int_end = self.at;
        if self.peek() == Some(b'.') {
            self.at += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.at += 1;
            }
        }
        // Only sign, digits and a point were consumed: ASCII, and a form `f64` parses but
        // for a lone sign or point, which reads as 0.
        let text = std::str::from_utf8(&self.data[start..self.at]).unwrap_or("0");
        let value = text
            .trim_start_matches('+')
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        let int = (int_end == self.at && int_end > digits_from)
            .then(|| text.trim_start_matches('+').parse::<i64>().ok())
            .flatten();
        Token::Number(value, int)
    }

    fn name(&mut self) -> Vec<u8> {
        let mut name = Vec::new();
        while let Some(b) = self.peek().filter(|&b| is_regular(b)) {
            self.at += 1;
            if b == b'#' {
                let high = self.data.get(self.at).copied().and_then(hex_value);
                let low = self.data.get(self.at + 1).copied().and_then(hex_value);
                if let (Some(high), Some(low)) = (high, low) {
                    name.push(high << 4 | low);
                    self.at += 2;
                    continue;
                }
            }
            name.push(b);
        }
        name
    }

    /// After the opening `<`: hex digits up to `>`, whitespace ignored, an odd last digit
    /// padded with 0. Other bytes are skipped rather than ending the string early.
    fn hex_string(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.at += 1;
            if b == b'>' {
                break;
            }
            let Some(v) = hex_value(b) else { continue };
            match high.take() {
                Some(h) => bytes.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            bytes.push(h << 4);
        }
        bytes
    }

    /// After the opening `(`: up to the balancing `)`, escapes resolved.
    fn literal_string(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut open = 1usize;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'(' => {
                    open += 1;
                    bytes.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        break;
                    }
                    bytes.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.at += 1;
                    match e {
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'b' => bytes.push(8),
                        b'f' => bytes.push(12),
                        b'0'..=b'7' => {
                            let mut v = u16::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        self.at += 1;
                                        v = v * 8 + u16::from(d - b'0');
                                    }
                                    _ => break,
                                }
                            }
                            bytes.push((v & 0xff) as u8);
                        }
                        // A line break after a backslash continues the string.
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        other => bytes.push(other),
                    }
                }
                _ => bytes.push(b),
            }
        }
        bytes
    }
}

// ---------------------------------------------------------------------------------------
// Objects.

#[derive(Clone, Debug, PartialEq)]
enum Object {
    Null,
    Bool(bool),
    Number(f64, Option<i64>),
    Name(Vec<u8>),
    String(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    /// An indirect reference, by object number (generations are not told apart: the latest
    /// definition of a number is the one read).
    Ref(u32),
}

impl Object {
    fn number(&self) -> Option<f64> {
        match *self {
            Object::Number(v, _) => Some(v),
            _ => None,
        }
    }

    fn integer(&self) -> Option<i64> {
        match *self {
            Object::Number(_, i) => i,
            _ => None,
        }
    }

    fn name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Dict(Vec<(Vec<u8>, Object)>);

static NULL: Object = Object::Null;

impl Dict {
    /// The value of `key`, the first when a dictionary repeats it; `Null` when absent.
    fn get(&self, key: &[u8]) -> &Object {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&NULL, |(_, v)| v)
    }

    fn has(&self, key: &[u8]) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    fn name_is(&self, key: &[u8], name: &[u8]) -> bool {
        self.get(key).name() == Some(name)
    }
}

/// Parses objects from a lexer. `None` means the bytes are not a well-formed object, or one
/// larger or deeper than the limits.
struct Parser<'a> {
    lexer: Lexer<'a>,
    items: usize,
    /// Whether `N G R` is a reference: in files, not in content streams or CMaps.
    references: bool,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8], at: usize, references: bool) -> Parser<'a> {
        Parser {
            lexer: Lexer::new(data, at),
            items: 0,
            references,
        }
    }

    fn object(&mut self) -> Option<Object> {
        let token = self.lexer.token()?;
        self.object_from(token, 0)
    }

    /// The object `token` starts.
    fn object_from(&mut self, token: Token<'a>, depth: usize) -> Option<Object> {
        self.items += 1;
        if self.items > MAX_OBJECT_ITEMS || depth > MAX_DEPTH {
            return None;
        }
        Some(match token {
            Token::Number(v, int) => match int.and_then(|i| u32::try_from(i).ok()) {
                Some(number) if self.references && self.reference_follows() => Object::Ref(number),
                _ => Object::Number(v, int),
            },
            Token::Name(n) => Object::Name(n),
            Token::String(s) => Object::String(s),
            Token::ArrayOpen => {
                let mut items = Vec::new();
                loop {
                    match self.lexer.token()? {
                        Token::ArrayClose => break,
                        token => items.push(self.object_from(token, depth + 1)?),
                    }
                }
                Object::Array(items)
            }
            Token::DictOpen => {
                let mut entries = Vec::new();
                loop {
                    match self.lexer.token()? {
                        Token::DictClose => break,
                        Token::Name(key) => {
                            let token = self.lexer.token()?;
                            entries.push((key, self.object_from(token, depth + 1)?));
                        }
                        _ => return None,
                    }
                }
                Object::Dict(Dict(entries))
            }
            Token::Keyword(b"true") => Object::Bool(true),
            Token::Keyword(b"false") => Object::Bool(false),
            Token::Keyword(b"null") => Object::Null,
            Token::ArrayClose | Token::DictClose | Token::Keyword(_) => return None,
        })
    }

    /// Consumes `G R` when it comes next.
    fn reference_follows(&mut self) -> bool {
        let mut ahead = self.lexer;
        let generation = matches!(ahead.token(), Some(Token::Number(_, Some(0..=65535))));
        if generation && ahead.token() == Some(Token::Keyword(b"R")) {
            self.lexer = ahead;
            return true;
        }
        false
    }
}

// ---------------------------------------------------------------------------------------
// The document: an index of objects found by scanning.

#[derive(Clone, Debug)]
enum Location {
    /// At `body` in the file (just past `obj`); a stream's data where it was found.
    File {
        body: usize,
        stream: Option<Range<usize>>,
    },
    /// At `at` in the decoded object stream `packed[stream]`, up to `end`.
    Packed {
        stream: usize,
        at: usize,
        end: usize,
    },
}

#[derive(Clone, Debug)]
struct Entry {
    /// Where the definition is in the file (an object stream's own position for the
    /// objects in it): the latest definition wins.
    position: usize,
    location: Location,
}

struct Stream {
    dict: Dict,
    data: Range<usize>,
}

struct Document<'a> {
    file: &'a [u8],
    objects: HashMap<u32, Entry>,
    packed: Vec<Vec<u8>>,
    root: u32,
    decoded: Cell<usize>,
    fonts: RefCell<HashMap<u32, Rc<Font>>>,
}

struct Page {
    dict: Dict,
    /// Its own `/Resources`, or the nearest ancestor's.
    resources: Option<Object>,
}

/// Where a stream's data ends when `/Length` cannot be trusted: before the next
/// `endstream` and the line break before it, or at the end of a truncated file.
fn data_end(file: &[u8], start: usize) -> usize {
    let rest = &file[start..];
    let Some(found) = memchr::memmem::find(rest, b"endstream") else {
        return file.len();
    };
    let mut end = start + found;
    if end > start && file[end - 1] == b'\n' {
        end -= 1;
    }
    if end > start && file[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// Whether `endstream` follows `end`, after optional whitespace.
fn endstream_at(file: &[u8], end: usize) -> bool {
    let mut lexer = Lexer::new(file, end);
    end <= file.len() && lexer.token() == Some(Token::Keyword(b"endstream"))
}

/// The object number of an `N G obj` header whose `obj` starts at `at`.
fn header_before(file: &[u8], at: usize) -> Option<u32> {
    let mut i = at;
    let digits = |i: &mut usize| {
        let end = *i;
        while *i > 0 && file[*i - 1].is_ascii_digit() {
            *i -= 1;
        }
        (*i < end).then(|| &file[*i..end])
    };
    let spaces = |i: &mut usize| {
        let end = *i;
        while *i > 0 && is_space(file[*i - 1]) {
            *i -= 1;
        }
        *i < end
    };
    if !spaces(&mut i) {
        return None;
    }
    let generation = digits(&mut i)?;
    if !spaces(&mut i) {
        return None;
    }
    let number = digits(&mut i)?;
    if i > 0 && is_regular(file[i - 1]) {
        return None;
    }
    if generation.len() > 5 || number.len() > 10 {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}

impl<'a> Document<'a> {
    fn index(file: &'a [u8]) -> Result<Document<'a>> {
        let mut doc = Document {
            file,
            objects: HashMap::new(),
            packed: Vec::new(),
            root: 0,
            decoded: Cell::new(0),
            fonts: RefCell::new(HashMap::new()),
        };
        // Candidates for the catalog, by position: trailers' and cross-reference streams'
        // `/Root`, and failing those any `/Type /Catalog` dictionary.
        let mut roots: Vec<(usize, u32)> = Vec::new();
        let mut catalogs: Vec<(usize, u32)> = Vec::new();
        let mut object_streams: Vec<(usize, u32)> = Vec::new();
        let mut indirect_lengths: Vec<(u32, u32)> = Vec::new();

        let finder = memchr::memmem::Finder::new(b"obj");
        let mut from = 0;
        while let Some(found) = finder.find(&file[from..]) {
            let at = from + found;
            from = at + 3;
            if file.get(at + 3).is_some_and(|&b| is_regular(b)) {
                continue;
            }
            let Some(number) = header_before(file, at) else {
                continue;
            };
            let body = at + 3;
            let mut parser = Parser::new(file, body, true);
            let Some(object) = parser.object() else {
                // Go on where the parse stopped (less a cut-off `obj`), not just past this
                // header: an unclosed string would otherwise be read again from each
                // header inside it.
                from = from.max(parser.lexer.at.saturating_sub(3));
                continue;
            };
            let mut stream = None;
            let mut after = parser.lexer;
            if let (Object::Dict(dict), Some(Token::Keyword(b"stream"))) = (&object, after.token())
            {
                let mut start = after.at;
                // The keyword is followed by CRLF or LF (a lone CR is tolerated).
                if file.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if file.get(start) == Some(&b'\n') {
                    start += 1;
                }
                let declared = dict
                    .get(b"Length")
                    .integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .and_then(|n| start.checked_add(n))
                    .filter(|&end| endstream_at(file, end));
                let end = declared.unwrap_or_else(|| data_end(file, start));
                if declared.is_none()
                    && let Object::Ref(length) = dict.get(b"Length")
                {
                    indirect_lengths.push((number, *length));
                }
                if dict.name_is(b"Type", b"ObjStm") {
                    object_streams.push((at, number));
                }
                if dict.name_is(b"Type", b"XRef")
                    && let Object::Ref(root) = dict.get(b"Root")
                {
                    roots.push((at, *root));
                }
                stream = Some(start..end);
                // Go on after the data, so nothing in it is taken for a header.
                from = end.max(from);
            } else {
                from = parser.lexer.at.max(from);
            }
            if let Object::Dict(dict) = &object
                && dict.name_is(b"Type", b"Catalog")
            {
                catalogs.push((at, number));
            }
            doc.insert(
                number,
                Entry {
                    position: at,
                    location: Location::File { body, stream },
                },
            )?;
        }

        // A `/Length 12 0 R` whose object came after the stream: use it now if it holds.
        for (number, length) in indirect_lengths {
            let Some(end) = doc
                .object(length)
                .and_then(|o| o.integer())
                .and_then(|n| usize::try_from(n).ok())
                .zip(doc.stream_range(number))
                .and_then(|(n, range)| range.start.checked_add(n))
                .filter(|&end| endstream_at(file, end))
            else {
                continue;
            };
            if let Some(Entry {
                location:
                    Location::File {
                        stream: Some(range),
                        ..
                    },
                ..
            }) = doc.objects.get_mut(&number)
            {
                range.end = end;
            }
        }

        for (position, number) in object_streams {
            doc.unpack(position, number)?;
        }

        // The last few trailers only: each is parsed, and a file of nothing but the word
        // would otherwise cost a parse per occurrence.
        let trailer = memchr::memmem::FinderRev::new(b"trailer");
        for at in trailer.rfind_iter(file).take(16) {
            let mut parser = Parser::new(file, at + 7, true);
            if let Some(Object::Dict(dict)) = parser.object()
                && let Object::Ref(root) = dict.get(b"Root")
            {
                roots.push((at, *root));
            }
        }
        roots.sort_by_key(|&(at, _)| at);
        doc.root = match roots.last().or(catalogs.last()) {
            Some(&(_, root)) => root,
            None => return refuse("it has no document catalog"),
        };
        Ok(doc)
    }

    fn insert(&mut self, number: u32, entry: Entry) -> Result<()> {
        match self.objects.get(&number) {
            Some(old) if old.position > entry.position => {}
            _ => {
                self.objects.insert(number, entry);
            }
        }
        if self.objects.len() > MAX_OBJECTS {
            return refuse("it has too many objects");
        }
        Ok(())
    }

    /// Indexes the objects packed in object stream `number`, found at `position`, unless
    /// a later definition of the stream itself replaced it.
    fn unpack(&mut self, position: usize, number: u32) -> Result<()> {
        match self.objects.get(&number) {
            Some(entry) if entry.position == position => {}
            _ => return Ok(()),
        }
        let Some(stream) = self.stream(number) else {
            return Ok(());
        };
        let first = stream.dict.get(b"First").integer().unwrap_or(0);
        let count = stream.dict.get(b"N").integer().unwrap_or(0);
        let data = self.decode(&stream)?;
        let Ok(first) = usize::try_from(first) else {
            return Ok(());
        };
        let mut header = Lexer::new(&data, 0);
        let mut offsets: Vec<(u32, usize)> = Vec::new();
        for _ in 0..count.clamp(0, MAX_OBJECTS as i64) {
            let (Some(Token::Number(_, Some(n))), Some(Token::Number(_, Some(at)))) =
                (header.token(), header.token())
            else {
                break;
            };
            let (Ok(n), Some(at)) = (
                u32::try_from(n),
                usize::try_from(at)
                    .ok()
                    .and_then(|at| at.checked_add(first)),
            ) else {
                break;
            };
            if at >= data.len() {
                break;
            }
            offsets.push((n, at));
        }
        let index = self.packed.len();
        for (i, &(n, at)) in offsets.iter().enumerate() {
            let end = offsets
                .get(i + 1)
                .map_or(data.len(), |&(_, next)| next.max(at));
            self.insert(
                n,
                Entry {
                    position,
                    location: Location::Packed {
                        stream: index,
                        at,
                        end,
                    },
                },
            )?;
        }
        self.packed.push(data);
        Ok(())
    }

    /// Object `number` as defined last; `None` when it is not defined or not readable.
    fn object(&self, number: u32) -> Option<Object> {
        match &self.objects.get(&number)?.location {
            Location::File { body, .. } => Parser::new(self.file, *body, true).object(),
            Location::Packed { stream, at, end } => {
                let data = self.packed.get(*stream)?.get(..*end)?;
                Parser::new(data, *at, true).object()
            }
        }
    }

    fn stream_range(&self, number: u32) -> Option<Range<usize>> {
        match &self.objects.get(&number)?.location {
            Location::File { stream, .. } => stream.clone(),
            Location::Packed { .. } => None,
        }
    }

    fn stream(&self, number: u32) -> Option<Stream> {
        let data = self.stream_range(number)?;
        match self.object(number)? {
            Object::Dict(dict) => Some(Stream { dict, data }),
            _ => None,
        }
    }

    /// `object` with references followed; `Null` for what is missing.
    fn resolve(&self, object: &Object) -> Object {
        let mut object = object.clone();
        for _ in 0..MAX_REFERENCE_HOPS {
            match object {
                Object::Ref(n) => object = self.object(n).unwrap_or(Object::Null),
                other => return other,
            }
        }
        Object::Null
    }

    fn resolve_dict(&self, object: Option<&Object>) -> Dict {
        match object.map(|o| self.resolve(o)) {
            Some(Object::Dict(dict)) => dict,
            _ => Dict::default(),
        }
    }

    /// The stream `object` refers to, following references.
    fn stream_of(&self, object: &Object) -> Option<(u32, Stream)> {
        let mut object = object.clone();
        for _ in 0..MAX_REFERENCE_HOPS {
            let Object::Ref(n) = object else { return None };
            if let Some(stream) = self.stream(n) {
                return Some((n, stream));
            }
            object = self.object(n)?;
        }
        None
    }

    /// The stream's data through its filters, charged to this call's budget.
    fn decode(&self, stream: &Stream) -> Result<Vec<u8>> {
        let raw = self.file.get(stream.data.clone()).unwrap_or_default();
        let filters = match self.resolve(stream.dict.get(b"Filter")) {
            Object::Null => Vec::new(),
            Object::Name(name) => vec![Object::Name(name)],
            Object::Array(filters) => filters,
            _ => return refuse("a stream's filter is not a name"),
        };
        if filters.len() > MAX_FILTERS {
            return refuse("a stream has too many filters");
        }
        let parameters = match self.resolve(stream.dict.get(b"DecodeParms")) {
            Object::Array(parameters) => parameters,
            one => vec![one],
        };
        let mut data = raw.to_vec();
        self.charge(data.len())?;
        for (i, filter) in filters.iter().enumerate() {
            let predictor = match parameters.get(i).map(|p| self.resolve(p)) {
                Some(Object::Dict(p)) => p.get(b"Predictor").integer().unwrap_or(1),
                _ => 1,
            };
            data = match self.resolve(filter).name() {
                Some(b"FlateDecode" | b"Fl") if predictor <= 1 => inflate(&data)?,
                Some(b"FlateDecode" | b"Fl") => return refuse("a stream uses a predictor"),
                Some(b"ASCIIHexDecode" | b"AHx") => ascii_hex(&data),
                Some(b"ASCII85Decode" | b"A85") => ascii85(&data)?,
                Some(_) => return refuse("a stream uses a filter this reader does not know"),
                None => return refuse("a stream's filter is not a name"),
            };
            self.charge(data.len())?;
        }
        Ok(data)
    }

    fn charge(&self, bytes: usize) -> Result<()> {
        if bytes > MAX_STREAM_BYTES {
            return refuse("a stream decodes to more than 16 MiB");
        }
        let total = self.decoded.get().saturating_add(bytes);
        self.decoded.set(total);
        if total > MAX_DECODED_BYTES {
            return refuse("its streams decode to more than 64 MiB");
        }
        Ok(())
    }

    /// The pages in order, walking `/Root /Pages /Kids` depth first. A node met twice (a
    /// cycle, or one page listed twice) is read once.
    fn pages(&self) -> Result<Vec<Page>> {
        let catalog = self.resolve_dict(Some(&Object::Ref(self.root)));
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        seen.insert(self.root);
        match catalog.get(b"Pages") {
            Object::Null => return refuse("its catalog has no page tree"),
            tree => self.walk(tree, None, 0, &mut seen, &mut pages)?,
        }
        Ok(pages)
    }

    fn walk(
        &self,
        node: &Object,
        inherited: Option<&Object>,
        depth: usize,
        seen: &mut HashSet<u32>,
        pages: &mut Vec<Page>,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return refuse("its page tree is nested too deeply");
        }
        if let Object::Ref(n) = node
            && !seen.insert(*n)
        {
            return Ok(());
        }
        let Object::Dict(dict) = self.resolve(node) else {
            return Ok(());
        };
        let resources = match dict.get(b"Resources") {
            Object::Null => inherited.cloned(),
            own => Some(own.clone()),
        };
        if dict.has(b"Kids") || dict.name_is(b"Type", b"Pages") {
            if let Object::Array(kids) = self.resolve(dict.get(b"Kids")) {
                for kid in &kids {
                    self.walk(kid, resources.as_ref(), depth + 1, seen, pages)?;
                }
            }
            return Ok(());
        }
        if pages.len() == MAX_PAGES {
            return refuse("it has more than 10,000 pages");
        }
        pages.push(Page { dict, resources });
        Ok(())
    }

    /// A page's content: one stream or an array of streams, joined.
    fn contents(&self, contents: &Object) -> Result<Vec<u8>> {
        let parts = match contents {
            Object::Array(parts) => parts.clone(),
            Object::Ref(_) => match self.stream_of(contents) {
                Some((_, stream)) => return self.decode(&stream),
                None => match self.resolve(contents) {
                    Object::Array(parts) => parts,
                    _ => Vec::new(),
                },
            },
            _ => Vec::new(),
        };
        let mut joined = Vec::new();
        for part in &parts {
            if let Some((_, stream)) = self.stream_of(part) {
                joined.extend_from_slice(&self.decode(&stream)?);
                // Streams of one page are split only between tokens.
                joined.push(b'\n');
            }
        }
        Ok(joined)
    }

    /// The font `object` (a reference or a dictionary) describes, read once per reference.
    fn font(&self, object: &Object) -> Result<Rc<Font>> {
        let number = match object {
            Object::Ref(n) => Some(*n),
            _ => None,
        };
        if let Some(font) = number.and_then(|n| self.fonts.borrow().get(&n).cloned()) {
            return Ok(font);
        }
        let font = Rc::new(Font::read(self, &self.resolve_dict(Some(object)))?);
        if let Some(n) = number {
            self.fonts.borrow_mut().insert(n, font.clone());
        }
        Ok(font)
    }
}

// ---------------------------------------------------------------------------------------
// Filters.

fn inflate(data: &[u8]) -> Result<Vec<u8>> {
    let limit = MAX_STREAM_BYTES as u64 + 1;
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() {
        // Some writers leave out the zlib header.
        flate2::read::DeflateDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out)
            .ok();
    }
    // A stream cut short keeps what it inflated to: a truncated file still shows its text.
    if out.is_empty() && !data.is_empty() && zlib.is_err() {
        return refuse("a compressed stream is corrupt");
    }
    if out.len() > MAX_STREAM_BYTES {
        return refuse("a stream decodes to more than 16 MiB");
    }
    Ok(out)
}

fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let mut lexer = Lexer::new(data, 0);
    lexer.hex_string()
}

fn ascii85(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 5 * 4 + 4);
    let mut group = [0u8; 5];
    let mut filled = 0;
    let body = data.strip_prefix(b"<~").unwrap_or(data);
    for &b in body {
        match b {
            b'~' => break,
            b'z' if filled == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[filled] = b - b'!';
                filled += 1;
                if filled == 5 {
                    out.extend_from_slice(&ascii85_group(&group)?);
                    filled = 0;
                }
            }
            _ if is_space(b) => {}
            _ => return refuse("an ASCII85 stream has a byte outside its alphabet"),
        }
    }
    if filled == 1 {
        return refuse("an ASCII85 stream ends in a lone digit");
    }
    if filled > 1 {
        group[filled..].fill(84);
        out.extend_from_slice(&ascii85_group(&group)?[..filled - 1]);
    }
    Ok(out)
}

fn ascii85_group(group: &[u8; 5]) -> Result<[u8; 4]> {
    let value = group.iter().fold(0u64, |v, &d| v * 85 + u64::from(d));
    match u32::try_from(value) {
        Ok(v) => Ok(v.to_be_bytes()),
        Err(_) => refuse("an ASCII85 group is out of range"),
    }
}

// ---------------------------------------------------------------------------------------
// Fonts: how codes split, what they mean, how wide they are.

/// A `/ToUnicode` CMap (ISO 32000-1 §9.10.3), kept as read: single mappings in a map,
/// ranges sorted for search.
#[derive(Debug, Default)]
struct ToUnicode {
    /// Per code length, the byte-wise bounds of each codespace range.
    codespace: Vec<(Vec<u8>, Vec<u8>)>,
    singles: HashMap<(u8, u32), String>,
    ranges: Vec<BfRange>,
}

#[derive(Debug)]
struct BfRange {
    len: u8,
    low: u32,
    high: u32,
    target: RangeTarget,
}

#[derive(Debug)]
enum RangeTarget {
    /// `low` maps to these UTF-16 units, each next code to the last unit plus one.
    Incremented(Vec<u16>),
    /// One string per code from `low`.
    Listed(Vec<Option<String>>),
}

fn code_value(bytes: &[u8]) -> Option<(u8, u32)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let value = bytes.iter().fold(0u32, |v, &b| v << 8 | u32::from(b));
    Some((bytes.len() as u8, value))
}

fn utf16_units(bytes: &[u8]) -> Option<Vec<u16>> {
    if bytes.len() > MAX_MAPPED_UNITS * 2 {
        return None;
    }
    Some(
        bytes
            .chunks(2)
            .map(|pair| u16::from(pair[0]) << 8 | u16::from(pair.get(1).copied().unwrap_or(0)))
            .collect(),
    )
}

fn utf16_text(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn mapped_text(target: &Object) -> Option<String> {
    match target {
        Object::String(bytes) => utf16_units(bytes).map(|u| utf16_text(&u)),
        _ => None,
    }
}

impl ToUnicode {
    fn parse(data: &[u8]) -> ToUnicode {
        let mut map = ToUnicode::default();
        let mut entries = 0usize;
        let mut parser = Parser::new(data, 0, false);
        while let Some(token) = parser.lexer.token() {
            let Token::Keyword(keyword) = token else {
                continue;
            };
            let section = match keyword {
                b"begincodespacerange" => 2,
                b"beginbfchar" => 2,
                b"beginbfrange" => 3,
                _ => continue,
            };
            // Read the section's entries up to its `end…` keyword (or anything unexpected).
            loop {
                let mut entry = Vec::with_capacity(3);
                for _ in 0..section {
                    parser.items = 0;
                    let Some(token) = parser.lexer.token() else {
                        break;
                    };
                    if matches!(token, Token::Keyword(_)) {
                        break;
                    }
                    match parser.object_from(token, 1) {
                        Some(object) => entry.push(object),
                        None => break,
                    }
                }
                if entry.len() < section {
                    break;
                }
                entries += 1;
                if entries > MAX_CMAP_ENTRIES {
                    continue;
                }
                map.add(keyword, &entry);
            }
        }
        map.ranges.sort_by_key(|r| (r.len, r.low));
        map
    }

    fn add(&mut self, section: &[u8], entry: &[Object]) {
        match (section, entry) {
            (b"begincodespacerange", [Object::String(low), Object::String(high)])
                if low.len() == high.len()
                    && (1..=4).contains(&low.len())
                    && self.codespace.len() < MAX_CODESPACE_RANGES =>
            {
                self.codespace.push((low.clone(), high.clone()));
            }
            (b"beginbfchar", [Object::String(code), target]) => {
                if let (Some(code), Some(text)) = (code_value(code), mapped_text(target)) {
                    self.singles.insert(code, text);
                }
            }
            (b"beginbfrange", [Object::String(low), Object::String(high), target]) => {
                let (Some((len, low_value)), Some((high_len, high_value))) =
                    (code_value(low), code_value(high))
                else {
                    return;
                };
                if len != high_len || high_value < low_value {
                    return;
                }
                let target = match target {
                    Object::String(units) => match utf16_units(units) {
                        Some(units) if !units.is_empty() => RangeTarget::Incremented(units),
                        _ => return,
                    },
                    Object::Array(targets) => {
                        RangeTarget::Listed(targets.iter().map(mapped_text).collect())
                    }
                    _ => return,
                };
                self.ranges.push(BfRange {
                    len,
                    low: low_value,
                    high: high_value,
                    target,
                });
            }
            _ => {}
        }
    }

    fn text(&self, len: u8, code: u32) -> Option<String> {
        if let Some(text) = self.singles.get(&(len, code)) {
            return Some(text.clone());
        }
        // The last range starting at or below the code; overlapping ranges are not merged.
        let after = self
            .ranges
            .partition_point(|r| (r.len, r.low) <= (len, code));
        let range = self.ranges.get(after.checked_sub(1)?)?;
        if range.len != len || code > range.high {
            return None;
        }
        let offset = code - range.low;
        match &range.target {
            RangeTarget::Incremented(units) => {
                let mut units = units.clone();
                let last = units.last_mut()?;
                *last = u16::try_from(u32::from(*last) + offset).ok()?;
                Some(utf16_text(&units))
            }
            RangeTarget::Listed(texts) => {
                texts.get(usize::try_from(offset).ok()?).cloned().flatten()
            }
        }
    }

    /// The length of the code at the start of `bytes` by the codespace ranges, if any fits.
    fn code_len(&self, bytes: &[u8]) -> Option<usize> {
        self.codespace
            .iter()
            .filter(|(low, high)| {
                bytes.len() >= low.len()
                    && low
                        .iter()
                        .zip(high)
                        .zip(bytes)
                        .all(|((&l, &h), &b)| (l..=h).contains(&b))
            })
            .map(|(low, _)| low.len())
            .min()
    }
}

/// Glyph widths by code (or CID), in thousandths of the font size.
#[derive(Debug, Default)]
struct Widths {
    /// Sorted by first code: `(first, last, width)`.
    ranges: Vec<(u32, u32, f64)>,
    default: f64,
}

impl Widths {
    fn get(&self, code: u32) -> f64 {
        let after = self.ranges.partition_point(|&(first, _, _)| first <= code);
        match after.checked_sub(1).and_then(|i| self.ranges.get(i)) {
            Some(&(_, last, width)) if code <= last => width,
            _ => self.default,
        }
    }

    /// A simple font's `/FirstChar` and `/Widths`.
    fn simple(doc: &Document, font: &Dict) -> Widths {
        let first = font.get(b"FirstChar").integer().unwrap_or(0);
        let mut ranges = Vec::new();
        if let (Ok(first), Object::Array(widths)) =
            (u32::try_from(first), doc.resolve(font.get(b"Widths")))
        {
            for (i, width) in widths.iter().enumerate().take(256) {
                let code = first.saturating_add(i as u32);
                let width = doc.resolve(width).number().unwrap_or(0.0);
                ranges.push((code, code, width));
            }
        }
        let descriptor = doc.resolve_dict(Some(font.get(b"FontDescriptor")));
        Widths {
            ranges,
            default: descriptor.get(b"MissingWidth").number().unwrap_or(0.0),
        }
    }

    /// A CIDFont's `/W` (`c [w1 w2 …]` and `c_first c_last w`) and `/DW`.
    fn cid(doc: &Document, font: &Dict) -> Widths {
        let mut ranges = Vec::new();
        if let Object::Array(w) = doc.resolve(font.get(b"W")) {
            let mut items = w.iter().map(|o| doc.resolve(o));
            while let Some(first) = items.next() {
                let Some(first) = first.integer().and_then(|i| u32::try_from(i).ok()) else {
                    break;
                };
                match items.next() {
                    Some(Object::Array(widths)) => {
                        for (i, width) in widths.iter().enumerate() {
                            let Some(code) =
                                u32::try_from(i).ok().and_then(|i| first.checked_add(i))
                            else {
                                break;
                            };
                            ranges.push((code, code, width.number().unwrap_or(0.0)));
                        }
                    }
                    Some(last) => {
                        let (Some(last), Some(width)) = (
                            last.integer().and_then(|i| u32::try_from(i).ok()),
                            items.next().and_then(|w| w.number()),
                        ) else {
                            break;
                        };
                        ranges.push((first, last.max(first), width));
                    }
                    None => break,
                }
            }
        }
        ranges.sort_by_key(|&(first, _, _)| first);
        Widths {
            ranges,
            default: font.get(b"DW").number().unwrap_or(1000.0),
        }
    }
}

#[derive(Debug, Default)]
struct Font {
    /// Type0: multi-byte codes; otherwise one byte a code.
    composite: bool,
    to_unicode: Option<ToUnicode>,
    widths: Widths,
}

impl Font {
    fn read(doc: &Document, dict: &Dict) -> Result<Font> {
        let composite = dict.name_is(b"Subtype", b"Type0");
        let to_unicode = match doc.stream_of(dict.get(b"ToUnicode")) {
            Some((_, stream)) => Some(ToUnicode::parse(&doc.decode(&stream)?)),
            None => None,
        };
        let widths = if composite {
            match doc.resolve(dict.get(b"DescendantFonts")) {
                Object::Array(descendants) => {
                    Widths::cid(doc, &doc.resolve_dict(descendants.first()))
                }
                _ => Widths::default(),
            }
        } else {
            Widths::simple(doc, dict)
        };
        Ok(Font {
            composite,
            to_unicode,
            widths,
        })
    }

    /// Splits `bytes` into codes: `(code, its length in bytes)`.
    fn codes<'b>(&'b self, bytes: &'b [u8]) -> impl Iterator<Item = (u32, usize)> + 'b {
        let mut at = 0;
        std::iter::from_fn(move || {
            let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
            let len = if self.composite {
                let by_codespace = self
                    .to_unicode
                    .as_ref()
                    .and_then(|cmap| cmap.code_len(rest));
                by_codespace.unwrap_or(2).min(rest.len())
            } else {
                1
            };
            at += len;
            code_value(&rest[..len]).map(|(_, code)| (code, len))
        })
    }

    fn text(&self, code: u32, len: usize, out: &mut String) {
        let mapped = self
            .to_unicode
            .as_ref()
            .and_then(|cmap| cmap.text(len as u8, code));
        match mapped {
            Some(text) => out.push_str(&text),
            None if !self.composite => out.push(char::from(code as u8)),
            None => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Content streams (ISO 32000-1 §8.4, §9.3, §9.4).

/// `[a b c d e f]`, mapping `(x, y)` to `(a x + c y + e, b x + d y + f)`.
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `first` then `then`: the matrix of applying `first` and then `then`.
///
/// An entry that overflows reads as 0, so that no run's position or size is infinite or NaN
/// (a NaN would make a run unequal to itself).
fn multiply(first: &Matrix, then: &Matrix) -> Matrix {
    let [a, b, c, d, e, f] = *first;
    let [p, q, r, s, t, u] = *then;
    [
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    ]
    .map(|v| if v.is_finite() { v } else { 0.0 })
}

fn translation(x: f64, y: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, x, y]
}

#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    /// `Tz` / 100.
    horizontal_scale: f64,
    leading: f64,
    rise: f64,
}

impl GraphicsState {
    fn new(ctm: Matrix) -> GraphicsState {
        GraphicsState {
            ctm,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

struct ContentReader<'d, 'a> {
    doc: &'d Document<'a>,
    runs: Vec<TextRun>,
    /// Runs and text bytes of the whole call.
    total_runs: usize,
    text_bytes: usize,
    form_calls: usize,
    form_calls_on_page: usize,
    /// The forms being drawn, innermost last: one drawing itself is skipped.
    active_forms: Vec<u32>,
}

fn numbers<const N: usize>(operands: &[Object]) -> Option<[f64; N]> {
    let start = operands.len().checked_sub(N)?;
    let mut out = [0.0; N];
    for (slot, operand) in out.iter_mut().zip(&operands[start..]) {
        *slot = operand.number()?;
    }
    Some(out)
}

impl<'d, 'a> ContentReader<'d, 'a> {
    fn new(doc: &'d Document<'a>) -> ContentReader<'d, 'a> {
        ContentReader {
            doc,
            runs: Vec::new(),
            total_runs: 0,
            text_bytes: 0,
            form_calls: 0,
            form_calls_on_page: 0,
            active_forms: Vec::new(),
        }
    }

    /// Reads one content stream (a page's or a form's) drawn with `resources`, starting in
    /// `state`.
    fn read(
        &mut self,
        content: &[u8],
        resources: &Dict,
        mut state: GraphicsState,
        depth: usize,
    ) -> Result<()> {
        let mut fonts: HashMap<Vec<u8>, Option<Rc<Font>>> = HashMap::new();
        let font_dict = self.doc.resolve_dict(Some(resources.get(b"Font")));
        let mut saved: Vec<GraphicsState> = Vec::new();
        let mut text_matrix = IDENTITY;
        let mut line_matrix = IDENTITY;
        let mut operands: Vec<Object> = Vec::new();
        let mut parser = Parser::new(content, 0, false);

        while let Some(token) = parser.lexer.token() {
            let operator = match token {
                Token::Keyword(op) => op,
                token => {
                    parser.items = 0;
                    match parser.object_from(token, 1) {
                        Some(object) if operands.len() < MAX_OPERANDS => operands.push(object),
                        Some(_) => return refuse("a content stream has too many operands"),
                        // A malformed operand (an unclosed array, a dictionary with a
                        // stray value) is dropped; reading goes on after it.
                        None => operands.clear(),
                    }
                    continue;
                }
            };
            match operator {
                b"q" => {
                    if saved.len() == MAX_SAVED_STATES {
                        return refuse("a content stream saves graphics states too deeply");
                    }
                    saved.push(state.clone());
                }
                b"Q" => {
                    if let Some(previous) = saved.pop() {
                        state = previous;
                    }
                }
                b"cm" => {
                    if let Some(m) = numbers::<6>(&operands) {
                        state.ctm = multiply(&m, &state.ctm);
                    }
                }
                b"BT" => {
                    text_matrix = IDENTITY;
                    line_matrix = IDENTITY;
                }
                b"ET" => {}
                b"Tf" => {
                    if let (Some(Object::Name(name)), Some([size])) = (
                        operands.len().checked_sub(2).and_then(|i| operands.get(i)),
                        numbers::<1>(&operands),
                    ) {
                        state.size = size;
                        if !fonts.contains_key(name) {
                            let font = match font_dict.get(name) {
                                Object::Null => None,
                                object => Some(self.doc.font(object)?),
                            };
                            fonts.insert(name.clone(), font);
                        }
                        state.font = fonts.get(name).cloned().flatten();
                    }
                }
                b"Tm" => {
                    if let Some(m) = numbers::<6>(&operands) {
                        text_matrix = m;
                        line_matrix = m;
                    }
                }
                b"Td" | b"TD" => {
                    if let Some([x, y]) = numbers::<2>(&operands) {
                        if operator == b"TD" {
                            state.leading = -y;
                        }
                        line_matrix = multiply(&translation(x, y), &line_matrix);
                        text_matrix = line_matrix;
                    }
                }
                b"T*" => {
                    line_matrix = multiply(&translation(0.0, -state.leading), &line_matrix);
                    text_matrix = line_matrix;
                }
                b"TL" | b"Tc" | b"Tw" | b"Tz" | b"Ts" => {
                    if let Some([v]) = numbers::<1>(&operands) {
                        match operator {
                            b"TL" => state.leading = v,
                            b"Tc" => state.char_spacing = v,
                            b"Tw" => state.word_spacing = v,
                            b"Tz" => state.horizontal_scale = v / 100.0,
                            _ => state.rise = v,
                        }
                    }
                }
                b"Tj" | b"TJ" | b"'" | b"\"" => {
                    if operator == b"\""
                        && let Some([word, char]) = operands
                            .len()
                            .checked_sub(1)
                            .and_then(|end| numbers::<2>(&operands[..end]))
                    {
                        state.word_spacing = word;
                        state.char_spacing = char;
                    }
                    if operator == b"'" || operator == b"\"" {
                        line_matrix = multiply(&translation(0.0, -state.leading), &line_matrix);
                        text_matrix = line_matrix;
                    }
                    let shown: Vec<&Object> = match operands.last() {
                        Some(Object::Array(items)) if operator == b"TJ" => items.iter().collect(),
                        Some(s @ Object::String(_)) if operator != b"TJ" => vec![s],
                        _ => Vec::new(),
                    };
                    self.show(&shown, &state, &mut text_matrix)?;
                }
                b"Do" => {
                    if let Some(Object::Name(name)) = operands.last() {
                        self.draw_form(name, resources, &state, depth)?;
                    }
                }
                b"BI" => skip_inline_image(&mut parser),
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    /// Draws the strings (and applies the `TJ` adjustments) of one text-showing operator as
    /// one run, and moves the text matrix past them.
    fn show(
        &mut self,
        shown: &[&Object],
        state: &GraphicsState,
        text_matrix: &mut Matrix,
    ) -> Result<()> {
        let placed = multiply(text_matrix, &state.ctm);
        let [_, _, c, d, _, _] = placed;
        let start = multiply(&translation(0.0, state.rise), &placed);
        let mut text = String::new();
        let mut advance = 0.0f64;
        let fallback = Font::default();
        let font = state.font.as_deref().unwrap_or(&fallback);
        for item in shown {
            match item {
                Object::String(bytes) => {
                    for (code, len) in font.codes(bytes) {
                        font.text(code, len, &mut text);
                        let mut width =
                            font.widths.get(code) / 1000.0 * state.size + state.char_spacing;
                        if len == 1 && code == 32 {
                            width += state.word_spacing;
                        }
                        advance += width * state.horizontal_scale;
                    }
                }
                adjustment => {
                    if let Some(n) = adjustment.number() {
                        advance -= n / 1000.0 * state.size * state.horizontal_scale;
                    }
                }
            }
        }
        *text_matrix = multiply(&translation(advance, 0.0), text_matrix);
        // An operation that shows no character draws nothing.
        if text.is_empty() {
            return Ok(());
        }
        self.text_bytes = self.text_bytes.saturating_add(text.len());
        self.total_runs += 1;
        if self.runs.len() == MAX_RUNS_PER_PAGE {
            return refuse("a page has more than 100,000 text runs");
        }
        if self.total_runs > MAX_RUNS || self.text_bytes > MAX_TEXT_BYTES {
            return refuse("it has too much text");
        }
        // Finite in f64 can still overflow f32.
        let finite = |v: f64| Some(v as f32).filter(|v| v.is_finite()).unwrap_or(0.0);
        self.runs.push(TextRun {
            x: finite(start[4]),
            y: finite(start[5]),
            size: finite((state.size * c.hypot(d)).abs()),
            text,
        });
        Ok(())
    }

    /// `Do`: a form XObject's content, drawn with its own resources (or the drawing
    /// stream's) after its `/Matrix`. Images and other XObjects draw no text.
    fn draw_form(
        &mut self,
        name: &[u8],
        resources: &Dict,
        state: &GraphicsState,
        depth: usize,
    ) -> Result<()> {
        let xobjects = self.doc.resolve_dict(Some(resources.get(b"XObject")));
        let Some((number, stream)) = self.doc.stream_of(xobjects.get(name)) else {
            return Ok(());
        };
        if !stream.dict.name_is(b"Subtype", b"Form") || self.active_forms.contains(&number) {
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return refuse("its form XObjects are nested too deeply");
        }
        self.form_calls += 1;
        self.form_calls_on_page += 1;
        if self.form_calls > MAX_FORM_CALLS || self.form_calls_on_page > MAX_FORM_CALLS_PER_PAGE {
            return refuse("it draws too many form XObjects");
        }
        let matrix = match self.doc.resolve(stream.dict.get(b"Matrix")) {
            Object::Array(m) => {
                let m: Vec<Object> = m.iter().map(|o| self.doc.resolve(o)).collect();
                numbers::<6>(&m)
                    .filter(|_| m.len() == 6)
                    .unwrap_or(IDENTITY)
            }
            _ => IDENTITY,
        };
        let own = match stream.dict.get(b"Resources") {
            Object::Null => resources.clone(),
            object => self.doc.resolve_dict(Some(object)),
        };
        let content = self.doc.decode(&stream)?;
        self.active_forms.push(number);
        // A form is drawn in the state of the `Do`, as if between `q` and `Q`.
        let mut inner = state.clone();
        inner.ctm = multiply(&matrix, &state.ctm);
        let drawn = self.read(&content, &own, inner, depth + 1);
        self.active_forms.pop();
        drawn
    }
}

/// Skips an inline image, from after `BI` to past its `EI`: the dictionary up to `ID`, one
/// whitespace byte, then binary data that ends at an `EI` standing alone and followed by
/// text (image data can hold the bytes `EI` too). Without one, the stream ends there.
fn skip_inline_image(parser: &mut Parser) {
    let lexer = &mut parser.lexer;
    loop {
        match lexer.token() {
            None => return,
            Some(Token::Keyword(b"ID")) => break,
            Some(_) => {}
        }
    }
    let data = lexer.data;
    let start = (lexer.at + 1).min(data.len());
    let mut from = start;
    while let Some(found) = memchr::memmem::find(&data[from..], b"EI") {
        let at = from + found;
        from = at + 2;
        let alone_before = at == start || is_space(data[at - 1]);
        let after = &data[at + 2..];
        let alone_after = after.first().is_none_or(|&b| is_space(b));
        let text_after = after
            .iter()
            .take(32)
            .all(|&b| is_space(b) || (0x20..0x7f).contains(&b));
        if alone_before && alone_after && text_after {
            lexer.at = at + 2;
            return;
        }
    }
    lexer.at = data.len();
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A PDF of `objects`, numbered from 1, with object 1 as the catalog. No cross-reference
    /// table: the reader does not need one, and a hand-written one would be wrong anyway.
    fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut file = b"%PDF-1.7\n".to_vec();
        for (i, body) in objects.iter().enumerate() {
            file.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            file.extend_from_slice(body);
            file.extend_from_slice(b"\nendobj\n");
        }
        file.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
        file
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut body = format!("<< /Length {} {dict} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        body
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    const CMAP: &str = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
        2 beginbfchar <0003> <0041> <0004> <D83DDE00> endbfchar\n\
        2 beginbfrange <0010> <0012> <0061> <0020> <0021> [<0058> <00590059>] endbfrange\n\
        endcmap CMapName currentdict /CMap defineresource pop end end";

    /// Catalog, page tree, one page drawing `content` with a Type0 font `/F1` (the CMap
    /// above, glyphs 500 wide) and a simple font `/F2` without a CMap.
    fn document(content: &[u8]) -> Vec<Vec<u8>> {
        vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 \
               /Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> >>"
                .to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
            stream("/Filter /FlateDecode", &deflate(content)),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+Test /Encoding /Identity-H \
               /DescendantFonts [7 0 R] /ToUnicode 6 0 R >>"
                .to_vec(),
            stream("", CMAP.as_bytes()),
            b"<< /Type /Font /Subtype /CIDFontType2 /DW 1000 /W [3 [500 250] 16 18 500] >>"
                .to_vec(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 65 \
               /Widths [600 700] >>"
                .to_vec(),
        ]
    }

    fn texts(runs: &[TextRun]) -> Vec<&str> {
        runs.iter().map(|r| r.text.as_str()).collect()
    }

    fn one_page(file: &[u8]) -> Vec<TextRun> {
        let mut pages = page_texts(file).expect("readable");
        assert_eq!(pages.len(), 1, "pages");
        pages.remove(0)
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn the_lexer_reads_numbers_names_and_both_kinds_of_string() {
        let mut lexer = Lexer::new(
            b"12 -3.5 .5 4. - 99999999999999999999 /A#42c /#zz (a\\(b\\)c\\101\\\n(d)) <41 4 > \
              <<>>[]%comment\nTj",
            0,
        );
        let mut tokens = Vec::new();
        while let Some(t) = lexer.token() {
            tokens.push(t);
        }
        assert_eq!(
            tokens,
            vec![
                Token::Number(12.0, Some(12)),
                Token::Number(-3.5, None),
                Token::Number(0.5, None),
                Token::Number(4.0, None),
                Token::Number(0.0, None),
                Token::Number(1e20, None),
                Token::Name(b"ABc".to_vec()),
                Token::Name(b"#zz".to_vec()),
                Token::String(b"a(b)cA(d)".to_vec()),
                Token::String(b"A@".to_vec()),
                Token::DictOpen,
                Token::DictClose,
                Token::ArrayOpen,
                Token::ArrayClose,
                Token::Keyword(b"Tj"),
            ]
        );
    }

    #[test]
    fn references_are_told_from_two_numbers() {
        let n = |v: i64| Object::Number(v as f64, Some(v));
        // A negative generation is no reference, and a lone `R` is no value.
        assert_eq!(Parser::new(b"[5 -1 R]", 0, true).object(), None);
        let object = Parser::new(b"[1 0 R 2 0 3 0 R 4]", 0, true).object();
        assert_eq!(
            object,
            Some(Object::Array(vec![
                Object::Ref(1),
                n(2),
                n(0),
                Object::Ref(3),
                n(4)
            ]))
        );
    }

    #[test]
    fn a_cmap_maps_single_codes_ranges_and_listed_ranges() {
        let cmap = ToUnicode::parse(CMAP.as_bytes());
        assert_eq!(cmap.text(2, 3).as_deref(), Some("A"));
        assert_eq!(cmap.text(2, 4).as_deref(), Some("😀"));
        assert_eq!(cmap.text(2, 0x10).as_deref(), Some("a"));
        assert_eq!(cmap.text(2, 0x12).as_deref(), Some("c"));
        assert_eq!(cmap.text(2, 0x13), None);
        assert_eq!(cmap.text(2, 0x20).as_deref(), Some("X"));
        assert_eq!(cmap.text(2, 0x21).as_deref(), Some("YY"));
        assert_eq!(cmap.text(1, 3), None, "a one-byte code is another code");
        assert_eq!(cmap.code_len(&[0, 3]), Some(2));
        assert_eq!(cmap.code_len(&[0]), None);
    }

    #[test]
    fn a_bfrange_past_the_last_utf16_unit_maps_nothing_rather_than_wrapping() {
        let cmap = ToUnicode::parse(b"1 beginbfrange <00> <ff> <fff0> endbfrange");
        assert_eq!(cmap.text(1, 0x0f).as_deref(), Some("\u{ffff}"));
        assert_eq!(cmap.text(1, 0x10), None);
    }

    #[test]
    fn text_comes_through_the_cmap_at_its_place_and_size() {
        let content = b"q 2 0 0 2 10 20 cm BT /F1 12 Tf 1 0 0 1 30 40 Tm <000300100011> Tj \
                        (\\000\\004) Tj ET Q BT /F1 9 Tf 5 6 Td <0003 0099> Tj /F2 10 Tf \
                        [(A) -1000 (B)] TJ (AB) Tj ET";
        let runs = one_page(&pdf(&document(content)));
        assert_eq!(texts(&runs), ["Aab", "😀", "A\u{fffd}", "AB", "AB"]);
        let first = &runs[0];
        assert!(close(first.x, 70.0) && close(first.y, 100.0), "{first:?}");
        assert!(close(first.size, 24.0), "{first:?}");
        // <0003> is 500 wide, <0010> and <0011> 500 each (the range of /W): 1.5 em of 12 pt,
        // scaled by 2.
        assert!(close(runs[1].x, 70.0 + 1.5 * 12.0 * 2.0), "{:?}", runs[1]);
        assert!(close(runs[2].x, 5.0) && close(runs[2].y, 6.0) && close(runs[2].size, 9.0));
        // [(A) -1000 (B)] with A 600 wide and B 700, at 10 pt: 0.6 + 1 + 0.7 em.
        let after_tj = 5.0 + (0.5 + 1.0) * 9.0;
        assert!(close(runs[3].x, after_tj), "{:?}", runs[3]);
        assert!(close(runs[4].x, after_tj + 23.0), "{:?}", runs[4]);
    }

    #[test]
    fn quote_operators_move_to_the_next_line_and_set_spacing() {
        let content = b"BT /F2 10 Tf 14 TL 100 700 Td (A) ' 1 2 (B) \" (B) Tj ET";
        let runs = one_page(&pdf(&document(content)));
        assert_eq!(texts(&runs), ["A", "B", "B"]);
        assert!(
            close(runs[0].y, 686.0) && close(runs[1].y, 672.0),
            "{runs:?}"
        );
        // B is 700 wide at 10 pt, plus 2 of character spacing.
        assert!(close(runs[2].x, 100.0 + 7.0 + 2.0), "{runs:?}");
    }

    #[test]
    fn ascii85_decodes_and_chains_with_flate() {
        assert_eq!(ascii85(b"9jqo^~>").unwrap(), b"Man ");
        assert_eq!(ascii85(b"<~z9jqo^9jqo~>").unwrap(), b"\0\0\0\0Man Man");
        assert!(ascii85(b"9jqo^x").is_err());
        assert!(ascii85(b"s8W-\"").is_err(), "a group above 2^32 - 1");
        // Round trip through an encoder written here, over every tail length.
        let data: Vec<u8> = (0..=255u8).chain([0, 0, 0, 0, 7]).collect();
        for len in [0, 1, 2, 3, 4, 5, data.len()] {
            assert_eq!(ascii85(&encode85(&data[..len])).unwrap(), &data[..len]);
        }

        let content = b"BT /F2 10 Tf (AB) Tj ET";
        let mut objects = document(content);
        objects[3] = stream(
            "/Filter [/ASCII85Decode /FlateDecode]",
            &encode85(&deflate(content)),
        );
        assert_eq!(texts(&one_page(&pdf(&objects))), ["AB"]);
        let hex: String = content.iter().map(|b| format!("{b:02x} ")).collect();
        objects[3] = stream("/Filter /AHx", format!("{hex}>").as_bytes());
        assert_eq!(texts(&one_page(&pdf(&objects))), ["AB"]);
    }

    fn encode85(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(4) {
            let mut group = [0u8; 4];
            group[..chunk.len()].copy_from_slice(chunk);
            let mut value = u32::from_be_bytes(group);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = (value % 85) as u8 + b'!';
                value /= 85;
            }
            out.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        out.extend_from_slice(b"~>");
        out
    }

    #[test]
    fn unknown_filters_and_predictors_are_refused() {
        for dict in [
            "/Filter /DCTDecode",
            "/Filter [/FlateDecode] /DecodeParms [<< /Predictor 12 >>]",
            "/Filter 5",
        ] {
            let mut objects = document(b"");
            objects[3] = stream(dict, b"BT ET");
            assert!(page_texts(&pdf(&objects)).is_err(), "{dict}");
        }
    }

    #[test]
    fn a_deflate_bomb_is_refused_at_the_limits() {
        let bomb = deflate(&vec![b' '; MAX_STREAM_BYTES + 1]);
        assert!(bomb.len() < 20_000, "{} bytes", bomb.len());
        let mut objects = document(b"");
        objects[3] = stream("/Filter /FlateDecode", &bomb);
        let one = pdf(&objects);
        // Under the limit for one stream, but drawn by one page twenty times over.
        objects[3] = stream("/Filter /FlateDecode", &deflate(&vec![b' '; 5 << 20]));
        objects[2] = format!("<< /Type /Page /Contents [{}] >>", "4 0 R ".repeat(20)).into_bytes();
        let repeated = pdf(&objects);

        // Inflating stops at the limits rather than after the whole stream.
        let error = page_texts(&one).unwrap_err();
        assert!(error.to_string().contains("16 MiB"), "{error}");
        let error = page_texts(&repeated).unwrap_err();
        assert!(error.to_string().contains("64 MiB"), "{error}");
    }

    #[test]
    fn cycles_are_read_once() {
        let mut objects = document(b"BT /F2 10 Tf (A) Tj /X1 Do ET");
        // The page tree lists itself, and the page twice.
        objects[1] = b"<< /Type /Pages /Kids [3 0 R 2 0 R 3 0 R] \
                       /Resources << /Font << /F2 8 0 R >> /XObject << /X1 9 0 R >> >> >>"
            .to_vec();
        // A form that draws itself.
        objects.push(stream(
            "/Type /XObject /Subtype /Form /Matrix [1 0 0 1 0 100]",
            b"BT /F2 10 Tf (B) Tj ET /X1 Do",
        ));
        let runs = one_page(&pdf(&objects));
        assert_eq!(texts(&runs), ["A", "B"]);
        assert!(close(runs[1].y, 100.0), "{runs:?}");

        // A page whose content is itself, and resources that refer to each other.
        objects[2] = b"<< /Type /Page /Contents 3 0 R /Resources 10 0 R >>".to_vec();
        objects.push(b"11 0 R".to_vec());
        objects.push(b"10 0 R".to_vec());
        assert_eq!(one_page(&pdf(&objects)), []);
    }

    #[test]
    fn a_form_draws_in_the_state_of_its_do_after_its_matrix() {
        let mut objects = document(b"BT /F2 10 Tf ET q 1 0 0 1 100 0 cm /X1 Do Q /X1 Do");
        objects[1] = b"<< /Type /Pages /Kids [3 0 R] \
                       /Resources << /Font << /F2 8 0 R >> /XObject << /X1 9 0 R >> >> >>"
            .to_vec();
        objects.push(stream(
            "/Subtype /Form /Matrix [2 0 0 2 0 50]",
            b"BT 1 2 Td (A) Tj ET",
        ));
        let runs = one_page(&pdf(&objects));
        assert_eq!(texts(&runs), ["A", "A"]);
        assert!(
            close(runs[0].x, 102.0) && close(runs[0].y, 54.0),
            "{runs:?}"
        );
        assert!(close(runs[0].size, 20.0), "{runs:?}");
        assert!(close(runs[1].x, 2.0) && close(runs[1].y, 54.0), "{runs:?}");
    }

    #[test]
    fn deep_nesting_is_refused_or_skipped_without_overflowing_the_stack() {
        let deep = format!("{}(A){} Tj", "[".repeat(100_000), "]".repeat(100_000));
        let runs = one_page(&pdf(&document(
            format!("BT /F2 10 Tf {deep} (B) Tj ET").as_bytes(),
        )));
        assert_eq!(texts(&runs), ["B"]);

        // A page tree 200 levels deep.
        let mut objects = vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()];
        for i in 2..202 {
            objects.push(format!("<< /Type /Pages /Kids [{} 0 R] >>", i + 1).into_bytes());
        }
        objects.push(b"<< /Type /Page >>".to_vec());
        assert!(page_texts(&pdf(&objects)).is_err());

        // Forms drawing each other two at a time, deeper than the limit.
        let mut objects = document(b"/X0 Do");
        objects[1] = b"<< /Type /Pages /Kids [3 0 R] /Resources 9 0 R >>".to_vec();
        objects.push(b"<< /XObject << /X0 10 0 R >> >>".to_vec());
        for i in 0..70 {
            objects.push(stream(
                &format!(
                    "/Subtype /Form /Resources << /XObject << /X0 {} 0 R >> >>",
                    i + 11
                ),
                b"/X0 Do /X0 Do",
            ));
        }
        assert!(page_texts(&pdf(&objects)).is_err());
        // Where every form ends, the calls that it takes are counted.
        objects[10 + 69 - 1] = stream("/Subtype /Form", b"q Q");
        let error = page_texts(&pdf(&objects)).unwrap_err();
        assert!(error.to_string().contains("form XObjects"), "{error}");
    }

    #[test]
    fn a_truncated_file_reads_what_it_has_and_never_panics() {
        let content = b"BT /F2 10 Tf (AB) Tj ET";
        let mut objects = document(content);
        objects[3] = stream("", content);
        let file = pdf(&objects);
        for len in 0..file.len() {
            let _ = page_texts(&file[..len]);
        }
        // Cut before the trailer: the catalog is found by its type.
        let cut = memchr::memmem::find(&file, b"trailer").unwrap();
        assert_eq!(texts(&one_page(&file[..cut])), ["AB"]);
        // Cut inside the content stream: what is there is read.
        let cut = memchr::memmem::find(&file, b"(AB) Tj").unwrap() + 7;
        let mut cut_file = file[..cut].to_vec();
        cut_file.extend_from_slice(b"\ntrailer << /Root 1 0 R >>");
        assert!(page_texts(&cut_file).is_ok());
    }

    #[test]
    fn a_wrong_length_is_overruled_by_endstream() {
        let content = b"BT /F2 10 Tf (AB) Tj ET";
        for length in ["99999", "3", "-1", "99999999999999999999999", "12 0 R"] {
            let mut objects = document(content);
            let mut body = format!("<< /Length {length} >>\nstream\n").into_bytes();
            body.extend_from_slice(content);
            body.extend_from_slice(b"\nendstream");
            objects[3] = body;
            assert_eq!(texts(&one_page(&pdf(&objects))), ["AB"], "/Length {length}");
        }
    }

    #[test]
    fn an_inline_image_is_skipped_whole() {
        let mut content = b"BT /F2 10 Tf (A) Tj ET BI /W 4 /H 1 /BPC 8 /CS /G ID ".to_vec();
        content.extend_from_slice(b"(\xff EI\x01 Tj [<");
        content.extend_from_slice(b"\nEI BT /F2 10 Tf (B) Tj ET");
        let runs = one_page(&pdf(&document(&content)));
        assert_eq!(texts(&runs), ["A", "B"]);
        // An image that never ends ends the stream, and nothing more is read.
        let runs = one_page(&pdf(&document(b"(A) Tj BI /W 1 ID \x00(B) Tj")));
        assert_eq!(texts(&runs), ["A"]);
    }

    #[test]
    fn later_definitions_win_in_files_and_object_streams() {
        let objects = document(b"BT /F2 10 Tf (A) Tj ET");
        // The page again, inside an object stream after the first definition...
        let mut file = pdf(&objects);
        let redefined = stream(
            "/Type /ObjStm /N 1 /First 4",
            b"3 0 << /Type /Page /Contents 10 0 R >>",
        );
        file.extend_from_slice(b"9 0 obj\n");
        file.extend_from_slice(&redefined);
        file.extend_from_slice(b"\nendobj\n10 0 obj\n");
        file.extend_from_slice(&stream("", b"BT /F2 10 Tf (B) Tj ET"));
        file.extend_from_slice(b"\nendobj\n");
        assert_eq!(texts(&one_page(&file)), ["B"]);
        // ...and a direct definition after that object stream wins over it.
        file.extend_from_slice(b"3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n");
        assert_eq!(texts(&one_page(&file)), ["A"]);
    }

    #[test]
    fn a_file_with_no_catalog_or_pages_is_refused() {
        assert!(page_texts(b"").is_err());
        assert!(page_texts(b"%PDF-1.7\n1 0 obj << >> endobj").is_err());
        assert!(page_texts(&pdf(&[b"<< /Type /Catalog >>".to_vec()])).is_err());
    }
}
