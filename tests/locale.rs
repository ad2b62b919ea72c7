//! Localized receipt content: CLDR money and dates, message completeness, language
//! negotiation, thread sharing, and the receipt page built from a refund.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::FluentArgs;
use rayon::prelude::*;
use recibo::locale::{Lang, LocaleError, Locales};
use recibo::model::{Currency, Money, Transaction, TxStatus, TxType};
use recibo::receipt::content::{ReceiptInput, build_page, receipt_number};
use recibo::receipt::page::ReceiptPage;

const NBSP: char = '\u{a0}';

fn locales() -> &'static Locales {
    static LOCALES: OnceLock<Locales> = OnceLock::new();
    LOCALES.get_or_init(|| Locales::new().expect("embedded messages and CLDR data load"))
}

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, Currency::parse(code).unwrap())
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap()
}

/// The instant of the CLDR examples: 18:20:30 in Shanghai, 07:20:30 in São Paulo.
fn instant() -> DateTime<Utc> {
    at("2024-03-05T10:20:30Z")
}

fn no_isolation_marks(s: &str) -> bool {
    !s.contains('\u{2068}') && !s.contains('\u{2069}')
}

// ---- money ----

#[test]
fn money_in_english_matches_cldr() {
    let l = locales();
    assert_eq!(l.money(Lang::En, money(123456, "USD")), "$1,234.56");
    assert_eq!(l.money(Lang::En, money(-123450, "USD")), "-$1,234.50");
    assert_eq!(l.money(Lang::En, money(1234, "JPY")), "¥1,234");
    assert_eq!(l.money(Lang::En, money(123456, "EUR")), "€1,234.56");
    assert_eq!(l.money(Lang::En, money(123456, "BRL")), "R$1,234.56");
    assert_eq!(l.money(Lang::En, money(123456, "CNY")), "CN¥1,234.56");
}

#[test]
fn money_in_brazilian_portuguese_matches_cldr_with_no_break_space() {
    let l = locales();
    assert_eq!(
        l.money(Lang::PtBr, money(123456, "BRL")),
        "R$\u{a0}1.234,56"
    );
    assert_eq!(
        l.money(Lang::PtBr, money(123456, "USD")),
        "US$\u{a0}1.234,56"
    );
    assert_eq!(
        l.money(Lang::PtBr, money(-123450, "BRL")),
        "-R$\u{a0}1.234,50"
    );
    assert_eq!(l.money(Lang::PtBr, money(1234, "JPY")), "JP¥\u{a0}1.234");
}

#[test]
fn money_in_simplified_chinese_matches_cldr() {
    let l = locales();
    assert_eq!(l.money(Lang::ZhCn, money(123456, "CNY")), "¥1,234.56");
    assert_eq!(l.money(Lang::ZhCn, money(123456, "USD")), "US$1,234.56");
    assert_eq!(l.money(Lang::ZhCn, money(-123450, "CNY")), "-¥1,234.50");
    assert_eq!(l.money(Lang::ZhCn, money(1234, "JPY")), "JP¥1,234");
}

#[test]
fn money_shows_exactly_the_currency_exponent_digits() {
    let l = locales();
    // JPY and VND have no minor unit, BHD three digits, CLF four.
    assert_eq!(l.money(Lang::En, money(1234, "JPY")), "¥1,234");
    assert_eq!(
        l.money(Lang::PtBr, money(123456789, "VND")),
        "₫\u{a0}123.456.789"
    );
    assert_eq!(
        l.money(Lang::En, money(1234567, "BHD")),
        "BHD\u{a0}1,234.567"
    );
    assert_eq!(
        l.money(Lang::PtBr, money(-1234500, "BHD")),
        "-BHD\u{a0}1.234,500"
    );
    assert_eq!(l.money(Lang::ZhCn, money(1000, "BHD")), "BHD\u{a0}1.000");
    assert_eq!(l.money(Lang::En, money(12345, "CLF")), "CLF\u{a0}1.2345");
    // Trailing zeros are kept, small amounts get their leading zero.
    assert_eq!(l.money(Lang::En, money(500, "USD")), "$5.00");
    assert_eq!(l.money(Lang::En, money(5, "USD")), "$0.05");
    assert_eq!(l.money(Lang::En, money(0, "USD")), "$0.00");
    assert_eq!(
        l.money(Lang::En, money(123456789012345, "USD")),
        "$1,234,567,890,123.45"
    );
    assert_eq!(
        l.money(Lang::En, money(i64::MIN, "USD")),
        "-$92,233,720,368,547,758.08"
    );
}

#[test]
fn money_with_code_adds_the_iso_code_beside_ambiguous_yen_and_dollar_signs() {
    let l = locales();
    assert_eq!(
        l.money_with_code(Lang::En, money(1234, "JPY")),
        format!("¥1,234{NBSP}JPY")
    );
    assert_eq!(
        l.money_with_code(Lang::ZhCn, money(123456, "CNY")),
        format!("¥1,234.56{NBSP}CNY")
    );
    assert_eq!(
        l.money_with_code(Lang::En, money(123456, "USD")),
        format!("$1,234.56{NBSP}USD")
    );
    assert_eq!(
        l.money_with_code(Lang::En, money(-123450, "USD")),
        format!("-$1,234.50{NBSP}USD")
    );
    // Symbols that name their currency stay alone.
    assert_eq!(
        l.money_with_code(Lang::PtBr, money(123456, "BRL")),
        "R$\u{a0}1.234,56"
    );
    assert_eq!(
        l.money_with_code(Lang::ZhCn, money(123456, "USD")),
        "US$1,234.56"
    );
    assert_eq!(
        l.money_with_code(Lang::En, money(123456, "CNY")),
        "CN¥1,234.56"
    );
    assert_eq!(
        l.money_with_code(Lang::ZhCn, money(1234, "JPY")),
        "JP¥1,234"
    );
    // A currency shown by its code does not repeat it.
    assert_eq!(
        l.money_with_code(Lang::En, money(1234567, "BHD")),
        "BHD\u{a0}1,234.567"
    );
}

// ---- dates ----

#[test]
fn datetimes_match_cldr_medium_in_the_given_zone() {
    let l = locales();
    let t = instant();
    assert_eq!(
        l.datetime(Lang::En, t, Tz::UTC),
        "Mar 5, 2024, 10:20:30\u{202f}AM"
    );
    assert_eq!(
        l.datetime(Lang::En, t, zone("Asia/Shanghai")),
        "Mar 5, 2024, 6:20:30\u{202f}PM"
    );
    assert_eq!(
        l.datetime(Lang::PtBr, t, zone("America/Sao_Paulo")),
        "5 de mar. de 2024, 07:20:30"
    );
    assert_eq!(
        l.datetime(Lang::PtBr, t, zone("Asia/Shanghai")),
        "5 de mar. de 2024, 18:20:30"
    );
    assert_eq!(
        l.datetime(Lang::ZhCn, t, zone("Asia/Shanghai")),
        "2024年3月5日 18:20:30"
    );
    assert_eq!(
        l.datetime(Lang::ZhCn, t, zone("America/Sao_Paulo")),
        "2024年3月5日 07:20:30"
    );
}

#[test]
fn a_zone_can_move_the_date() {
    let l = locales();
    let late = at("2024-03-05T20:30:00Z");
    assert_eq!(
        l.date(Lang::ZhCn, late, zone("Asia/Shanghai")),
        "2024年3月6日"
    );
    assert_eq!(
        l.date(Lang::PtBr, late, zone("America/Sao_Paulo")),
        "5 de mar. de 2024"
    );
    assert_eq!(l.date(Lang::En, late, zone("Asia/Tokyo")), "Mar 6, 2024");
}

#[test]
fn datetime_with_zone_names_the_iana_zone() {
    let l = locales();
    let t = instant();
    assert_eq!(
        l.datetime_with_zone(Lang::PtBr, t, zone("America/Sao_Paulo")),
        "5 de mar. de 2024, 07:20:30 (America/Sao_Paulo)"
    );
    assert_eq!(
        l.datetime_with_zone(Lang::ZhCn, t, zone("Asia/Shanghai")),
        "2024年3月5日 18:20:30（Asia/Shanghai）"
    );
    assert_eq!(
        l.datetime_with_zone(Lang::En, t, Tz::UTC),
        "Mar 5, 2024, 10:20:30\u{202f}AM (UTC)"
    );
    assert_eq!(
        l.zone_with_offset(Lang::En, t, zone("America/Sao_Paulo")),
        "America/Sao_Paulo (UTC-03:00)"
    );
    assert_eq!(
        l.zone_with_offset(Lang::ZhCn, t, zone("Asia/Shanghai")),
        "Asia/Shanghai（UTC+08:00）"
    );
    assert_eq!(l.zone_with_offset(Lang::En, t, Tz::UTC), "UTC");
}

// ---- messages ----

#[test]
fn every_message_id_exists_in_all_three_languages() {
    let missing = locales().missing_keys();
    assert!(missing.is_empty(), "messages missing: {missing:?}");
    let en = locales().message_ids(Lang::En);
    for lang in Lang::ALL {
        let mut ids = locales().message_ids(lang);
        ids.sort();
        let mut expected = en.clone();
        expected.sort();
        assert_eq!(ids, expected, "{lang}");
    }
}

#[test]
fn titles_and_fixed_terms_are_the_agreed_ones() {
    let l = locales();
    assert_eq!(l.message(Lang::En, "receipt-title"), "Refund receipt");
    assert_eq!(l.message(Lang::ZhCn, "receipt-title"), "退款凭证");
    assert_eq!(
        l.message(Lang::PtBr, "receipt-title"),
        "Comprovante de estorno"
    );
    assert_eq!(l.message(Lang::ZhCn, "label-refunded-amount"), "退款金额");
    assert_eq!(l.message(Lang::ZhCn, "label-reason"), "退款原因");
    assert_eq!(l.message(Lang::ZhCn, "label-payment-method"), "支付方式");
    assert_eq!(l.message(Lang::ZhCn, "label-acquirer"), "收单机构");
    assert_eq!(l.message(Lang::ZhCn, "label-currency"), "币种");
    assert_eq!(l.message(Lang::ZhCn, "label-status"), "状态");
    assert_eq!(l.message(Lang::ZhCn, "status-success"), "成功");
    assert_eq!(l.message(Lang::ZhCn, "status-fail"), "失败");
    assert_eq!(l.message(Lang::ZhCn, "status-processing"), "处理中");
    assert_eq!(l.message(Lang::ZhCn, "refund-type-total"), "全额退款");
    assert_eq!(l.message(Lang::ZhCn, "refund-type-partial"), "部分退款");
    assert_eq!(
        l.message(Lang::PtBr, "label-refunded-amount"),
        "Valor estornado"
    );
    assert_eq!(
        l.message(Lang::PtBr, "label-refund-time"),
        "Data do estorno"
    );
    assert_eq!(l.message(Lang::PtBr, "label-reason"), "Motivo");
    assert_eq!(l.message(Lang::PtBr, "status-success"), "Concluído");
    assert_eq!(l.message(Lang::PtBr, "refund-type-total"), "Total");
    assert_eq!(l.message(Lang::PtBr, "refund-type-partial"), "Parcial");
    assert_eq!(
        l.message(Lang::En, "footer-validity"),
        "This receipt was generated electronically and is valid without a signature."
    );
}

#[test]
fn messages_with_arguments_carry_no_unicode_isolation_marks() {
    let l = locales();
    for lang in Lang::ALL {
        let mut args = FluentArgs::new();
        args.set("number", "RR-0000-0000-0000-0000");
        args.set("time", "T");
        args.set("datetime", "D");
        args.set("zone", "Z");
        args.set("offset", "+00:00");
        args.set("method", "CARD");
        args.set("provider", "VISA");
        args.set("contact", "help@example.com");
        // The web page's.
        args.set("seconds", "30");
        args.set("count", 2);
        args.set("id", "2026100240710");
        args.set("kind", "PAYMENT");
        args.set("status", "FAIL");
        for id in l.message_ids(lang) {
            let s = l.message_args(lang, &id, &args);
            assert!(no_isolation_marks(&s), "{lang} {id}: {s:?}");
            assert!(!s.contains("{$"), "{lang} {id} lacks an argument: {s:?}");
        }
    }
}

#[test]
fn a_missing_message_shows_its_id_instead_of_failing() {
    assert_eq!(
        locales().message(Lang::En, "no-such-message"),
        "no-such-message"
    );
    assert!(!locales().has_message(Lang::PtBr, "no-such-message"));
}

#[test]
fn payment_methods_are_localized_and_unknown_ones_kept_as_given() {
    let l = locales();
    let method = |lang, m: &str| {
        let mut args = FluentArgs::new();
        args.set("method", m);
        l.message_args(lang, "payment-method", &args)
    };
    assert_eq!(method(Lang::En, "CARD"), "Card");
    assert_eq!(method(Lang::ZhCn, "ALIPAY_CN"), "支付宝");
    assert_eq!(method(Lang::PtBr, "CARD"), "Cartão");
    assert_eq!(method(Lang::PtBr, "SOME_NEW_WALLET"), "SOME_NEW_WALLET");
}

// ---- negotiation ----

#[test]
fn negotiation_accepts_the_documented_tags_in_any_case_and_separator() {
    let cases = [
        ("en", Lang::En),
        ("en-US", Lang::En),
        ("en-GB", Lang::En),
        ("EN_us", Lang::En),
        ("zh", Lang::ZhCn),
        ("zh-CN", Lang::ZhCn),
        ("zh-Hans", Lang::ZhCn),
        ("zh-Hans-CN", Lang::ZhCn),
        ("zh_hans_cn", Lang::ZhCn),
        ("ZH-cn", Lang::ZhCn),
        ("pt", Lang::PtBr),
        ("pt-BR", Lang::PtBr),
        ("pt_br", Lang::PtBr),
        (" pt-BR ", Lang::PtBr),
    ];
    for (tag, lang) in cases {
        assert_eq!(Lang::negotiate(tag), Ok(lang), "{tag}");
        assert_eq!(tag.parse::<Lang>(), Ok(lang), "{tag}");
    }
    for lang in Lang::ALL {
        assert_eq!(Lang::negotiate(lang.tag()), Ok(lang));
        assert_eq!(lang.to_string(), lang.tag());
    }
    assert_eq!(Lang::ALL.map(Lang::tag), ["en", "zh-CN", "pt-BR"]);
}

#[test]
fn an_unoffered_language_is_refused_with_the_offered_list() {
    let err = Lang::negotiate("fr").unwrap_err();
    assert_eq!(
        err.to_string(),
        "language \"fr\" is not offered; choose one of: en, zh-CN, pt-BR"
    );
    // Traditional script and European Portuguese are not silently mapped.
    for tag in [
        "zh-TW",
        "zh-Hant",
        "zh-Hant-HK",
        "pt-PT",
        "",
        "e",
        "en-US-posix",
        "xx_!!",
    ] {
        let err = Lang::negotiate(tag).unwrap_err();
        assert!(matches!(err, LocaleError::NotOffered { .. }), "{tag}");
        assert!(
            err.to_string().ends_with("choose one of: en, zh-CN, pt-BR"),
            "{err}"
        );
    }
}

#[test]
fn accept_language_picks_the_highest_q_value_that_is_offered() {
    assert_eq!(
        Lang::from_accept_language("fr-CH, fr;q=0.9, pt-BR;q=0.8, en;q=0.7"),
        Some(Lang::PtBr)
    );
    assert_eq!(
        Lang::from_accept_language("en;q=0.5, zh-CN"),
        Some(Lang::ZhCn)
    );
    assert_eq!(
        Lang::from_accept_language("zh-TW, zh;q=0.8, en;q=0.9"),
        Some(Lang::En)
    );
    assert_eq!(
        Lang::from_accept_language("en;q=0.8, pt;q=0.8"),
        Some(Lang::En)
    );
    assert_eq!(
        Lang::from_accept_language("pt-BR;q=0, en;q=0.1"),
        Some(Lang::En)
    );
    assert_eq!(Lang::from_accept_language("de, *;q=0.1"), Some(Lang::En));
    assert_eq!(Lang::from_accept_language("de, fr;q=0.5"), None);
    assert_eq!(Lang::from_accept_language("pt-BR;q=abc"), None);
    assert_eq!(Lang::from_accept_language(""), None);
}

#[test]
fn language_lists_parse_in_order_without_duplicates() {
    assert_eq!(Lang::parse_list("en,zh-CN,pt-BR"), Ok(Lang::ALL.to_vec()));
    assert_eq!(
        Lang::parse_list(" pt-BR , en, pt "),
        Ok(vec![Lang::PtBr, Lang::En])
    );
    assert_eq!(Lang::parse_list("all"), Ok(Lang::ALL.to_vec()));
    assert_eq!(Lang::parse_list("en,"), Ok(vec![Lang::En]));
    assert_eq!(Lang::parse_list(" , "), Err(LocaleError::NoLanguage));
    let err = Lang::parse_list("en,de").unwrap_err();
    assert_eq!(
        err.to_string(),
        "language \"de\" is not offered; choose one of: en, zh-CN, pt-BR"
    );
}

// ---- threads ----

#[test]
fn locales_are_shared_across_rayon_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Locales>();
    let l = locales();
    let t = instant();
    let produced: Vec<String> = (0..3000usize)
        .into_par_iter()
        .map(|i| {
            let lang = Lang::ALL[i % 3];
            let mut args = FluentArgs::new();
            args.set("number", format!("RR-{i}"));
            format!(
                "{}|{}|{}",
                l.message_args(lang, "receipt-number", &args),
                l.money(lang, money(i as i64 * 101, "USD")),
                l.datetime(lang, t, zone("Asia/Shanghai"))
            )
        })
        .collect();
    assert_eq!(
        produced[0],
        "Receipt no. RR-0|$0.00|Mar 5, 2024, 6:20:30\u{202f}PM"
    );
    assert_eq!(produced[1], "凭证编号：RR-1|US$1.01|2024年3月5日 18:20:30");
    assert_eq!(
        produced[2],
        "Comprovante nº RR-2|US$\u{a0}2,02|5 de mar. de 2024, 18:20:30"
    );
    assert_eq!(
        produced[2999],
        "Comprovante nº RR-2999|US$\u{a0}3.028,99|5 de mar. de 2024, 18:20:30"
    );
}

// ---- receipt page ----

fn payment() -> Transaction {
    let mut p = Transaction::blank(Currency::parse("BRL").unwrap());
    p.customer_id = "2188120000000001".into();
    p.acquirer = "Antom".into();
    p.transaction_id = "PAY-20240301-0001".into();
    p.transaction_request_id = "pr-7731".into();
    p.reference_transaction_id = "ORDER-55812".into();
    p.payment_method_type = "CARD".into();
    p.psp_name = "VISA".into();
    p.transaction_type = TxType::Payment;
    p.status = TxStatus::Success;
    p.payment_time = at("2024-03-01T15:00:00Z");
    p.amount = money(250000, "BRL");
    p.merchant_name = "Loja Azul".into();
    p.order_description = "Tênis de corrida".into();
    p
}

fn refund() -> Transaction {
    let mut r = Transaction::blank(Currency::parse("BRL").unwrap());
    r.customer_id = "2188120000000001".into();
    r.acquirer = "Antom".into();
    r.transaction_id = "REF-20240305-0042".into();
    r.original_transaction_id = "PAY-20240301-0001".into();
    r.transaction_request_id = "rr-991".into();
    r.reference_transaction_id = "ORDER-55812".into();
    r.transaction_type = TxType::Refund;
    r.status = TxStatus::Success;
    r.payment_time = instant();
    r.amount = money(-123450, "BRL");
    r.reason = "Produto devolvido".into();
    r.merchant_name = "Loja Azul".into();
    r
}

fn build(
    refund: &Transaction,
    original: Option<&Transaction>,
    lang: Lang,
    zone_name: &str,
) -> ReceiptPage {
    build_page(
        locales(),
        &ReceiptInput {
            refund,
            original,
            lang,
            zone: zone(zone_name),
            generated_at: at("2024-03-06T12:00:00Z"),
            branding: &recibo::receipt::template::Branding::default(),
        },
    )
}

fn value<'p>(page: &'p ReceiptPage, label_id: &str) -> Option<&'p str> {
    let label = locales().message(Lang::negotiate(page.lang).unwrap(), label_id);
    page.sections
        .iter()
        .flat_map(|s| &s.rows)
        .find(|r| r.label == label)
        .map(|r| r.value.as_str())
}

fn all_text(page: &ReceiptPage) -> Vec<&str> {
    let mut text = vec![
        page.brand.as_str(),
        page.title.as_str(),
        page.subtitle.as_str(),
        page.refund_id.as_str(),
    ];
    for s in &page.sections {
        text.push(&s.heading);
        for r in &s.rows {
            text.push(&r.label);
            text.push(&r.value);
        }
    }
    text.extend(page.footer.iter().map(String::as_str));
    text
}

#[test]
fn a_built_page_shows_title_amounts_and_zone_in_brazilian_portuguese() {
    let (r, p) = (refund(), payment());
    let page = build(&r, Some(&p), Lang::PtBr, "America/Sao_Paulo");
    assert_eq!(page.lang, "pt-BR");
    assert_eq!(page.title, "Comprovante de estorno");
    assert_eq!(page.brand, "Loja Azul");
    assert_eq!(page.refund_id, "REF-20240305-0042");
    assert_eq!(
        page.subtitle,
        format!("Comprovante nº {}", receipt_number(&r))
    );
    assert_eq!(
        value(&page, "label-refunded-amount"),
        Some("R$\u{a0}1.234,50")
    );
    assert_eq!(
        value(&page, "label-original-amount"),
        Some("R$\u{a0}2.500,00")
    );
    assert_eq!(value(&page, "label-currency"), Some("BRL"));
    assert_eq!(value(&page, "label-refund-type"), Some("Parcial"));
    assert_eq!(value(&page, "label-status"), Some("Concluído"));
    assert_eq!(value(&page, "label-reason"), Some("Produto devolvido"));
    assert_eq!(
        value(&page, "label-refund-time"),
        Some("5 de mar. de 2024, 07:20:30 (America/Sao_Paulo)")
    );
    assert_eq!(
        value(&page, "label-time-zone"),
        Some("America/Sao_Paulo (UTC-03:00)")
    );
    assert_eq!(value(&page, "label-payment-method"), Some("Cartão (VISA)"));
    assert_eq!(
        value(&page, "label-original-payment-id"),
        Some("PAY-20240301-0001")
    );
    assert_eq!(value(&page, "label-merchant-order-id"), Some("ORDER-55812"));
    assert_eq!(value(&page, "label-merchant-id"), Some("2188120000000001"));
    assert_eq!(value(&page, "label-acquirer"), Some("Antom"));
    assert_eq!(
        page.footer[0],
        "Gerado em 6 de mar. de 2024, 09:00:00 (America/Sao_Paulo)"
    );
    assert_eq!(
        page.footer[1],
        "Este comprovante foi gerado eletronicamente e é válido sem assinatura."
    );
    assert_eq!(
        page.sections
            .iter()
            .map(|s| s.heading.as_str())
            .collect::<Vec<_>>(),
        ["Estorno", "Pagamento original", "Estabelecimento"]
    );
}

#[test]
fn a_built_page_shows_title_amounts_and_zone_in_simplified_chinese() {
    let mut r = refund();
    r.amount = money(-123450, "CNY");
    r.reason = "商品退货".into();
    r.payment_method_type = "ALIPAY_CN".into();
    let page = build(&r, None, Lang::ZhCn, "Asia/Shanghai");
    assert_eq!(page.lang, "zh-CN");
    assert_eq!(page.title, "退款凭证");
    assert_eq!(
        value(&page, "label-refunded-amount"),
        Some("¥1,234.50\u{a0}CNY")
    );
    assert_eq!(value(&page, "label-currency"), Some("CNY"));
    assert_eq!(value(&page, "label-status"), Some("成功"));
    assert_eq!(value(&page, "label-reason"), Some("商品退货"));
    assert_eq!(value(&page, "label-payment-method"), Some("支付宝"));
    assert_eq!(
        value(&page, "label-refund-time"),
        Some("2024年3月5日 18:20:30（Asia/Shanghai）")
    );
    assert_eq!(
        page.footer[0],
        "生成时间：2024年3月6日 20:00:00（Asia/Shanghai）"
    );
    // Without the original payment its amount is not shown, nor a guessed refund type.
    assert_eq!(value(&page, "label-original-amount"), None);
    assert_eq!(value(&page, "label-refund-type"), None);
}

#[test]
fn a_built_page_shows_title_amounts_and_zone_in_english() {
    let mut r = refund();
    r.amount = money(-5000, "JPY");
    r.refund_type = "total".into();
    let mut p = payment();
    p.amount = money(5000, "JPY");
    let page = build(&r, Some(&p), Lang::En, "UTC");
    assert_eq!(page.title, "Refund receipt");
    assert_eq!(
        value(&page, "label-refunded-amount"),
        Some("¥5,000\u{a0}JPY")
    );
    assert_eq!(
        value(&page, "label-original-amount"),
        Some("¥5,000\u{a0}JPY")
    );
    assert_eq!(value(&page, "label-refund-type"), Some("Full refund"));
    assert_eq!(
        value(&page, "label-refund-time"),
        Some("Mar 5, 2024, 10:20:30\u{202f}AM (UTC)")
    );
    assert_eq!(
        value(&page, "label-payment-time"),
        Some("Mar 1, 2024, 3:00:00\u{202f}PM (UTC)")
    );
    assert_eq!(value(&page, "label-payment-method"), Some("Card (VISA)"));
    assert_eq!(
        value(&page, "label-order-description"),
        Some("Tênis de corrida")
    );
}

#[test]
fn every_page_names_the_zone_and_has_no_isolation_marks() {
    let (r, p) = (refund(), payment());
    for lang in Lang::ALL {
        for zone_name in ["Asia/Shanghai", "America/Sao_Paulo", "UTC"] {
            let page = build(&r, Some(&p), lang, zone_name);
            let text = all_text(&page);
            assert!(
                text.iter().any(|s| s.contains(zone_name)),
                "{lang} {zone_name}"
            );
            assert!(
                page.footer.iter().any(|s| s.contains(zone_name)),
                "{lang} {zone_name}"
            );
            for s in text {
                assert!(no_isolation_marks(s), "{lang}: {s:?}");
                assert!(!s.contains("{$") && !s.contains("label-"), "{lang}: {s:?}");
            }
        }
    }
}

#[test]
fn the_refund_type_is_inferred_from_the_amounts_when_the_source_omits_it() {
    let (r, mut p) = (refund(), payment());
    p.amount = money(123450, "BRL");
    let page = build(&r, Some(&p), Lang::En, "UTC");
    assert_eq!(value(&page, "label-refund-type"), Some("Full refund"));
    let mut r2 = refund();
    r2.refund_type = "PARTIAL".into();
    let page = build(&r2, Some(&p), Lang::ZhCn, "UTC");
    assert_eq!(value(&page, "label-refund-type"), Some("部分退款"));
}

#[test]
fn unknown_required_fields_show_a_dash_and_unknown_optional_ones_are_left_out() {
    let mut r = Transaction::blank(Currency::parse("USD").unwrap());
    r.transaction_id = "R-1".into();
    r.amount = money(-100, "USD");
    let page = build(&r, None, Lang::En, "UTC");
    assert_eq!(value(&page, "label-original-payment-id"), Some("—"));
    assert_eq!(value(&page, "label-merchant-id"), Some("—"));
    assert_eq!(value(&page, "label-status"), Some("—"));
    assert_eq!(value(&page, "label-refund-time"), Some("—"));
    assert_eq!(
        value(&page, "label-refunded-amount"),
        Some("$1.00\u{a0}USD")
    );
    for optional in [
        "label-refund-request-id",
        "label-reason",
        "label-payment-method",
        "label-acquirer",
        "label-merchant-name",
    ] {
        assert_eq!(value(&page, optional), None, "{optional}");
    }
    assert_eq!(page.brand, "");
}

#[test]
fn the_original_payment_fills_in_what_the_refund_record_lacks() {
    let mut r = Transaction::blank(Currency::parse("BRL").unwrap());
    r.transaction_id = "REF-9".into();
    r.amount = money(-100, "BRL");
    r.status = TxStatus::Success;
    let p = payment();
    let page = build(&r, Some(&p), Lang::PtBr, "America/Sao_Paulo");
    assert_eq!(page.brand, "Loja Azul");
    assert_eq!(
        value(&page, "label-original-payment-id"),
        Some("PAY-20240301-0001")
    );
    assert_eq!(value(&page, "label-merchant-order-id"), Some("ORDER-55812"));
    assert_eq!(value(&page, "label-merchant-id"), Some("2188120000000001"));
    assert_eq!(value(&page, "label-payment-method"), Some("Cartão (VISA)"));
}

// ---- receipt number ----

#[test]
fn the_receipt_number_is_stable_for_a_refund_and_differs_between_refunds() {
    let r = refund();
    let number = receipt_number(&r);
    // Pinned (SHA-256 computed independently): a change here renumbers every receipt
    // ever issued.
    assert_eq!(number, "RR-C098-4A6E-9AF1-E804");
    assert_eq!(number, receipt_number(&refund()));
    // Not the page, language or zone: only the refund decides.
    let subtitles: Vec<String> = Lang::ALL
        .iter()
        .map(|l| build(&r, None, *l, "UTC").subtitle)
        .collect();
    assert!(
        subtitles.iter().all(|s| s.contains(&number)),
        "{subtitles:?}"
    );
    // Another refund, or the same refund ID at another merchant, gets another number.
    let mut other = refund();
    other.transaction_id = "REF-20240305-0043".into();
    assert_ne!(receipt_number(&other), number);
    let mut elsewhere = refund();
    elsewhere.customer_id = "2188120000000002".into();
    assert_ne!(receipt_number(&elsewhere), number);
    // Fields that do not identify the refund do not change it.
    let mut restated = refund();
    restated.reason = "another reason".into();
    restated.amount = money(-1, "BRL");
    assert_eq!(receipt_number(&restated), number);
}
