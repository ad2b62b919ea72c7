//! Receipt templates and the verification QR code, through the real binary, checked with
//! tools that are not recibo's own: pdftotext, pdfimages and pdfinfo (poppler), qpdf, and
//! zbarimg (zbar) on a pdftoppm rendering. The expected verification code is computed by
//! Python's own `hmac` module from the documented recipe, not by recibo.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Run, example_template, recibo_with, repo, samples, successful_refunds};

const KEY: &str = "test-receipt-key-0123456789abcdef";
const GENERATED_AT: &str = "2026-11-01T00:00:00Z";
/// The shipped example template's merchant in the samples.
const LOJA_VERDE: &str = "2188120000002468";

/// Runs recibo in `dir` with the receipt key set (or not).
fn run(dir: &Path, args: &[&str], key: Option<&str>) -> Run {
    recibo_with(dir, args, b"", |c| {
        if let Some(key) = key {
            c.env("RECIBO_RECEIPT_KEY", key);
        }
    })
}

fn tool(name: &str, args: &[&str]) -> Output {
    Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{name}` ({e}): tests/run.sh installs poppler-utils, qpdf and zbar-tools"
        )
    })
}

#[track_caller]
fn tool_ok(name: &str, args: &[&str]) -> String {
    let out = tool(name, args);
    assert!(
        out.status.success(),
        "`{name} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The verification code by the documented recipe: HMAC-SHA-256 under the key over
/// "recibo receipt code v1", then the merchant ID and refund ID, each after its length as
/// 8 big-endian bytes; the first 15 bytes in lower-case base32.
fn expected_code(key: &str, merchant: &str, refund: &str) -> String {
    let script = r#"
import base64, hashlib, hmac, struct, sys
key, merchant, refund = (a.encode() for a in sys.argv[1:4])
msg = b"recibo receipt code v1"
for part in (merchant, refund):
    msg += struct.pack(">Q", len(part)) + part
digest = hmac.new(key, msg, hashlib.sha256).digest()
print(base64.b32encode(digest[:15]).decode().lower())
"#;
    tool_ok("python3", &["-c", script, key, merchant, refund])
        .trim()
        .to_string()
}

/// What zbarimg reads from the first page rendered at 150 dpi.
fn qr_payloads(pdf: &Path) -> Vec<String> {
    let png = pdf.with_extension("");
    tool_ok(
        "pdftoppm",
        &["-r", "150", "-png", "-singlefile", p(pdf), p(&png)],
    );
    let out = tool("zbarimg", &["--raw", "-q", p(&png.with_extension("png"))]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn text(pdf: &Path) -> String {
    tool_ok("pdftotext", &["-enc", "UTF-8", p(pdf), "-"])
}

#[test]
fn a_branded_receipt_shows_the_issuer_logo_and_a_qr_code_of_its_verification_url() {
    let dir = tempfile::tempdir().unwrap();
    let refunds = successful_refunds(dir.path());
    let (merchant, refund) = refunds
        .iter()
        .find(|(m, _)| m == LOJA_VERDE)
        .expect("the samples have a Loja Verde refund")
        .clone();
    let code = expected_code(KEY, &merchant, &refund);
    let url = format!("https://receipts.example.com/v/{code}");
    // English as a plain PDF, within the size budget; the others as PDF/A-2b, which adds
    // an ICC profile and XMP metadata.
    let footers = [
        (
            "en",
            "Issued by Loja Verde on behalf of the merchant.",
            false,
        ),
        ("zh-CN", "由 Loja Verde 代商户出具。", true),
        (
            "pt-BR",
            "Emitido pela Loja Verde em nome do estabelecimento.",
            true,
        ),
    ];
    let (input, template) = (samples(), example_template());
    for (lang, footer, pdfa) in footers {
        let pdf = dir.path().join(format!("{lang}.pdf"));
        let mut args = vec![
            "receipt",
            &refund,
            "-i",
            &input,
            "--lang",
            lang,
            "--template",
            &template,
            "--generated-at",
            GENERATED_AT,
            "-o",
            p(&pdf),
        ];
        if pdfa {
            args.push("--pdfa");
        }
        run(dir.path(), &args, Some(KEY)).assert_code(0);
        let shown = text(&pdf);
        for expected in [
            "Loja Verde Moda Sustentável Ltda.",
            "Rua Augusta, 1500",
            "São Paulo - SP, 01304-001",
            "CNPJ: 12.345.678/0001-90",
            "suporte@lojaverde.example",
            footer,
        ] {
            assert!(
                shown.contains(expected),
                "{lang}: {expected:?} missing in\n{shown}"
            );
        }
        // The template's footer replaces the unbacked claim of validity.
        assert!(!shown.contains("valid without a signature"), "{lang}");
        let images = tool_ok("pdfimages", &["-list", p(&pdf)]);
        let logo: Vec<&str> = images
            .lines()
            .filter(|l| l.split_whitespace().nth(2) == Some("image"))
            .collect();
        assert_eq!(logo.len(), 1, "one logo image:\n{images}");
        assert!(
            logo[0].contains(" 300 ") && logo[0].contains(" 90 "),
            "{images}"
        );
        tool_ok("qpdf", &["--check", p(&pdf)]);
        assert_eq!(
            qr_payloads(&pdf),
            std::slice::from_ref(&url),
            "{lang}: the QR code holds the URL"
        );
        let size = std::fs::metadata(&pdf).unwrap().len();
        assert!(pdfa || size <= 40 * 1024, "{lang}: {size} bytes");
    }
    // The same refund and key give the same bytes; another key another code.
    let again = dir.path().join("again.pdf");
    let args = |out: &Path| {
        vec![
            "receipt".to_string(),
            refund.clone(),
            "-i".into(),
            samples(),
            "--lang".into(),
            "pt-BR".into(),
            "--template".into(),
            example_template(),
            "--generated-at".into(),
            GENERATED_AT.into(),
            "--pdfa".into(),
            "-o".into(),
            p(out).to_string(),
        ]
    };
    let argv = args(&again);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    run(dir.path(), &argv, Some(KEY)).assert_code(0);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(dir.path().join("pt-BR.pdf")).unwrap()
    );
    let other = dir.path().join("other-key.pdf");
    let argv = args(&other);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let other_key = "another-receipt-key-0123456789abcdef";
    run(dir.path(), &argv, Some(other_key)).assert_code(0);
    assert_eq!(
        qr_payloads(&other),
        [format!(
            "https://receipts.example.com/v/{}",
            expected_code(other_key, &merchant, &refund)
        )]
    );
    // The key itself is nowhere in the file.
    let bytes = std::fs::read(&other).unwrap();
    assert!(
        !bytes
            .windows(other_key.len())
            .any(|w| w == other_key.as_bytes())
    );
}

#[test]
fn each_merchant_gets_its_template_and_letter_paper_is_letter_sized() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("verde.toml"),
        format!(
            "issuer = \"Verde Issuer Ltda.\"\nmerchants = [\"{LOJA_VERDE}\"]\npaper = \"Letter\"\naccent = \"#1B5E20\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("others.toml"),
        "issuer = \"Everyone Else S.A.\"\naddress = [\"Avenida Paulista, 1\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run(
        dir.path(),
        &[
            "receipts",
            "-i",
            &samples(),
            "--lang",
            "en",
            "--template",
            "verde.toml",
            "--template",
            "others.toml",
            "--generated-at",
            GENERATED_AT,
            "--out",
            p(&out),
        ],
        None,
    )
    .assert_code(0);
    let refunds = successful_refunds(dir.path());
    let (mut verde, mut others) = (0, 0);
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let shown = text(&path);
        let info = tool_ok("pdfinfo", &[p(&path)]);
        let merchant = refunds
            .iter()
            .find(|(_, r)| shown.contains(r.as_str()))
            .map(|(m, _)| m.as_str())
            .expect("the receipt names its refund");
        if merchant == LOJA_VERDE {
            verde += 1;
            assert!(shown.contains("Verde Issuer Ltda.") && !shown.contains("Everyone Else"));
            assert!(info.contains("612 x 792 pts"), "Letter: {info}");
        } else {
            others += 1;
            assert!(shown.contains("Everyone Else S.A.") && !shown.contains("Verde Issuer"));
            assert!(shown.contains("Avenida Paulista, 1"));
            assert!(info.contains("595 x 842 pts"), "A4: {info}");
        }
    }
    assert!(verde > 0 && others > 0, "{verde} {others}");
}

#[test]
fn a_bad_template_is_refused_naming_file_and_key_before_any_receipt_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-picture.png"), "hello").unwrap();
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "unknown.toml",
            "issuer = \"A\"\ncolour = \"#fff\"\n",
            &["line 2", "colour"],
        ),
        (
            "colour.toml",
            "accent = \"green\"\n",
            &["accent", "\"green\""],
        ),
        (
            "nologo.toml",
            "logo = \"missing.png\"\n",
            &["logo", "missing.png"],
        ),
        (
            "badlogo.toml",
            "logo = \"not-a-picture.png\"\n",
            &["logo", "neither a PNG, a JPEG nor an SVG"],
        ),
        ("paper.toml", "paper = \"A5\"\n", &["paper", "A5"]),
        (
            "devzero.toml",
            "logo = \"/dev/zero\"\n",
            &["logo", "not a regular file"],
        ),
        (
            "footer.toml",
            "[footer]\nfr = \"Bonjour\"\n",
            &["footer.fr"],
        ),
        (
            "url.toml",
            "verify_url = \"https://r.example/v/\"\n",
            &["verify_url", "{code}"],
        ),
    ];
    for (file, body, expected) in cases {
        std::fs::write(dir.path().join(file), body).unwrap();
        let out = dir.path().join(format!("{file}.out"));
        let run = run(
            dir.path(),
            &[
                "receipts",
                "-i",
                &samples(),
                "--template",
                file,
                "--out",
                p(&out),
            ],
            Some(KEY),
        );
        run.assert_code(2);
        assert!(run.stderr.contains(file), "{file}: {}", run.stderr);
        for e in expected {
            assert!(run.stderr.contains(e), "{file}: {e:?} in {}", run.stderr);
        }
        assert!(!out.exists(), "{file}: nothing written");
    }
    // A QR code needs the key; a short key is refused, and neither shows in the error.
    let run_without = run(
        dir.path(),
        &[
            "receipts",
            "-i",
            &samples(),
            "--template",
            &example_template(),
            "--out",
            "x",
        ],
        None,
    );
    run_without.assert_code(2);
    assert!(
        run_without.stderr.contains("RECIBO_RECEIPT_KEY"),
        "{}",
        run_without.stderr
    );
    let short = "tooshort";
    let run_short = run(
        dir.path(),
        &[
            "receipts",
            "-i",
            &samples(),
            "--verify-url",
            "https://r.example/{code}",
            "--out",
            "x",
        ],
        Some(short),
    );
    run_short.assert_code(2);
    assert!(
        run_short.stderr.contains("at least 16"),
        "{}",
        run_short.stderr
    );
    assert!(!run_short.stderr.contains(short));
    assert!(!dir.path().join("x").exists());
}

#[test]
fn without_a_template_a_receipt_has_no_issuer_block_and_keeps_its_validity_note() {
    let dir = tempfile::tempdir().unwrap();
    let (_, refund) = successful_refunds(dir.path()).remove(0);
    let pdf = dir.path().join("plain.pdf");
    run(
        dir.path(),
        &[
            "receipt",
            &refund,
            "-i",
            &samples(),
            "--generated-at",
            GENERATED_AT,
            "-o",
            p(&pdf),
        ],
        Some(KEY),
    )
    .assert_code(0);
    let shown = text(&pdf);
    assert!(shown.contains("valid without a signature"));
    assert!(!shown.contains("CNPJ"));
    assert!(qr_payloads(&pdf).is_empty());
    let images = tool_ok("pdfimages", &["-list", p(&pdf)]);
    assert_eq!(images.lines().count(), 2, "no images:\n{images}");
}

#[test]
fn a_job_names_its_template_from_its_own_folder_and_a_bad_one_stops_it_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates/receipts");
    std::fs::create_dir_all(&templates).unwrap();
    for file in ["loja-verde.toml", "loja-verde-logo.png"] {
        std::fs::copy(
            repo().join("templates/receipts").join(file),
            templates.join(file),
        )
        .unwrap();
    }
    let job = |template: &str| {
        format!(
            "name = \"branded\"\nzone = \"UTC\"\nwindow = {{ from = \"2026-10-01\", to = \"2026-11-01\" }}\n\
             [source]\ninputs = [{:?}]\n[[receipts]]\nlangs = [\"pt-BR\"]\nout = \"out/\"\ntemplates = [\"{template}\"]\n",
            samples()
        )
    };
    std::fs::write(dir.path().join("job.toml"), job("loja-verde")).unwrap();
    // Run from another folder: the template is the job folder's, not the current one's.
    let elsewhere = tempfile::tempdir().unwrap();
    let job_path = dir.path().join("job.toml");
    run(elsewhere.path(), &["run", p(&job_path)], Some(KEY)).assert_code(0);
    let pdfs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    assert!(!pdfs.is_empty());
    for pdf in &pdfs {
        let shown = text(pdf);
        assert!(
            shown.contains("CNPJ: 12.345.678/0001-90"),
            "{}",
            pdf.display()
        );
        let urls = qr_payloads(pdf);
        assert!(
            urls.len() == 1 && urls[0].starts_with("https://receipts.example.com/v/"),
            "{urls:?}"
        );
    }
    std::fs::write(dir.path().join("job.toml"), job("no-such-template")).unwrap();
    let refused = run(elsewhere.path(), &["run", p(&job_path)], Some(KEY));
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("receipts #1") && refused.stderr.contains("no-such-template"),
        "{}",
        refused.stderr
    );
}

/// A CSV amount such as `-1234.50` as a Brazilian receipt writes it: `1.234,50`.
fn pt_br_amount(csv: &str) -> String {
    let (units, cents) = csv.trim_start_matches('-').split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{grouped},{cents}")
}

#[test]
fn verify_says_authentic_for_untouched_receipts_and_altered_for_a_forged_amount() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = example_template();
    let (_, refund) = successful_refunds(d)
        .into_iter()
        .find(|(m, _)| m == LOJA_VERDE)
        .unwrap();
    // A folder and a ZIP of a bulk run, in every language.
    run(
        d,
        &[
            "receipts",
            "-i",
            &samples(),
            "--id",
            &refund,
            "--lang",
            "all",
            "--template",
            &template,
            "--generated-at",
            GENERATED_AT,
            "--out",
            "dir",
            "--zip",
            "r.zip",
            "--merge",
            "all.pdf",
        ],
        Some(KEY),
    )
    .assert_code(0);
    let ok = run(
        d,
        &[
            "verify",
            "dir",
            "r.zip",
            "-i",
            &samples(),
            "--template",
            &template,
        ],
        Some(KEY),
    );
    ok.assert_code(0);
    let lines = ok.stdout_text();
    assert_eq!(lines.lines().count(), 6, "{lines}");
    assert!(lines.lines().all(|l| l.ends_with(": authentic")), "{lines}");

    // The same receipt rendered from data with another amount: recibo's own output, and yet
    // not what the real data gives.
    let real = std::fs::read_to_string(samples()).unwrap();
    let row = real
        .lines()
        .find(|l| l.split(',').nth(5) == Some(refund.as_str()))
        .unwrap();
    let amount = row.split(',').nth(15).unwrap();
    assert!(amount.starts_with('-'), "{row}");
    let forged_row = row.replacen(&format!(",{amount},"), ",-9999.99,", 1);
    std::fs::write(d.join("forged.csv"), real.replace(row, &forged_row)).unwrap();
    let mut args = vec![
        "receipt",
        refund.as_str(),
        "-i",
        "forged.csv",
        "--lang",
        "pt-BR",
    ];
    args.extend([
        "--template",
        &template,
        "--generated-at",
        GENERATED_AT,
        "-o",
        "forged.pdf",
    ]);
    run(d, &args, Some(KEY)).assert_code(0);
    // Against the manifest too: a copy of the folder with one receipt gone and another's
    // listed digest changed.
    std::fs::create_dir(d.join("copy")).unwrap();
    for entry in std::fs::read_dir(d.join("dir")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, d.join("copy").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::remove_file(d.join(format!("copy/{refund}_zh-CN.pdf"))).unwrap();
    let manifest = std::fs::read_to_string(d.join("copy/manifest.csv")).unwrap();
    let en_line = manifest
        .lines()
        .find(|l| l.contains(&format!("{refund}_en.pdf")))
        .unwrap();
    let sha = en_line.split(',').nth(4).unwrap();
    std::fs::write(
        d.join("copy/manifest.csv"),
        manifest.replace(sha, &"0".repeat(64)),
    )
    .unwrap();
    let listed = run(
        d,
        &["verify", "copy", "-i", &samples(), "--template", &template],
        Some(KEY),
    );
    listed.assert_code(1);
    let report = listed.stdout_text();
    assert!(
        report.contains(&format!("copy/{refund}_zh-CN.pdf: missing")),
        "{report}"
    );
    assert!(
        report.contains(&format!("copy/{refund}_en.pdf: not as its manifest says")),
        "{report}"
    );
    assert!(
        report.contains(&format!("copy/{refund}_pt-BR.pdf: authentic")),
        "{report}"
    );

    // The merged document is checked page by page against the data, and as a whole.
    let merged = run(
        d,
        &[
            "verify",
            "all.pdf",
            "-i",
            &samples(),
            "--template",
            &template,
        ],
        Some(KEY),
    );
    merged.assert_code(0);
    assert!(
        merged
            .stdout_text()
            .contains("all.pdf: authentic, a merged document of 3 receipts"),
        "{}",
        merged.stdout_text()
    );
    let mut bytes = std::fs::read(d.join("all.pdf")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(d.join("all-flipped.pdf"), bytes).unwrap();
    // One byte changed in an authentic file.
    let mut bytes = std::fs::read(d.join(format!("dir/{refund}_en.pdf"))).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(d.join("flipped.pdf"), bytes).unwrap();
    let bad = run(
        d,
        &[
            "verify",
            "forged.pdf",
            "flipped.pdf",
            "all-flipped.pdf",
            "-i",
            &samples(),
            "--template",
            &template,
        ],
        Some(KEY),
    );
    bad.assert_code(1);
    let out = bad.stdout_text();
    assert!(out.contains("forged.pdf: altered"), "{out}");
    // What the forged receipt shows that the data does not give: the amount, and only it.
    let forged = out.lines().find(|l| l.starts_with("forged.pdf")).unwrap();
    assert!(
        forged.ends_with(
            ": the field \"Valor estornado\" differs: the data gives \"R$ {real}\", \
             the file shows \"R$ 9.999,99\""
                .replace("{real}", &pt_br_amount(amount))
                .as_str()
        ),
        "{forged}"
    );
    assert!(out.contains("flipped.pdf: altered"), "{out}");
    assert!(
        out.contains("all-flipped.pdf: altered: not the merged document"),
        "{out}"
    );
    // A refund the data lacks, and a template not given.
    let other = run(d, &["verify", "dir", "-i", "forged.csv"], Some(KEY));
    other.assert_code(1);
    assert!(
        other
            .stdout_text()
            .contains("cannot check: rendered with template"),
        "{}",
        other.stdout_text()
    );
    std::fs::write(d.join("empty.csv"), real.lines().next().unwrap()).unwrap();
    let unknown = run(
        d,
        &["verify", "dir", "-i", "empty.csv", "--template", &template],
        Some(KEY),
    );
    unknown.assert_code(1);
    assert!(
        unknown.stdout_text().contains("unknown refund"),
        "{}",
        unknown.stdout_text()
    );
}

/// The pixels of a binary PPM (P6) as RGB triples.
fn ppm_pixels(ppm: &[u8]) -> Vec<[u8; 3]> {
    // "P6\n<w> <h>\n<max>\n" then the samples.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields += 1;
    }
    ppm[at + 1..]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect()
}

#[test]
fn an_svg_logo_is_drawn_as_vectors_and_what_it_cannot_draw_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, refund) = successful_refunds(dir.path()).remove(0);
    // A magenta band no other part of a receipt uses, under a black ring drawn with a
    // stroke, inside a group with a transform.
    std::fs::write(
        dir.path().join("logo.svg"),
        r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- the issuer's mark -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50" width="200" height="50">
  <g transform="translate(0 0)"><rect width="200" height="50" fill="#D81B60"/></g>
  <circle cx="25" cy="25" r="15" fill="none" stroke="#000000" stroke-width="6"/>
</svg>"##,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("brand.toml"),
        "issuer = \"Vector Issuer Ltd.\"\nlogo = \"logo.svg\"\nlogo_alt = \"Vector Issuer\"\n",
    )
    .unwrap();
    let mut outputs = Vec::new();
    for (name, pdfa) in [("plain", false), ("archival", true), ("again", true)] {
        let (pdf, input) = (dir.path().join(format!("{name}.pdf")), samples());
        let mut args = vec![
            "receipt",
            &refund,
            "-i",
            &input,
            "--template",
            "brand.toml",
            "--generated-at",
            GENERATED_AT,
            "-o",
            p(&pdf),
        ];
        if pdfa {
            args.push("--pdfa");
        }
        run(dir.path(), &args, None).assert_code(0);
        tool_ok("qpdf", &["--check", p(&pdf)]);
        // Vectors: no image in the file.
        let images = tool_ok("pdfimages", &["-list", p(&pdf)]);
        assert_eq!(
            images.lines().count(),
            2,
            "{name}: no image expected:\n{images}"
        );
        let ppm = pdf.with_extension("");
        tool_ok("pdftoppm", &["-r", "72", "-singlefile", p(&pdf), p(&ppm)]);
        let pixels = ppm_pixels(&std::fs::read(ppm.with_extension("ppm")).unwrap());
        let near = |c: [u8; 3], want: [u8; 3]| c.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 12);
        let magenta = pixels
            .iter()
            .filter(|c| near(**c, [0xD8, 0x1B, 0x60]))
            .count();
        let black = pixels.iter().filter(|c| near(**c, [0, 0, 0])).count();
        // The 160 x 40 pt box at 72 dpi is 6,400 pixels, less the ring.
        assert!(magenta > 4000, "{name}: {magenta} magenta pixels");
        assert!(black > 100, "{name}: {black} black pixels");
        assert!(text(&pdf).contains("Vector Issuer Ltd."), "{name}");
        outputs.push(std::fs::read(&pdf).unwrap());
    }
    assert_eq!(outputs[1], outputs[2], "the same receipt, the same bytes");

    for (svg, why) in [
        (
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text y="8">ACME</text></svg>"##,
            "text",
        ),
        (
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><defs><radialGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></radialGradient></defs><rect width="9" height="9" fill="url(#g)"/></svg>"##,
            "gradient",
        ),
    ] {
        std::fs::write(dir.path().join("logo.svg"), svg).unwrap();
        let out = dir.path().join("refused.pdf");
        let refused = run(
            dir.path(),
            &[
                "receipt",
                &refund,
                "-i",
                &samples(),
                "--template",
                "brand.toml",
                "-o",
                p(&out),
            ],
            None,
        );
        refused.assert_code(2);
        for part in ["brand.toml", "logo", why] {
            assert!(
                refused.stderr.contains(part),
                "{why}: {part} in {}",
                refused.stderr
            );
        }
        assert!(!out.exists(), "{why}: nothing written");
    }
}
