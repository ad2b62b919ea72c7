//! `recibo verify` against receipts edited the way a forger edits them: in their own bytes,
//! not by rendering them again from other data.
//!
//! A receipt is uncompressed with qpdf (`qpdf --qdf`), a glyph code in its page content is
//! swapped for another, and `fix-qdf` makes the file whole again (stream lengths, xref).
//! Which code draws which character is read here from the font's own ToUnicode CMap in the
//! file, and what the edited file shows is checked with poppler's pdftotext, so neither the
//! edit nor its effect is taken from recibo's own PDF reader.
//!
//! Expected values come from the data: the amounts from the sample CSV (formatted by the
//! small BRL table below), the labels from `locales/*/receipt.ftl`, and the verdict's
//! wording from `src/cli/verify.rs` and `src/receipt/compare.rs`.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::Path;
use std::process::Command;

use support::{amount_major, recibo, repo, samples};

/// Fixed, so a receipt rendered twice is the same bytes.
const GENERATED_AT: &str = "2026-11-01T00:00:00Z";
/// The languages receipts are written in.
const LANGS: [&str; 3] = ["pt-BR", "en", "zh-CN"];
/// What `verify` says of an altered file whose visible text is all the data's.
const NO_TEXT_CHANGED: &str = "every text it shows is as the data gives; the change is in \
                               what else it draws, its metadata or its structure";

// ---------------------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------------------

/// A successful refund of the samples and its original payment, as the CSV writes them.
#[derive(Clone, Debug)]
struct Refund {
    id: String,
    /// The refund's amount, negative as reports write refunds: `-810.59`.
    amount: String,
    /// The original payment's amount: `964.99`.
    original: String,
}

/// The samples' successful BRL refunds with their original payments, in file order.
fn brl_refunds() -> Vec<Refund> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(samples())
        .expect("the samples are readable");
    let headers = reader.headers().unwrap().clone();
    let column = |key: &str| {
        headers
            .iter()
            .position(|h| h == key)
            .unwrap_or_else(|| panic!("no {key} column in the samples"))
    };
    let (id, original_id, kind, status, amount, currency) = (
        column("transactionId"),
        column("originalTransactionId"),
        column("transactionType"),
        column("status"),
        column("transactionAmountValue"),
        column("transactionCurrency"),
    );
    // The gateway's report ends with an `<END>` line of one field.
    let rows: Vec<csv::StringRecord> = reader
        .into_records()
        .map(|r| r.unwrap())
        .take_while(|r| r.len() > 1 || &r[0] != "<END>")
        .collect();
    let payments: HashMap<&str, &str> = rows
        .iter()
        .filter(|r| &r[kind] == "PAYMENT")
        .map(|r| (&r[id], &r[amount]))
        .collect();
    rows.iter()
        .filter(|r| &r[kind] == "REFUND" && &r[status] == "SUCCESS" && &r[currency] == "BRL")
        .filter_map(|r| {
            Some(Refund {
                id: r[id].to_string(),
                amount: r[amount].to_string(),
                original: payments.get(&r[original_id])?.to_string(),
            })
        })
        .collect()
}

impl Refund {
    /// The refund's amount as the receipt states it: what was given back, without a sign.
    fn given_back(&self) -> &str {
        self.amount.trim_start_matches('-')
    }

    /// A full refund gives back the whole payment: its receipt shows one amount twice.
    fn is_full(&self) -> bool {
        amount_major(self.given_back(), "BRL", '.') == amount_major(&self.original, "BRL", '.')
    }
}

/// A BRL amount of the CSV (`1234.5`) as CLDR writes it in `lang`: `R$ 1.234,50` (with a
/// no-break space) in Brazilian Portuguese, `R$1,234.50` in English and Chinese.
fn brl(lang: &str, csv: &str) -> String {
    let plain = amount_major(csv, "BRL", '.');
    let (units, cents) = plain.split_once('.').unwrap();
    let (group, decimal, space) = match lang {
        "pt-BR" => ('.', ',', "\u{a0}"),
        "en" | "zh-CN" => (',', '.', ""),
        _ => panic!("no BRL format for {lang} in the test table"),
    };
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    format!("R${space}{grouped}{decimal}{cents}")
}

/// A message of `locales/LANG/receipt.ftl`, as the file writes it (the labels are plain).
fn label(lang: &str, id: &str) -> String {
    let path = repo().join("locales").join(lang).join("receipt.ftl");
    let ftl = std::fs::read_to_string(&path).unwrap();
    ftl.lines()
        .find_map(|l| l.strip_prefix(&format!("{id} =")))
        .unwrap_or_else(|| panic!("no {id} in {}", path.display()))
        .trim()
        .to_string()
}

/// Text as `verify` quotes it: any white space (the no-break space in an amount) is a space.
fn spaced(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Running recibo and the tools
// ---------------------------------------------------------------------------------------

/// Renders `refund`'s receipt in `lang` into `dir/name`.
fn render(dir: &Path, refund: &Refund, lang: &str, name: &str) {
    recibo(
        dir,
        &[
            "receipt",
            &refund.id,
            "-i",
            &samples(),
            "--lang",
            lang,
            "--generated-at",
            GENERATED_AT,
            "-o",
            name,
        ],
    )
    .assert_code(0);
}

/// `recibo verify FILES -i samples` in `dir`: its exit code and its report's lines.
fn verify(dir: &Path, files: &[&str]) -> (i32, Vec<String>) {
    let mut args = vec!["verify"];
    args.extend(files);
    let samples = samples();
    args.extend(["-i", &samples]);
    let run = recibo(dir, &args);
    let lines = run.stdout_text().lines().map(str::to_string).collect();
    (run.code, lines)
}

/// What `verify` says of an altered single receipt, up to what differs.
fn altered(refund: &Refund, lang: &str) -> String {
    format!(
        "altered: not the receipt the data gives for refund {} ({lang})",
        refund.id
    )
}

#[track_caller]
fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{name}` ({e}): tests/run.sh installs qpdf and poppler-utils")
    });
    assert!(
        out.status.success(),
        "`{name} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The text pdftotext reads from a PDF, white space as spaces.
fn pdftotext(pdf: &Path) -> String {
    spaced(&String::from_utf8(tool("pdftotext", &[p(pdf), "-"])).unwrap())
}

/// `pdf` rewritten by qpdf in its QDF form: every stream uncompressed, no object streams,
/// one object after another, so its page content can be edited as text.
fn qdf(pdf: &Path) -> Qdf {
    let out = pdf.with_extension("qdf.pdf");
    tool(
        "qpdf",
        &["--qdf", "--object-streams=disable", p(pdf), p(&out)],
    );
    Qdf {
        bytes: std::fs::read(&out).unwrap(),
    }
}

/// Writes edited QDF bytes to `out`, made a valid PDF again by `fix-qdf`, and checks that
/// qpdf finds the result sound: a forger's file opens in every reader.
fn write_fixed(bytes: &[u8], out: &Path) {
    let raw = out.with_extension("edited.pdf");
    std::fs::write(&raw, bytes).unwrap();
    std::fs::write(out, tool("fix-qdf", &[p(&raw)])).unwrap();
    tool("qpdf", &["--check", p(out)]);
}

// ---------------------------------------------------------------------------------------
// Reading and editing a QDF file
// ---------------------------------------------------------------------------------------

/// A PDF in qpdf's QDF form.
struct Qdf {
    bytes: Vec<u8>,
}

impl Qdf {
    /// The span of object `n` (`n 0 obj` to `endobj`).
    fn object(&self, n: u32) -> Range<usize> {
        let head = format!("\n{n} 0 obj\n");
        let start =
            find(&self.bytes, head.as_bytes(), 0).unwrap_or_else(|| panic!("no object {n}")) + 1;
        let end = find(&self.bytes, b"\nendobj", start).unwrap();
        start..end
    }

    /// Object `n`'s dictionary (or whatever precedes its stream), as text.
    fn dict(&self, n: u32) -> String {
        let span = self.object(n);
        let body = &self.bytes[span];
        let end = find(body, b"\nstream\n", 0).unwrap_or(body.len());
        String::from_utf8_lossy(&body[..end]).into_owned()
    }

    /// The span of object `n`'s stream data (uncompressed, in QDF form).
    fn stream(&self, n: u32) -> Range<usize> {
        let span = self.object(n);
        let start = find(&self.bytes, b"\nstream\n", span.start).unwrap() + b"\nstream\n".len();
        let end = find(&self.bytes, b"endstream", start).unwrap();
        assert!(end <= span.end, "object {n} has no stream");
        start..end
    }

    /// The first page's object number.
    fn first_page(&self) -> u32 {
        // Every object's number and dictionary, in file order; the first of type /Page.
        let mut at = 0;
        while let Some(i) = find(&self.bytes, b" 0 obj\n", at) {
            let digits = self.bytes[..i]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let n: u32 = std::str::from_utf8(&self.bytes[i - digits..i])
                .unwrap()
                .parse()
                .unwrap();
            let dict = self.dict(n);
            if dict.lines().any(|l| l.trim() == "/Type /Page") {
                return n;
            }
            at = i + 1;
        }
        panic!("no page in the file");
    }

    /// The first page's content stream and, by resource name (`/f0`), the glyph codes of
    /// each of its fonts.
    fn page(&self) -> (Range<usize>, HashMap<String, Font>) {
        let page = self.first_page();
        let page_dict = self.dict(page);
        let contents = reference(&page_dict, "/Contents")
            .expect("the page's content is one stream (a reference)");
        let resources = match reference(&page_dict, "/Resources") {
            Some(n) => self.dict(n),
            None => page_dict,
        };
        let fonts_at = resources
            .find("/Font <<")
            .expect("the page's resources hold its fonts");
        let fonts_end = fonts_at + resources[fonts_at..].find(">>").unwrap();
        let mut fonts = HashMap::new();
        for line in resources[fonts_at + "/Font <<".len()..fonts_end].lines() {
            let Some((name, _)) = line.trim().split_once(' ') else {
                continue;
            };
            let n = reference(line, name).unwrap();
            let cmap = reference(&self.dict(n), "/ToUnicode")
                .unwrap_or_else(|| panic!("font {name} has no ToUnicode CMap"));
            let cmap = String::from_utf8_lossy(&self.bytes[self.stream(cmap)]).into_owned();
            fonts.insert(name.to_string(), Font::from_cmap(&cmap));
        }
        (self.stream(contents), fonts)
    }
}

/// The object number of `N 0 R` after `key` in a QDF dictionary.
fn reference(dict: &str, key: &str) -> Option<u32> {
    let at = dict.find(&format!("{key} "))? + key.len();
    let mut words = dict[at..].split_whitespace();
    let n = words.next()?.parse().ok()?;
    (words.next()? == "0" && words.next()? == "R").then_some(n)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A Type0 font's glyph codes, read from its ToUnicode CMap: two bytes each.
struct Font {
    text: HashMap<u16, String>,
}

impl Font {
    fn from_cmap(cmap: &str) -> Font {
        // A subset font of recibo's is Identity-H: every code is two bytes.
        let space = section(cmap, "begincodespacerange", "endcodespacerange");
        assert!(
            space.iter().all(|s| s.len() == 4),
            "codes of another width: {space:?}"
        );
        let hex = |h: &str| u16::from_str_radix(h, 16).unwrap();
        let unicode = |h: &str| {
            let units: Vec<u16> = (0..h.len()).step_by(4).map(|i| hex(&h[i..i + 4])).collect();
            String::from_utf16(&units).unwrap()
        };
        let mut text = HashMap::new();
        for pair in section(cmap, "beginbfchar", "endbfchar").chunks(2) {
            text.insert(hex(&pair[0]), unicode(&pair[1]));
        }
        // Ranges: `<lo> <hi> <first>` (the last UTF-16 unit counts up) or `<lo> <hi> [...]`.
        let ranges = sections(cmap, "beginbfrange", "endbfrange");
        for body in ranges {
            let mut rest = body.as_str();
            while let Some(lo_at) = rest.find('<') {
                let (lo, after) = hex_token(&rest[lo_at..]);
                let (hi, after) = hex_token(after.trim_start());
                let after = after.trim_start();
                let (lo, hi) = (hex(&lo), hex(&hi));
                if after.starts_with('[') {
                    let close = after.find(']').unwrap();
                    let mut list = &after[1..close];
                    for code in lo..=hi {
                        let (dst, next) = hex_token(list.trim_start());
                        text.insert(code, unicode(&dst));
                        list = next;
                    }
                    rest = &after[close + 1..];
                } else {
                    let (dst, next) = hex_token(after);
                    let mut units: Vec<u16> = (0..dst.len())
                        .step_by(4)
                        .map(|i| hex(&dst[i..i + 4]))
                        .collect();
                    for code in lo..=hi {
                        text.insert(code, String::from_utf16(&units).unwrap());
                        *units.last_mut().unwrap() += 1;
                    }
                    rest = next;
                }
            }
        }
        Font { text }
    }

    /// The text of a string's bytes.
    fn decode(&self, codes: &[u8]) -> String {
        assert!(codes.len().is_multiple_of(2), "a string of odd length");
        codes
            .chunks(2)
            .map(|c| {
                let code = u16::from_be_bytes([c[0], c[1]]);
                self.text
                    .get(&code)
                    .cloned()
                    .unwrap_or_else(|| panic!("code {code:04X} is not in the CMap"))
            })
            .collect()
    }

    /// The code that draws `c`, when the subset has one.
    fn code_of(&self, c: char) -> Option<u16> {
        let want = c.to_string();
        let mut codes: Vec<u16> = self
            .text
            .iter()
            .filter(|(_, t)| **t == want)
            .map(|(code, _)| *code)
            .collect();
        codes.sort();
        codes.first().copied()
    }
}

/// The hex tokens between every `begin` and the `end` after it, in order.
fn section(cmap: &str, begin: &str, end: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for body in sections(cmap, begin, end) {
        let mut rest = body.as_str();
        while let Some(at) = rest.find('<') {
            let (token, next) = hex_token(&rest[at..]);
            tokens.push(token);
            rest = next;
        }
    }
    tokens
}

fn sections(cmap: &str, begin: &str, end: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = cmap;
    while let Some(at) = rest.find(begin) {
        let body = &rest[at + begin.len()..];
        let close = body.find(end).unwrap();
        out.push(body[..close].to_string());
        rest = &body[close..];
    }
    out
}

/// `<0041>` at the start of `text`: its digits (upper case), and the text after it.
fn hex_token(text: &str) -> (String, &str) {
    assert!(text.starts_with('<'), "no hex token at {text:.20?}");
    let close = text.find('>').unwrap();
    (text[1..close].to_ascii_uppercase(), &text[close + 1..])
}

/// One string operand of a text-showing operator in a content stream.
#[derive(Clone, Debug)]
struct Shown {
    /// Where the string's token (`<...>` or `(...)`) is in the content stream.
    span: Range<usize>,
    /// Its bytes: the glyph codes.
    codes: Vec<u8>,
}

/// The strings of one `BT ... ET` block: one run of text on one line.
#[derive(Debug)]
struct TextBlock {
    font: String,
    /// The baseline of the block's text matrix, in the stream's own coordinates: two blocks
    /// on one line of the page have the same.
    y: f32,
    shown: Vec<Shown>,
}

/// The text blocks of a content stream, read with a small tokenizer of its own: strings
/// (hex and literal), names, numbers and operators.
fn text_blocks(content: &[u8]) -> Vec<TextBlock> {
    let mut blocks = Vec::new();
    let mut operands: Vec<String> = Vec::new();
    // The strings of the block so far, and those not yet taken by an operator.
    let mut strings: Vec<Shown> = Vec::new();
    let mut pending: Vec<Shown> = Vec::new();
    let (mut font, mut y) = (String::new(), 0.0f32);
    let mut i = 0;
    while i < content.len() {
        let b = content[i];
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b'%' => {
                while i < content.len() && content[i] != b'\n' {
                    i += 1;
                }
            }
            b'<' if content.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if content.get(i + 1) == Some(&b'>') => i += 2,
            b'[' | b']' | b'{' | b'}' => i += 1,
            b'<' => {
                let close = i + content[i..].iter().position(|&c| c == b'>').unwrap();
                let digits: Vec<u8> = content[i + 1..close]
                    .iter()
                    .copied()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                let digits = std::str::from_utf8(&digits).unwrap();
                let codes = (0..digits.len())
                    .step_by(2)
                    .map(|k| u8::from_str_radix(&digits[k..(k + 2).min(digits.len())], 16).unwrap())
                    .collect();
                pending.push(Shown {
                    span: i..close + 1,
                    codes,
                });
                i = close + 1;
            }
            b'(' => {
                let (codes, end) = literal(content, i);
                pending.push(Shown {
                    span: i..end,
                    codes,
                });
                i = end;
            }
            _ => {
                let start = i;
                i += 1;
                while i < content.len()
                    && !content[i].is_ascii_whitespace()
                    && !b"()<>[]{}/%".contains(&content[i])
                {
                    i += 1;
                }
                let word = String::from_utf8_lossy(&content[start..i]).into_owned();
                if word.starts_with('/') || word.parse::<f32>().is_ok() {
                    operands.push(word);
                    continue;
                }
                match word.as_str() {
                    "BT" => {
                        y = 0.0;
                        strings.clear();
                    }
                    "Tf" => font = operands[operands.len() - 2].clone(),
                    "Tm" => y = operands.last().unwrap().parse().unwrap(),
                    "Td" | "TD" => y += operands.last().unwrap().parse::<f32>().unwrap(),
                    "ET" => blocks.push(TextBlock {
                        font: font.clone(),
                        y,
                        shown: std::mem::take(&mut strings),
                    }),
                    "Tj" | "TJ" | "'" | "\"" => strings.append(&mut pending),
                    _ => {}
                }
                // Strings of any other operator (a marked-content tag's) are no text.
                pending.clear();
                operands.clear();
            }
        }
    }
    blocks
}

/// The bytes of the literal string that starts at `content[at]` (its `(`), and where it
/// ends: escapes undone, balanced parentheses kept.
fn literal(content: &[u8], at: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut i = at;
    loop {
        let b = content[i];
        i += 1;
        match b {
            b'(' => {
                depth += 1;
                if depth > 1 {
                    out.push(b);
                }
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return (out, i);
                }
                out.push(b);
            }
            b'\\' => {
                let e = content[i];
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut value = u32::from(e - b'0');
                        for _ in 0..2 {
                            match content[i] {
                                d @ b'0'..=b'7' => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(value as u8);
                    }
                    b'\r' | b'\n' => {}
                    other => out.push(other),
                }
            }
            _ => out.push(b),
        }
    }
}

/// Glyph codes as a hex string token.
fn hex_string(codes: &[u8]) -> Vec<u8> {
    let mut out = b"<".to_vec();
    for b in codes {
        out.extend(format!("{b:02x}").bytes());
    }
    out.push(b'>');
    out
}

/// Glyph codes as a literal string token: printable ASCII as itself, the rest (and the
/// delimiters) as octal escapes, as a tool that rewrites strings may write them.
fn literal_string(codes: &[u8]) -> Vec<u8> {
    let mut out = b"(".to_vec();
    for &b in codes {
        if (b.is_ascii_graphic() && !b"()\\".contains(&b)) || b == b' ' {
            out.push(b);
        } else {
            out.extend(format!("\\{b:03o}").bytes());
        }
    }
    out.push(b')');
    out
}

/// A receipt uncompressed, with its first page's text blocks as its fonts decode them.
struct Page {
    qdf: Qdf,
    content: Range<usize>,
    fonts: HashMap<String, Font>,
    blocks: Vec<TextBlock>,
}

impl Page {
    fn read(pdf: &Path) -> Page {
        let qdf = qdf(pdf);
        let (content, fonts) = qdf.page();
        let blocks = text_blocks(&qdf.bytes[content.clone()]);
        assert!(!blocks.is_empty(), "no text on the page");
        Page {
            qdf,
            content,
            fonts,
            blocks,
        }
    }

    fn text(&self, block: &TextBlock) -> String {
        let font = &self.fonts[&block.font];
        block.shown.iter().map(|s| font.decode(&s.codes)).collect()
    }

    /// The block that draws `value` on the line of the block that draws `label`: a row's
    /// value, found by its label, so of two rows with the same value the right one.
    fn value_of(&self, label: &str) -> &TextBlock {
        let labels: Vec<&TextBlock> = self
            .blocks
            .iter()
            .filter(|b| self.text(b) == label)
            .collect();
        let [label_block] = labels.as_slice() else {
            panic!("{} blocks draw the label {label:?}", labels.len());
        };
        let on_line: Vec<&TextBlock> = self
            .blocks
            .iter()
            .filter(|b| !std::ptr::eq(*b, *label_block) && (b.y - label_block.y).abs() < 0.5)
            .collect();
        let [value] = on_line.as_slice() else {
            panic!("{} blocks beside the label {label:?}", on_line.len());
        };
        value
    }

    /// The content stream with a digit of `block` drawn as another digit the same font
    /// draws elsewhere on the page, the edited string written by `token`; and the block's
    /// text as it now reads.
    fn swap_a_digit(&self, block: &TextBlock, token: fn(&[u8]) -> Vec<u8>) -> (Vec<u8>, String) {
        let font = &self.fonts[&block.font];
        for (s, shown) in block.shown.iter().enumerate() {
            for (k, pair) in shown.codes.chunks(2).enumerate() {
                let text = font.decode(pair);
                let Some(digit) = text.chars().next().and_then(|c| c.to_digit(10)) else {
                    continue;
                };
                // The next digit up (round from 9 to 0) of those the subset can draw.
                let Some((other, code)) = (1..10)
                    .map(|step| char::from_digit((digit + step) % 10, 10).unwrap())
                    .find_map(|c| Some((c, font.code_of(c)?)))
                else {
                    continue;
                };
                let mut codes = shown.codes.clone();
                codes[2 * k..2 * k + 2].copy_from_slice(&code.to_be_bytes());
                let mut bytes = self.qdf.bytes.clone();
                let at = self.content.start;
                bytes.splice(at + shown.span.start..at + shown.span.end, token(&codes));
                // What the block reads now: its strings before, the edited one, after.
                let mut forged: String = block.shown[..s]
                    .iter()
                    .map(|x| font.decode(&x.codes))
                    .collect();
                forged.push_str(&font.decode(&codes));
                forged.extend(block.shown[s + 1..].iter().map(|x| font.decode(&x.codes)));
                let real = self.text(block);
                assert_ne!(forged, real);
                assert_eq!(
                    forged.chars().filter(|&c| c == other).count(),
                    real.chars().filter(|&c| c == other).count() + 1
                );
                return (bytes, forged);
            }
        }
        panic!("no digit to swap in {:?}", self.text(block));
    }
}

/// Renders `refund` in `lang` as `name`, swaps a digit of the value beside `label` and
/// writes the forged file as `forged`; returns the value as drawn and as forged.
fn forge_value(
    dir: &Path,
    refund: &Refund,
    lang: &str,
    label: &str,
    token: fn(&[u8]) -> Vec<u8>,
    forged: &str,
) -> (String, String) {
    let name = format!("{}_{lang}.pdf", refund.id);
    render(dir, refund, lang, &name);
    let page = Page::read(&dir.join(&name));
    let value = page.value_of(label);
    let real = page.text(value);
    let (bytes, shows) = page.swap_a_digit(value, token);
    write_fixed(&bytes, &dir.join(forged));
    (real, shows)
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

/// The forger's first edit: one digit of the refunded amount. Verify must name the row by
/// its label in the receipt's language and quote both the data's amount and the file's.
#[test]
fn a_digit_swapped_in_the_refunded_amount_is_named_with_both_amounts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A partial refund of four digits or more: its amount is shown once, grouped.
    let refund = brl_refunds()
        .into_iter()
        .find(|r| !r.is_full() && r.given_back().split('.').next().unwrap().len() >= 4)
        .expect("a partial BRL refund of 1000 or more in the samples");
    for lang in LANGS {
        let label = label(lang, "label-refunded-amount");
        let forged_name = format!("forged_{lang}.pdf");
        let (real, forged) = forge_value(d, &refund, lang, &label, hex_string, &forged_name);
        // The receipt drew what the data gives...
        assert_eq!(spaced(&real), spaced(&brl(lang, refund.given_back())));
        // ...and the edited file shows the forged amount, to poppler as well.
        let shown = pdftotext(&d.join(&forged_name));
        assert!(shown.contains(&spaced(&forged)), "{forged:?} in {shown}");
        assert!(!shown.contains(&spaced(&real)), "{real:?} still in {shown}");

        let (code, lines) = verify(d, &[&format!("{}_{lang}.pdf", refund.id), &forged_name]);
        assert_eq!(code, 1, "{lines:?}");
        assert_eq!(
            lines,
            [
                format!("{}_{lang}.pdf: authentic", refund.id),
                format!(
                    "{forged_name}: {}: the field \"{label}\" differs: the data gives \"{}\", \
                     the file shows \"{}\"",
                    altered(&refund, lang),
                    spaced(&real),
                    spaced(&forged)
                ),
            ]
        );
    }
}

/// The same edit with the forged string written as a literal string, octal escapes and
/// all, as some rewriting tools write text: the file's reader must decode it as poppler does.
#[test]
fn a_digit_swapped_in_a_literal_string_is_named_as_well() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refund = brl_refunds()
        .into_iter()
        .find(|r| !r.is_full())
        .expect("a partial BRL refund in the samples");
    let lang = "pt-BR";
    let label = label(lang, "label-refunded-amount");
    let (real, forged) = forge_value(d, &refund, lang, &label, literal_string, "forged.pdf");
    let shown = pdftotext(&d.join("forged.pdf"));
    assert!(shown.contains(&spaced(&forged)), "{forged:?} in {shown}");
    let (code, lines) = verify(d, &["forged.pdf"]);
    assert_eq!(code, 1, "{lines:?}");
    assert_eq!(
        lines,
        [format!(
            "forged.pdf: {}: the field \"{label}\" differs: the data gives \"{}\", the file \
             shows \"{}\"",
            altered(&refund, lang),
            spaced(&real),
            spaced(&forged)
        )]
    );
}

/// A full refund shows one amount twice, as refunded and as the original payment's. The
/// row named is the one edited, told apart by the label on its line.
#[test]
fn of_two_equal_amounts_the_row_edited_is_the_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refund = brl_refunds()
        .into_iter()
        .find(Refund::is_full)
        .expect("a full BRL refund in the samples");
    let lang = "pt-BR";
    let amount = spaced(&brl(lang, refund.given_back()));
    for key in ["label-refunded-amount", "label-original-amount"] {
        let label = label(lang, key);
        let forged_name = format!("forged-{key}.pdf");
        let (real, forged) = forge_value(d, &refund, lang, &label, hex_string, &forged_name);
        assert_eq!(spaced(&real), amount);
        // The other row still shows the real amount.
        let shown = pdftotext(&d.join(&forged_name));
        assert!(
            shown.contains(&amount) && shown.contains(&spaced(&forged)),
            "{shown}"
        );
        let (code, lines) = verify(d, &[&forged_name]);
        assert_eq!(code, 1, "{lines:?}");
        assert_eq!(
            lines,
            [format!(
                "{forged_name}: {}: the field \"{label}\" differs: the data gives \"{amount}\", \
                 the file shows \"{}\"",
                altered(&refund, lang),
                spaced(&forged)
            )]
        );
    }
}

/// Edits that change no text: the file is altered all the same, and verify says its text
/// is all the data's rather than inventing a field that differs.
#[test]
fn an_edit_to_no_text_is_altered_without_naming_a_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refund = brl_refunds().remove(0);
    let lang = "pt-BR";
    render(d, &refund, lang, "real.pdf");
    let real = std::fs::read(d.join("real.pdf")).unwrap();
    let real_text = pdftotext(&d.join("real.pdf"));

    // 1. The document title in its information dictionary, one letter changed in place (so
    //    every offset in the xref still holds). The title is metadata, drawn nowhere.
    let title = format!("/Title({})", label(lang, "receipt-title"));
    let at = find(&real, title.as_bytes(), 0).expect("the information dictionary's title");
    let mut titled = real.clone();
    let last = at + title.len() - 2;
    titled[last] = if titled[last] == b'X' { b'Y' } else { b'X' };
    std::fs::write(d.join("title.pdf"), &titled).unwrap();
    tool("qpdf", &["--check", p(&d.join("title.pdf"))]);

    // 2. The same objects written again by qpdf: other bytes, the same page.
    let page = Page::read(&d.join("real.pdf"));
    write_fixed(&page.qdf.bytes, &d.join("rewritten.pdf"));

    // 3. The first fill colour of the page turned red.
    let content = &page.qdf.bytes[page.content.clone()];
    let rg = find(content, b" rg", 0).expect("a fill colour on the page");
    let operands = content[..rg]
        .iter()
        .rposition(|b| !(b.is_ascii_digit() || b" .-".contains(b)))
        .unwrap()
        + 1;
    let colour = String::from_utf8_lossy(&content[operands..rg]).into_owned();
    assert_eq!(colour.split_whitespace().count(), 3, "{colour:?}");
    let red = if colour.trim() == "1 0 0" {
        "0 0 1"
    } else {
        "1 0 0"
    };
    let mut recoloured = page.qdf.bytes.clone();
    let at = page.content.start;
    recoloured.splice(at + operands..at + rg, format!(" {red}").into_bytes());
    write_fixed(&recoloured, &d.join("colour.pdf"));

    // 4. Every string of the page written as a literal string: the same glyph codes.
    let mut literal_bytes = page.qdf.bytes.clone();
    let mut strings: Vec<&Shown> = page.blocks.iter().flat_map(|b| &b.shown).collect();
    strings.sort_by_key(|s| s.span.start);
    for s in strings.iter().rev() {
        literal_bytes.splice(at + s.span.start..at + s.span.end, literal_string(&s.codes));
    }
    write_fixed(&literal_bytes, &d.join("literal.pdf"));
    // fix-qdf keeps the tokens as written: the file's page draws literal strings only.
    let literal = Qdf {
        bytes: std::fs::read(d.join("literal.pdf")).unwrap(),
    };
    let (content, _) = literal.page();
    let written: Vec<Shown> = text_blocks(&literal.bytes[content.clone()])
        .into_iter()
        .flat_map(|b| b.shown)
        .collect();
    assert_eq!(written.len(), strings.len());
    assert!(
        written
            .iter()
            .all(|s| literal.bytes[content.start + s.span.start] == b'('),
        "a hex string is left"
    );

    let files = ["title.pdf", "rewritten.pdf", "colour.pdf", "literal.pdf"];
    for file in files {
        let path = d.join(file);
        assert_ne!(std::fs::read(&path).unwrap(), real, "{file} is edited");
        assert_eq!(pdftotext(&path), real_text, "{file} shows the same text");
    }
    let (code, lines) = verify(d, &files);
    assert_eq!(code, 1, "{lines:?}");
    let want: Vec<String> = files
        .iter()
        .map(|f| format!("{f}: {}: {NO_TEXT_CHANGED}", altered(&refund, lang)))
        .collect();
    assert_eq!(lines, want);
}

/// A bulk run's archive with one entry forged and written back among the others: the
/// report names the entry, and the untouched entry beside it stays authentic.
#[test]
fn a_digit_swapped_inside_a_zip_entry_is_named_with_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refund = brl_refunds()
        .into_iter()
        .find(|r| !r.is_full())
        .expect("a partial BRL refund in the samples");
    recibo(
        d,
        &[
            "receipts",
            "-i",
            &samples(),
            "--id",
            &refund.id,
            "--lang",
            "pt-BR,en",
            "--generated-at",
            GENERATED_AT,
            "--zip",
            "r.zip",
        ],
    )
    .assert_code(0);
    let (code, lines) = verify(d, &["r.zip"]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");

    // Every entry as it is, in order, the manifest among them.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(d.join("r.zip")).unwrap()).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((entry.name().unwrap().to_string(), bytes));
    }
    let lang = "pt-BR";
    let target = format!("{}_{lang}.pdf", refund.id);
    let other = format!("{}_en.pdf", refund.id);
    assert!(
        entries.iter().any(|(n, _)| *n == other),
        "{:?}",
        entries.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    let entry = entries
        .iter_mut()
        .find(|(n, _)| *n == target)
        .expect("the pt-BR receipt in the archive");
    std::fs::write(d.join("entry.pdf"), &entry.1).unwrap();
    let page = Page::read(&d.join("entry.pdf"));
    let label = label(lang, "label-refunded-amount");
    let value = page.value_of(&label);
    let real = page.text(value);
    let (bytes, forged) = page.swap_a_digit(value, hex_string);
    write_fixed(&bytes, &d.join("entry-forged.pdf"));
    entry.1 = std::fs::read(d.join("entry-forged.pdf")).unwrap();

    let mut out = zip::ZipWriter::new(std::fs::File::create(d.join("forged.zip")).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in &entries {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap();

    let (code, lines) = verify(d, &["forged.zip"]);
    assert_eq!(code, 1, "{lines:?}");
    let forged_line = format!(
        "forged.zip:{target}: {}: the field \"{label}\" differs: the data gives \"{}\", the \
         file shows \"{}\"",
        altered(&refund, lang),
        spaced(&real),
        spaced(&forged)
    );
    let other_line = format!("forged.zip:{other}: authentic");
    assert!(
        lines.contains(&forged_line),
        "{forged_line}\nnot in {lines:#?}"
    );
    assert!(lines.contains(&other_line), "{lines:#?}");
    assert_eq!(lines.len(), 2, "{lines:#?}");
}
