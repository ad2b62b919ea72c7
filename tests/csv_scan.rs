//! The CSV parser (csv-core, with the run scan of `vendor/csv-core`) against csv-core's
//! byte-at-a-time reference parser (its NFA, which the scan does not touch), on the
//! sample generator's text and on a randomized corpus of quoting edge cases: the same
//! records, field by field, and the same end, fed in chunks of many sizes into output
//! buffers of many sizes. The NFA keeps no line count, so the line the parser reports
//! after each record (which recibo's error messages are built from) is checked against
//! the line breaks in the bytes it has consumed: one more than their number.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// What a parser made of an input: each record's fields.
type Parsed = Vec<Vec<Vec<u8>>>;

fn parser(delimiter: u8, nfa: bool) -> Reader {
    ReaderBuilder::new().delimiter(delimiter).nfa(nfa).build()
}

/// Parses `input` fed `chunk` bytes at a time, into buffers that grow by `grow` bytes
/// (and fields) whenever the parser fills them.
fn parse(nfa: bool, delimiter: u8, input: &[u8], chunk: usize, grow: usize) -> Parsed {
    let mut reader = parser(delimiter, nfa);
    let mut records = Vec::new();
    let mut out = vec![0u8; grow];
    let mut ends = vec![0usize; grow];
    let (mut pos, mut olen, mut elen) = (0usize, 0, 0);
    loop {
        // csv-core strips a byte-order mark only when its three bytes come in one piece
        // with more after them (as they come from the csv crate's buffer): the first piece
        // holds four bytes at least.
        let take = if pos == 0 { chunk.max(4) } else { chunk };
        let piece = &input[pos..input.len().min(pos.saturating_add(take))];
        let (res, nin, nout, nend) = reader.read_record(piece, &mut out[olen..], &mut ends[elen..]);
        pos += nin;
        olen += nout;
        elen += nend;
        match res {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => out.resize(out.len() + grow, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() + grow, 0),
            ReadRecordResult::Record => {
                let mut start = 0;
                let fields = ends[..elen]
                    .iter()
                    .map(|&end| {
                        let field = out[start..end].to_vec();
                        start = end;
                        field
                    })
                    .collect();
                if !nfa {
                    let lines = input[..pos].iter().filter(|b| **b == b'\n').count() as u64;
                    assert_eq!(
                        reader.line(),
                        lines + 1,
                        "line after record {} ({chunk}-byte chunks, buffer step {grow})",
                        records.len() + 1
                    );
                }
                records.push(fields);
                olen = 0;
                elen = 0;
            }
            ReadRecordResult::End => break,
        }
        assert!(
            records.len() <= input.len() + 1,
            "the parser does not advance"
        );
    }
    records
}

/// Both parsers on `input` with each delimiter, chunk size and buffer size, compared.
fn check(input: &[u8], what: &str) {
    for delimiter in [b',', b';', b'\t'] {
        let reference = parse(true, delimiter, input, usize::MAX, 1 << 16);
        for chunk in [1, 3, 15, 16, 17, 64, 4096, usize::MAX] {
            for grow in [1, 7, 33, 1 << 16] {
                let fast = parse(false, delimiter, input, chunk, grow);
                if fast != reference {
                    let at = fast.iter().zip(&reference).position(|(a, b)| a != b);
                    panic!(
                        "{what}: delimiter {:?}, chunk {chunk}, buffer step {grow}: records \
                         differ from record {at:?} on ({} records, reference {}): {:?} vs {:?}",
                        delimiter as char,
                        fast.len(),
                        reference.len(),
                        at.and_then(|i| fast.get(i)),
                        at.and_then(|i| reference.get(i)),
                    );
                }
            }
        }
    }
}

#[test]
fn sample_reports_parse_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1, 2, 3] {
        let path = dir.path().join(format!("sample-{seed}.csv"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_recibo"))
            .args([
                "sample",
                "--rows",
                "1500",
                "--seed",
                &seed.to_string(),
                "-o",
            ])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let text = std::fs::read(&path).unwrap();
        // The generator's awkward text is there to be compared: quoted fields with
        // separators, quotes and line breaks in them, and text that is not ASCII.
        assert!(text.windows(2).any(|w| w == b"\"\""), "no doubled quote");
        assert!(text.iter().any(|b| *b >= 0x80), "no text outside ASCII");
        let reference = parse(true, b',', &text, usize::MAX, 1 << 16);
        assert!(reference.len() > 1500, "{} records", reference.len());
        assert!(
            reference
                .iter()
                .any(|fields| fields.iter().any(|f| f.contains(&b'\n')))
        );
        for (chunk, grow) in [(usize::MAX, 1 << 16), (4096, 64), (17, 5), (1, 1 << 10)] {
            assert!(
                parse(false, b',', &text, chunk, grow) == reference,
                "sample seed {seed}, chunk {chunk}, buffer step {grow}"
            );
        }
        // CRLF line ends and a byte-order mark, as spreadsheets save the same report.
        let mut crlf = b"\xef\xbb\xbf".to_vec();
        for (i, b) in text.iter().enumerate() {
            if *b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
                crlf.push(b'\r');
            }
            crlf.push(*b);
        }
        check(
            &crlf[..crlf.len().min(64 * 1024)],
            &format!("sample seed {seed} as CRLF"),
        );
    }
}

/// Pieces the random inputs are made of: every byte the parser treats specially, alone and
/// in the combinations that matter, with plain text of lengths around the scan's 16-byte
/// steps, multi-byte UTF-8 and bytes that are not UTF-8.
const PIECES: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b"\"\"\"",
    b",",
    b";",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\r",
    b"\r\r\n",
    b"a",
    b"ab c",
    b"0123456789abcde",
    b"0123456789abcdef",
    b"0123456789abcdefg",
    b"0123456789abcdef0123456789abcdef0",
    "Pão de queijo, 2×".as_bytes(),
    "龙井绿茶礼盒（双黄莲蓉）".as_bytes(),
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b"<END>",
    b"x\"y",
    b"\"q,\"",
    b"\"multi\nline\"",
];

/// A random input of up to `pieces` pieces, with or without a byte-order mark and a final
/// line break.
fn random_input(rng: &mut fastrand::Rng, pieces: usize) -> Vec<u8> {
    let mut input = Vec::new();
    if rng.u8(..8) == 0 {
        input.extend_from_slice(b"\xef\xbb\xbf");
    }
    for _ in 0..rng.usize(0..=pieces) {
        input.extend_from_slice(PIECES[rng.usize(..PIECES.len())]);
        // Plain text between special bytes, up to a few SSE2 steps long.
        if rng.bool() {
            let n = rng.usize(0..40);
            input.extend((0..n).map(|_| b"xyz0 "[rng.usize(..5)]));
        }
    }
    match rng.u8(..3) {
        0 => input.push(b'\n'),
        1 => input.extend_from_slice(b"\r\n"),
        _ => {}
    }
    input
}

#[test]
fn random_quoting_edge_cases_parse_the_same() {
    let mut rng = fastrand::Rng::with_seed(0x5ca1_ab1e);
    for round in 0..1500 {
        let input = random_input(&mut rng, if round % 10 == 0 { 200 } else { 24 });
        check(
            &input,
            &format!("random input {round} {:?}", String::from_utf8_lossy(&input)),
        );
    }
}

#[test]
fn the_comparison_sees_a_difference() {
    // A check that cannot fail proves nothing: parsers that differ (in the delimiter)
    // must be told apart by the same comparison.
    let input = b"a,b;c\n\"d;e\",f\n";
    assert_ne!(
        parse(false, b',', input, 16, 1 << 16),
        parse(true, b';', input, 16, 1 << 16)
    );
    assert_ne!(
        parse(false, b',', b"a\nb\n", 16, 4),
        parse(true, b',', b"a\r\nb\nc", 16, 4)
    );
}
