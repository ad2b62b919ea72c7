//! Receipt PDFs checked with real PDF tools (poppler-utils and qpdf), not just by parsing
//! our own output back.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use recibo::receipt::page::{ReceiptPage, Row, Section};
use recibo::receipt::pdf::{MissingGlyph, RenderOptions, RenderedPdf, Renderer};

const MAX_RECEIPT_BYTES: usize = 40 * 1024;

fn row(label: &str, value: &str) -> Row {
    Row {
        label: label.to_string(),
        value: value.to_string(),
    }
}

fn section(heading: &str, rows: Vec<Row>) -> Section {
    Section {
        heading: heading.to_string(),
        rows,
    }
}

const EN_REASON: &str = "The customer returned the espresso machine within the 30-day window because the \
     steam wand leaked; the merchant inspected the item and approved a partial refund of the \
     device price, excluding the non-refundable shipping fee.";

fn english() -> ReceiptPage {
    ReceiptPage {
        lang: "en",
        brand: "ACME Payments · Blue Bottle Coffee Supplies LLC".to_string(),
        title: "Refund receipt".to_string(),
        subtitle: "Receipt no. RR-20240305-7F3K9Q".to_string(),
        sections: vec![
            section(
                "Refund",
                vec![
                    row("Refund ID", "rf_01HQZ8W5J6N2K4T7B9C3D5F8G1"),
                    row(
                        "Refund request ID",
                        "req_8c41e0b2-5d7f-4a6e-9b13-2f0c7d9e4a51",
                    ),
                    row("Refunded amount", "₩1,234 (KRW)"),
                    row("Refund type", "Partial"),
                    row("Reason", EN_REASON),
                    row("Status", "Succeeded"),
                    row(
                        "Created",
                        "Mar 5, 2024, 6:20:30\u{202F}PM (America/New_York)",
                    ),
                    row(
                        "Completed",
                        "Mar 5, 2024, 6:21:02\u{202F}PM (America/New_York)",
                    ),
                ],
            ),
            section(
                "Original payment",
                vec![
                    row("Payment ID", "pay_01HQZ7V2M8R4X6Y0A2B4C6D8E0"),
                    row("Merchant order ID", "ORDER-2024-000482"),
                    row("Payment method", "Card · Visa •••• 4242"),
                    row("Original amount", "$1,234.56 (USD)"),
                ],
            ),
            section(
                "Merchant",
                vec![
                    row("Merchant", "Blue Bottle Coffee Supplies LLC"),
                    row("Merchant ID", "M-000482"),
                    row("Acquirer", "ACME Acquiring Ltd."),
                ],
            ),
        ],
        footer: vec![
            "Generated Mar 5, 2024, 6:25:00\u{202F}PM (UTC).".to_string(),
            "This receipt was generated electronically and is valid without a signature."
                .to_string(),
        ],
        refund_id: "rf_01HQZ8W5J6N2K4T7B9C3D5F8G1".to_string(),
        ..ReceiptPage::default()
    }
}

fn chinese_description() -> String {
    let sentence = "本次退款因商品质量问题由客户发起申请，商户已于当日审核通过并提交收单机构处理；\
                    退款金额将按原支付方式原路退回，预计三至五个工作日内到账，\
                    如有疑问请联系客服（工作时间：周一至周五）。";
    sentence.chars().cycle().take(300).collect()
}

fn chinese() -> ReceiptPage {
    ReceiptPage {
        lang: "zh-CN",
        brand: "示例支付 · 上海示例贸易有限公司".to_string(),
        title: "退款凭证".to_string(),
        subtitle: "凭证编号 RR-20240305-2M8P4L".to_string(),
        sections: vec![
            section(
                "退款信息",
                vec![
                    row("退款编号", "rf_01HQZ9A1B2C3D4E5F6G7H8J9K0"),
                    row("退款金额", "¥1,234.56（CNY）"),
                    row("退款原因", &chinese_description()),
                    row("状态", "成功"),
                    row("退款时间", "2024年3月5日 18:20:30（Asia/Shanghai）"),
                ],
            ),
            section(
                "原支付信息",
                vec![
                    row("原支付编号", "pay_01HQZ7V2M8R4X6Y0A2B4C6D8E0"),
                    row("支付方式", "支付宝"),
                    row("原支付金额", "US$1,234.56（USD）"),
                ],
            ),
            section(
                "商户信息",
                vec![
                    row("商户名称", "上海示例贸易有限公司"),
                    row("收单机构", "示例收单机构有限公司"),
                ],
            ),
        ],
        footer: vec![
            "生成时间 2024年3月5日 18:25:00（Asia/Shanghai）".to_string(),
            "本凭证由系统自动生成，无需签字即有效。".to_string(),
        ],
        refund_id: "rf_01HQZ9A1B2C3D4E5F6G7H8J9K0".to_string(),
        ..ReceiptPage::default()
    }
}

const PT_REASON: &str = "Cliente solicitou o estorno porque a mercadoria chegou danificada e não \
     foi possível a substituição dentro do prazo; a ação foi concluída após análise da equipe de \
     atendimento, com devolução integral do valor à conta de origem. Observação: não há cobrança \
     de tarifas adicionais nem necessidade de reenvio do comprovante.";

fn portuguese() -> ReceiptPage {
    ReceiptPage {
        lang: "pt-BR",
        brand: "ACME Pagamentos · Padaria São João Ltda.".to_string(),
        title: "Comprovante de estorno".to_string(),
        subtitle: "Comprovante nº RR-20240305-9C2V7N".to_string(),
        sections: vec![
            section(
                "Estorno",
                vec![
                    row("ID do estorno", "rf_01HQZB3C4D5E6F7G8H9J0K1L2M"),
                    row("Valor estornado", "R$\u{A0}1.234,56 (BRL)"),
                    row("Tipo de estorno", "Total"),
                    row("Motivo", PT_REASON),
                    row("Situação", "Concluído"),
                    row(
                        "Data do estorno",
                        "5 de mar. de 2024, 18:20:30 (America/Sao_Paulo)",
                    ),
                ],
            ),
            section(
                "Pagamento original",
                vec![
                    row("ID da transação", "pay_01HQZ7V2M8R4X6Y0A2B4C6D8E0"),
                    row("Forma de pagamento", "Pix"),
                    row("Valor original", "R$\u{A0}1.234,56 (BRL)"),
                ],
            ),
            section(
                "Estabelecimento",
                vec![
                    row("Nome", "Padaria São João Ltda. — Florianópolis"),
                    row("Adquirente", "ACME Adquirência S.A."),
                ],
            ),
        ],
        footer: vec![
            "Gerado em 05/03/2024 18:25:00 (America/Sao_Paulo).".to_string(),
            "Este comprovante foi gerado eletronicamente e é válido sem assinatura.".to_string(),
        ],
        refund_id: "rf_01HQZB3C4D5E6F7G8H9J0K1L2M".to_string(),
        ..ReceiptPage::default()
    }
}

/// Runs a command-line PDF tool; a missing tool fails the test with what to install.
fn tool(name: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{name}` ({e}): install poppler-utils (pdftotext, pdffonts, pdfinfo, \
             pdftoppm) and qpdf to run the receipt PDF tests"
        )
    });
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn tool_ok(name: &str, args: &[&str]) -> String {
    let (ok, out) = tool(name, args);
    assert!(ok, "`{name} {}` failed:\n{out}", args.join(" "));
    out
}

fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write pdf");
    path
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn render(pages: &[ReceiptPage]) -> RenderedPdf {
    Renderer::new()
        .render(pages, &RenderOptions::default())
        .expect("render")
}

fn text_of(path: &Path) -> String {
    tool_ok("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"])
}

/// Every label, value, heading and footer line of `page` must come out of the PDF's text
/// layer verbatim (ignoring the whitespace wrapping adds).
fn assert_text_complete(path: &Path, page: &ReceiptPage) {
    let extracted = squeeze(&text_of(path));
    let mut expected = vec![&page.brand, &page.title, &page.subtitle];
    for s in &page.sections {
        expected.push(&s.heading);
        for r in &s.rows {
            expected.push(&r.label);
            expected.push(&r.value);
        }
    }
    expected.extend(&page.footer);
    for want in expected {
        assert!(
            extracted.contains(&squeeze(want)),
            "{}: pdftotext output lacks {want:?}\n--- extracted:\n{extracted}",
            path.display()
        );
    }
}

fn assert_fonts_embedded_and_subset(path: &Path) -> Vec<String> {
    let out = tool_ok("pdffonts", &[path.to_str().unwrap()]);
    let mut names = Vec::new();
    // Skip the two header lines; the type column may contain spaces, so read from the right:
    // name ... emb sub uni object-number generation.
    for line in out.lines().skip(2).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() >= 6, "unexpected pdffonts line {line:?}");
        let name = cols[0];
        let emb = cols[cols.len() - 5];
        let sub = cols[cols.len() - 4];
        assert_eq!(emb, "yes", "font not embedded: {line}");
        assert_eq!(sub, "yes", "font not subset: {line}");
        let (tag, _) = name
            .split_once('+')
            .unwrap_or_else(|| panic!("font name without subset prefix: {name}"));
        assert!(
            tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
            "bad subset tag in {name}"
        );
        names.push(name.to_string());
    }
    assert!(!names.is_empty(), "no fonts listed:\n{out}");
    names
}

fn page_count(path: &Path) -> usize {
    let info = tool_ok("pdfinfo", &[path.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo output:\n{info}"))
}

#[test]
fn single_receipts_in_three_languages_pass_real_pdf_tools() {
    let dir = out_dir();
    for (name, page, font_hint) in [
        ("en.pdf", english(), "NotoSans"),
        ("zh.pdf", chinese(), "WenQuanYi"),
        ("pt.pdf", portuguese(), "NotoSans"),
    ] {
        let pdf = render(std::slice::from_ref(&page));
        assert!(
            pdf.missing_glyphs.is_empty(),
            "{name}: {:?}",
            pdf.missing_glyphs
        );
        assert!(
            pdf.bytes.len() <= MAX_RECEIPT_BYTES,
            "{name} is {} bytes, over {MAX_RECEIPT_BYTES}",
            pdf.bytes.len()
        );
        let path = write(dir.path(), name, &pdf.bytes);

        assert_text_complete(&path, &page);
        let fonts = assert_fonts_embedded_and_subset(&path);
        assert!(
            fonts.iter().any(|f| f.contains(font_hint)),
            "{name}: expected a {font_hint} font, got {fonts:?}"
        );
        tool_ok("qpdf", &["--check", path.to_str().unwrap()]);
        assert_eq!(page_count(&path), 1, "{name}");

        let info = tool_ok("pdfinfo", &[path.to_str().unwrap()]);
        let tagged = info
            .lines()
            .any(|l| l.starts_with("Tagged:") && l.trim_end().ends_with("yes"));
        assert!(tagged, "{name} not tagged:\n{info}");
        assert!(info.contains("A4"), "{name} not A4:\n{info}");
        assert!(
            info.contains(&page.title),
            "{name} title missing from metadata:\n{info}"
        );
    }
}

#[test]
fn structure_tree_has_headings_table_cells_and_language() {
    let dir = out_dir();
    let page = portuguese();
    let pdf = render(std::slice::from_ref(&page));
    let path = write(dir.path(), "pt.pdf", &pdf.bytes);
    let structure = tool_ok("pdfinfo", &["-struct-text", path.to_str().unwrap()]);
    for role in ["Document", "H1", "H2", "Table", "TR", "TH", "TD", "P"] {
        assert!(
            structure.lines().any(|l| l.trim_start().starts_with(role)),
            "no {role} element:\n{structure}"
        );
    }
    let h2 = structure
        .lines()
        .filter(|l| l.trim_start().starts_with("H2"))
        .count();
    assert_eq!(h2, page.sections.len(), "{structure}");
    let rows: usize = page.sections.iter().map(|s| s.rows.len()).sum();
    let trs = structure
        .lines()
        .filter(|l| l.trim_start().starts_with("TR"))
        .count();
    assert_eq!(trs, rows, "{structure}");
    assert!(structure.contains("Comprovante de estorno"), "{structure}");
    assert!(
        !structure.contains("Artifact"),
        "rules must not be in the tree:\n{structure}"
    );
    let raw = String::from_utf8_lossy(&pdf.bytes);
    assert!(
        raw.contains("/Lang(pt-BR)") || raw.contains("/Lang (pt-BR)"),
        "document language not set"
    );
}

#[test]
fn rendering_is_deterministic() {
    let pages = [english(), chinese(), portuguese()];
    let options = RenderOptions {
        creation_date: Some(Utc.with_ymd_and_hms(2024, 3, 5, 18, 25, 0).unwrap()),
        ..RenderOptions::default()
    };
    for page in &pages {
        let a = Renderer::new()
            .render(std::slice::from_ref(page), &options)
            .unwrap();
        let b = Renderer::new()
            .render(std::slice::from_ref(page), &options)
            .unwrap();
        assert!(a.bytes == b.bytes, "{}: two renders differ", page.lang);
    }
    let a = Renderer::new().render(&pages, &options).unwrap();
    let b = Renderer::new().render(&pages, &options).unwrap();
    assert!(a.bytes == b.bytes, "merged renders differ");
}

#[test]
fn merged_document_has_one_page_per_receipt() {
    let dir = out_dir();
    let pages = [english(), chinese(), portuguese()];
    let pdf = render(&pages);
    let path = write(dir.path(), "merged.pdf", &pdf.bytes);
    assert_eq!(page_count(&path), 3);
    tool_ok("qpdf", &["--check", path.to_str().unwrap()]);
    assert_fonts_embedded_and_subset(&path);
    for (i, page) in pages.iter().enumerate() {
        let n = (i + 1).to_string();
        let text = tool_ok(
            "pdftotext",
            &[
                "-enc",
                "UTF-8",
                "-f",
                &n,
                "-l",
                &n,
                path.to_str().unwrap(),
                "-",
            ],
        );
        assert!(
            squeeze(&text).contains(&squeeze(&page.title)),
            "page {n} is not {:?}",
            page.title
        );
    }
    let structure = tool_ok("pdfinfo", &["-struct", path.to_str().unwrap()]);
    let sects = structure
        .lines()
        .filter(|l| l.trim_start().starts_with("Sect"))
        .count();
    assert_eq!(sects, 3, "one section per receipt:\n{structure}");
}

#[test]
fn pdfa_2b_renders_and_needs_a_date() {
    let dir = out_dir();
    let renderer = Renderer::new();
    let options = RenderOptions {
        pdfa: true,
        creation_date: Some(Utc.with_ymd_and_hms(2024, 3, 5, 18, 25, 0).unwrap()),
        document_title: Some("Refund receipt RR-20240305-7F3K9Q".to_string()),
        ..RenderOptions::default()
    };
    let pages = [english(), chinese(), portuguese()];
    for page in &pages {
        let pdf = renderer
            .render(std::slice::from_ref(page), &options)
            .unwrap_or_else(|e| panic!("{}: {e}", page.lang));
        let path = write(dir.path(), "a.pdf", &pdf.bytes);
        tool_ok("qpdf", &["--check", path.to_str().unwrap()]);
        let raw = String::from_utf8_lossy(&pdf.bytes);
        assert!(
            raw.contains("pdfaid:part"),
            "no PDF/A identification in XMP"
        );
    }
    renderer.render(&pages, &options).expect("merged PDF/A");

    let undated = RenderOptions {
        creation_date: None,
        ..options
    };
    let err = renderer.render(&pages[..1], &undated).unwrap_err();
    assert!(err.to_string().contains("creation date"), "{err}");
}

#[test]
fn characters_no_font_has_are_drawn_visibly_and_reported() {
    let dir = out_dir();
    let mut page = english();
    page.sections[0].rows[3].value =
        "Partial \u{E000} and \u{10FFFD} and \u{E000} again".to_string();
    page.footer.push("Private use: \u{E000}".to_string());
    let mut other = chinese();
    other.brand.push('\u{E000}');
    let pdf = render(&[page.clone(), other.clone()]);
    assert_eq!(
        pdf.missing_glyphs,
        [
            MissingGlyph {
                refund_id: page.refund_id.clone(),
                character: '\u{E000}'
            },
            MissingGlyph {
                refund_id: page.refund_id.clone(),
                character: '\u{10FFFD}'
            },
            MissingGlyph {
                refund_id: other.refund_id.clone(),
                character: '\u{E000}'
            },
        ]
    );
    let path = write(dir.path(), "missing.pdf", &pdf.bytes);
    let text = text_of(&path);
    assert!(text.contains("Partial \u{FFFD} and \u{FFFD} and"), "{text}");

    // A replacement is a real glyph, so PDF/A still accepts the document.
    let options = RenderOptions {
        pdfa: true,
        creation_date: Some(Utc.with_ymd_and_hms(2024, 3, 5, 0, 0, 0).unwrap()),
        document_title: None,
        signer: None,
    };
    Renderer::new()
        .render(&[page], &options)
        .expect("PDF/A with replacements");
}

#[test]
fn control_characters_and_decomposed_accents_are_cleaned() {
    let dir = out_dir();
    let mut page = portuguese();
    page.sections[0].rows[0].value =
        "Jo\u{61}\u{303}o\u{7}\u{200B} Concei\u{63}\u{327}a\u{303}o".to_string();
    page.sections[0].rows[3].value = "Linha um\r\nLinha dois\tcom tab".to_string();
    let pdf = render(std::slice::from_ref(&page));
    let path = write(dir.path(), "clean.pdf", &pdf.bytes);
    let text = text_of(&path);
    assert!(text.contains("João Conceição"), "{text}");
    assert!(text.contains("Linha um"), "{text}");
    assert!(text.contains("Linha dois com tab"), "{text}");
    assert!(!text.contains('\u{7}'));
}

#[test]
fn very_long_receipt_shrinks_to_one_page() {
    let dir = out_dir();
    let mut page = chinese();
    let description = chinese_description();
    for i in 0..6 {
        page.sections[0]
            .rows
            .push(row(&format!("备注 {i}"), &description));
    }
    let pdf = render(std::slice::from_ref(&page));
    let path = write(dir.path(), "long.pdf", &pdf.bytes);
    assert_eq!(page_count(&path), 1);
    assert_text_complete(&path, &page);

    let mut absurd = english();
    for _ in 0..200 {
        absurd.sections[0].rows.push(row("Reason", EN_REASON));
    }
    let err = Renderer::new()
        .render(&[absurd], &RenderOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}

#[test]
fn empty_input_is_an_error() {
    assert!(
        Renderer::new()
            .render(&[], &RenderOptions::default())
            .is_err()
    );
}

#[test]
fn renderer_is_shared_across_threads() {
    fn check<T: Send + Sync>() {}
    check::<Renderer>();
    use rayon::prelude::*;
    let renderer = Renderer::new();
    let pages = [english(), chinese(), portuguese()];
    let sizes: Vec<usize> = (0..12)
        .into_par_iter()
        .map(|i| {
            renderer
                .render(
                    std::slice::from_ref(&pages[i % 3]),
                    &RenderOptions::default(),
                )
                .unwrap()
                .bytes
                .len()
        })
        .collect();
    assert_eq!(sizes[0], sizes[3]);
}

/// Throughput on one thread:
/// `cargo test --release --test receipt_pdf -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput_single_thread() {
    let renderer = Renderer::new();
    let options = RenderOptions::default();
    let n = 1500;
    let vary = |template: &ReceiptPage, i: usize| {
        let mut p = template.clone();
        p.subtitle = format!("{} {i:06}", p.subtitle);
        p.sections[0].rows[0].value = format!("rf_{i:026}");
        p
    };
    let measure = |name: &str, templates: &[ReceiptPage]| {
        let pages: Vec<ReceiptPage> = (0..n)
            .map(|i| vary(&templates[i % templates.len()], i))
            .collect();
        for p in pages.iter().take(20) {
            renderer.render(std::slice::from_ref(p), &options).unwrap();
        }
        let start = std::time::Instant::now();
        let cpu_start = thread_cpu_ns();
        let mut bytes = 0usize;
        for p in &pages {
            bytes += renderer
                .render(std::slice::from_ref(p), &options)
                .unwrap()
                .bytes
                .len();
        }
        let secs = start.elapsed().as_secs_f64();
        // Wall time suffers when other processes share the machine; CPU time of this thread
        // does not.
        let cpu = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => format!(
                ", {:.0} receipts per CPU-second",
                n as f64 / ((b - a) as f64 / 1e9)
            ),
            _ => String::new(),
        };
        println!(
            "{name}: {n} receipts in {secs:.2}s on one thread = {:.0} receipts/s{cpu}, {} bytes per receipt",
            n as f64 / secs,
            bytes / n
        );
    };
    measure("en", &[english()]);
    measure("zh-CN", &[chinese()]);
    measure("pt-BR", &[portuguese()]);
    measure("mixed en/zh/pt", &[english(), chinese(), portuguese()]);
}

/// CPU time consumed by the calling thread, where the OS tells (Linux).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Writes sample receipts and their 60-dpi PNG previews to `$RECEIPT_PREVIEW_DIR`.
#[test]
#[ignore]
fn write_previews() {
    let Ok(dir) = std::env::var("RECEIPT_PREVIEW_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, page) in [("en", english()), ("zh", chinese()), ("pt", portuguese())] {
        let pdf = render(std::slice::from_ref(&page));
        let path = write(&dir, &format!("{name}.pdf"), &pdf.bytes);
        let prefix = dir.join(name);
        tool_ok(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "60",
                path.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
    }
}
