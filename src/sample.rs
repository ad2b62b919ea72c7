//! Synthetic transactions for `recibo sample`: demos, tests and benchmarks.
//!
//! The rows are the mix a gateway's transaction details report holds: payments of a handful
//! of merchants in currencies with 0, 2 and 3 minor digits, their total and partial refunds,
//! card authorizations with their captures and voids, a few disputes. They carry the awkward
//! data real reports do: descriptions in several scripts, with commas, quotes, line breaks
//! and spreadsheet formula triggers, some at the 256-character limit.
//!
//! A seed names the same rows on every machine: one seeded generator, integer arithmetic
//! only (no floats, no pointer-sized random draws). Memory stays flat however many rows are
//! asked for: refunds, captures and disputes are drawn from small bounded pools of earlier
//! transactions, never from all of them.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use fastrand::Rng;

use crate::model::{Currency, Money, Transaction, TxStatus, TxType};

/// The refund the on-demand example asks for (`recibo receipt 2026110100042`). Every
/// sample of at least [`ON_DEMAND_MIN_ROWS`] rows whose window covers 2026-11-01 has it, as a
/// successful refund created that day.
pub const ON_DEMAND_REFUND_ID: &str = "2026110100042";

/// Below this many rows the sample is too sparse to promise the on-demand refund.
pub const ON_DEMAND_MIN_ROWS: u64 = 100;

const ON_DEMAND_ID: u64 = 2026110100042;
const ON_DEMAND_DAY: u64 = 20261101;
/// 2026-11-01T12:00:00Z.
const ON_DEMAND_NOON: i64 = 1_793_534_400;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of transactions.
    pub rows: u64,
    /// Same seed, same rows.
    pub seed: u64,
    /// Creation times fall in `[start, start + days)`.
    pub start: DateTime<Utc>,
    pub days: u32,
}

impl Default for SampleOptions {
    /// October 2026 and the first week of November, so a sample has both a month of refunds
    /// to bulk-print and the 2026-11-01 on-demand refund.
    fn default() -> Self {
        SampleOptions {
            rows: 10_000,
            seed: 7,
            start: Utc
                .with_ymd_and_hms(2026, 10, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            days: 38,
        }
    }
}

/// Calls `emit` once per generated transaction, in creation-time order, refilling one
/// [`Transaction`] so that no row allocates once its strings have grown. Stops at the first
/// error `emit` returns.
pub fn generate<E>(
    options: &SampleOptions,
    mut emit: impl FnMut(&Transaction) -> Result<(), E>,
) -> Result<(), E> {
    let mut generator = Generator::new(options);
    let mut tx = Transaction::blank(generator.currencies[USD as usize]);
    for row in 0..options.rows {
        generator.fill(row, &mut tx);
        emit(&tx)?;
    }
    Ok(())
}

/// All rows at once; for tests and small samples.
pub fn generate_vec(options: &SampleOptions) -> Vec<Transaction> {
    let mut rows = Vec::with_capacity(usize::try_from(options.rows).unwrap_or(0).min(1 << 20));
    let result = generate(options, |tx| {
        rows.push(tx.clone());
        Ok::<(), std::convert::Infallible>(())
    });
    match result {
        Ok(()) => rows,
        Err(never) => match never {},
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data.

struct CurrencySpec {
    code: &'static str,
    /// Price range in minor units.
    min: i64,
    max: i64,
    /// Prices are multiples of this many minor units (nobody charges 12,345 VND).
    step: i64,
    /// Value of one major unit in billionths of a US dollar; fixed so settlement amounts
    /// are reproducible.
    usd_nano: i64,
}

const VND: u8 = 0;
const JPY: u8 = 1;
const KRW: u8 = 2;
const IDR: u8 = 3;
const BHD: u8 = 4;
const BRL: u8 = 5;
const CNY: u8 = 6;
const HKD: u8 = 7;
const USD: u8 = 8;
const EUR: u8 = 9;

#[rustfmt::skip]
const CURRENCIES: [CurrencySpec; 10] = [
    CurrencySpec { code: "VND", min: 10_000, max: 5_000_000, step: 1_000, usd_nano: 39_300 },
    CurrencySpec { code: "JPY", min: 100, max: 100_000, step: 10, usd_nano: 6_700_000 },
    CurrencySpec { code: "KRW", min: 1_000, max: 1_000_000, step: 100, usd_nano: 720_000 },
    CurrencySpec { code: "IDR", min: 1_000_000, max: 500_000_000, step: 100_000, usd_nano: 61_000 },
    CurrencySpec { code: "BHD", min: 1_000, max: 500_000, step: 50, usd_nano: 2_652_000_000 },
    CurrencySpec { code: "BRL", min: 500, max: 500_000, step: 1, usd_nano: 180_000_000 },
    CurrencySpec { code: "CNY", min: 100, max: 2_000_000, step: 1, usd_nano: 139_000_000 },
    CurrencySpec { code: "HKD", min: 1_000, max: 1_000_000, step: 1, usd_nano: 128_000_000 },
    CurrencySpec { code: "USD", min: 100, max: 200_000, step: 1, usd_nano: 1_000_000_000 },
    CurrencySpec { code: "EUR", min: 100, max: 200_000, step: 1, usd_nano: 1_080_000_000 },
];

struct Method {
    code: &'static str,
    psp: &'static str,
    fee_bps: i64,
    /// Whether merchants also charge it without the buyer present (AGREEMENT_PAYMENT).
    agreement: bool,
}

const CARD: u8 = 0;
const APPLEPAY: u8 = 1;
const PAYPAL: u8 = 2;
const PIX: u8 = 3;
const ALIPAY_CN: u8 = 4;
const ALIPAY_HK: u8 = 5;
const DANA: u8 = 6;
const KLARNA: u8 = 7;
const ZALOPAY: u8 = 8;
const KAKAOPAY: u8 = 9;
const NAVERPAY: u8 = 10;
const PAYPAY: u8 = 11;
const MERCADOPAGO: u8 = 12;

#[rustfmt::skip]
const METHODS: [Method; 13] = [
    Method { code: "CARD", psp: "", fee_bps: 290, agreement: true },
    Method { code: "APPLEPAY", psp: "Apple Pay", fee_bps: 290, agreement: false },
    Method { code: "PAYPAL", psp: "PayPal", fee_bps: 349, agreement: true },
    Method { code: "PIX", psp: "", fee_bps: 99, agreement: false },
    Method { code: "ALIPAY_CN", psp: "Alipay", fee_bps: 180, agreement: true },
    Method { code: "ALIPAY_HK", psp: "AlipayHK", fee_bps: 180, agreement: true },
    Method { code: "DANA", psp: "DANA", fee_bps: 200, agreement: false },
    Method { code: "KLARNA", psp: "Klarna", fee_bps: 329, agreement: false },
    Method { code: "ZALOPAY", psp: "ZaloPay", fee_bps: 200, agreement: false },
    Method { code: "KAKAOPAY", psp: "KakaoPay", fee_bps: 220, agreement: true },
    Method { code: "NAVERPAY", psp: "Naver Pay", fee_bps: 220, agreement: false },
    Method { code: "PAYPAY", psp: "PayPay", fee_bps: 198, agreement: false },
    Method { code: "MERCADOPAGO", psp: "Mercado Pago", fee_bps: 249, agreement: false },
];

const ANTOM: u8 = 0;
const ADYEN: u8 = 1;
const STRIPE: u8 = 2;
const CHECKOUT: u8 = 3;
const BRAINTREE: u8 = 4;
const PAYPAL_ACQ: u8 = 5;
const KLARNA_ACQ: u8 = 6;

const ACQUIRERS: [&str; 7] = [
    "Antom",
    "Adyen",
    "Stripe",
    "Checkout",
    "Braintree",
    "PayPal",
    "Klarna",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Pt,
    Zh,
    En,
    Vi,
    Ja,
    Ko,
    Id,
}

/// A merchant's ID at one acquirer: the report's customerId.
struct Account {
    acquirer: u8,
    customer_id: &'static str,
}

/// A way a merchant takes money: method, through which account, in which currency.
struct Channel {
    method: u8,
    account: u8,
    currency: u8,
    weight: u32,
}

struct Merchant {
    name: &'static str,
    /// Prefix of the merchant's order IDs.
    code: &'static str,
    lang: Lang,
    /// Share of the traffic, in percent.
    weight: u32,
    /// `None`: settled in the transaction currency.
    settles_in: Option<u8>,
    accounts: &'static [Account],
    channels: &'static [Channel],
    sub_merchants: &'static [&'static str],
    stores: &'static [&'static str],
    items: &'static [&'static str],
}

const fn ch(method: u8, account: u8, currency: u8, weight: u32) -> Channel {
    Channel {
        method,
        account,
        currency,
        weight,
    }
}

const fn acct(acquirer: u8, customer_id: &'static str) -> Account {
    Account {
        acquirer,
        customer_id,
    }
}

/// The first two are Brazilian merchants on Antom, so that a month's BRL refunds through
/// Antom (the receipts use case) are plentiful.
#[rustfmt::skip]
const MERCHANTS: [Merchant; 9] = [
    Merchant {
        name: "Padaria São João Ltda.", code: "PSJ", lang: Lang::Pt, weight: 18, settles_in: None,
        accounts: &[acct(ANTOM, "2188120000001234"), acct(ADYEN, "PadariaSaoJoaoBR")],
        channels: &[ch(PIX, 0, BRL, 45), ch(CARD, 0, BRL, 30), ch(MERCADOPAGO, 0, BRL, 8),
            ch(CARD, 1, BRL, 12), ch(APPLEPAY, 1, BRL, 5)],
        sub_merchants: &[],
        stores: &["PSJ-LOJA-001", "PSJ-LOJA-002", "PSJ-LOJA-003", "PSJ-DELIVERY"],
        items: &["Pão francês", "Pão de queijo", "Café expresso",
            "Bolo de cenoura com cobertura de chocolate", "Coxinha de frango",
            "Suco de laranja 500ml", "Croissant de presunto e queijo", "Sonho de creme",
            "Torta de limão", "Cesta de café da manhã"],
    },
    Merchant {
        name: "Loja Verde Moda Sustentável Ltda.", code: "LVM", lang: Lang::Pt, weight: 12,
        settles_in: Some(USD),
        accounts: &[acct(ANTOM, "2188120000002468"), acct(STRIPE, "acct_1NvLojaVerdeBR")],
        channels: &[ch(PIX, 0, BRL, 40), ch(CARD, 0, BRL, 30), ch(CARD, 0, USD, 5),
            ch(CARD, 1, BRL, 15), ch(APPLEPAY, 1, BRL, 10)],
        sub_merchants: &["LV-SP-01", "LV-RJ-02", "LV-BH-03"],
        stores: &[],
        items: &["Camiseta de algodão orgânico", "Calça jeans reciclada", "Vestido de linho",
            "Tênis de lona", "Bolsa de couro vegano", "Meia de bambu (kit com 3)",
            "Jaqueta corta-vento", "Boné de algodão"],
    },
    Merchant {
        name: "上海示例贸易有限公司", code: "SHT", lang: Lang::Zh, weight: 16, settles_in: Some(USD),
        accounts: &[acct(ANTOM, "2188120000005678"), acct(CHECKOUT, "ent_shanghaidemo01")],
        channels: &[ch(ALIPAY_CN, 0, CNY, 55), ch(ALIPAY_HK, 0, HKD, 12), ch(CARD, 0, CNY, 10),
            ch(CARD, 1, USD, 15), ch(APPLEPAY, 1, USD, 8)],
        sub_merchants: &["SUB-SH-0001", "SUB-SH-0002", "SUB-HZ-0007"],
        stores: &[],
        items: &["真丝围巾", "龙井绿茶礼盒", "景德镇青花瓷杯", "无线蓝牙耳机", "月饼礼盒（双黄莲蓉）",
            "羊毛大衣", "保温杯 500ml", "定制丝绸旗袍"],
    },
    Merchant {
        name: "Acme Electronics Inc.", code: "ACME", lang: Lang::En, weight: 20, settles_in: None,
        accounts: &[acct(STRIPE, "acct_1AcmeElectronicsUS"), acct(ADYEN, "AcmeElectronicsECOM"),
            acct(PAYPAL_ACQ, "QH7T4ZJ8W2M3L"), acct(BRAINTREE, "acmeelectronics_us"),
            acct(KLARNA_ACQ, "K501234")],
        channels: &[ch(CARD, 0, USD, 30), ch(APPLEPAY, 0, USD, 10), ch(CARD, 1, EUR, 15),
            ch(APPLEPAY, 1, EUR, 5), ch(PAYPAL, 2, USD, 12), ch(PAYPAL, 2, EUR, 5),
            ch(PAYPAL, 3, USD, 6), ch(CARD, 3, USD, 5), ch(KLARNA, 4, EUR, 8),
            ch(KLARNA, 4, USD, 4)],
        sub_merchants: &[],
        stores: &["ACME-WEB-US", "ACME-WEB-EU", "ACME-NYC-5TH"],
        items: &["USB-C charging cable 2m", "Noise-cancelling headphones", "27-inch 4K monitor",
            "Mechanical keyboard (US layout)", "Wireless mouse", "Extended warranty, 2 years",
            "Smart home hub", "HDMI 2.1 cable", "Laptop stand", "Webcam 1080p"],
    },
    Merchant {
        name: "Công ty TNHH Cà Phê Sài Gòn", code: "CPSG", lang: Lang::Vi, weight: 10,
        settles_in: Some(USD),
        accounts: &[acct(ANTOM, "2188120000003579"), acct(CHECKOUT, "ent_caphesaigon01")],
        channels: &[ch(ZALOPAY, 0, VND, 35), ch(CARD, 0, VND, 30), ch(CARD, 1, VND, 20),
            ch(APPLEPAY, 1, VND, 15)],
        sub_merchants: &[],
        stores: &["CPSG-Q1", "CPSG-Q3", "CPSG-THAODIEN"],
        items: &["Cà phê sữa đá", "Bánh mì thịt nướng", "Trà đào cam sả", "Cà phê muối", "Bạc xỉu",
            "Bánh flan"],
    },
    Merchant {
        name: "東京雑貨株式会社", code: "TKZ", lang: Lang::Ja, weight: 10, settles_in: None,
        accounts: &[acct(ADYEN, "TokyoZakkaJP"), acct(ANTOM, "2188120000004680")],
        channels: &[ch(CARD, 0, JPY, 45), ch(APPLEPAY, 0, JPY, 15), ch(PAYPAY, 1, JPY, 25),
            ch(ALIPAY_CN, 1, JPY, 15)],
        sub_merchants: &[],
        stores: &["TKZ-ASAKUSA", "TKZ-SHIBUYA"],
        items: &["手ぬぐい（藍染）", "有田焼 湯呑み", "宇治抹茶 50g", "風呂敷", "南部鉄器 急須", "箸セット"],
    },
    Merchant {
        name: "서울뷰티 주식회사", code: "SLB", lang: Lang::Ko, weight: 7, settles_in: Some(USD),
        accounts: &[acct(ANTOM, "2188120000007913"), acct(CHECKOUT, "ent_seoulbeauty01")],
        channels: &[ch(KAKAOPAY, 0, KRW, 35), ch(NAVERPAY, 0, KRW, 20), ch(CARD, 1, KRW, 35),
            ch(CARD, 1, USD, 10)],
        sub_merchants: &[],
        stores: &["SLB-MYEONGDONG", "SLB-GANGNAM"],
        items: &["수분 크림 50ml", "선크림 SPF50+", "시트 마스크 10매", "립 틴트", "클렌징 폼",
            "비타민C 세럼"],
    },
    Merchant {
        name: "Gulf Gadgets W.L.L.", code: "GGB", lang: Lang::En, weight: 4, settles_in: None,
        accounts: &[acct(CHECKOUT, "ent_gulfgadgets01"), acct(ADYEN, "GulfGadgetsBH")],
        channels: &[ch(CARD, 0, BHD, 60), ch(APPLEPAY, 0, BHD, 25), ch(CARD, 1, BHD, 15)],
        sub_merchants: &[],
        stores: &["GGB-MANAMA-01"],
        items: &["Smartphone case", "Fast charger 65W", "Bluetooth speaker", "Smartwatch strap",
            "Power bank 20000mAh"],
    },
    Merchant {
        name: "PT Toko Sejahtera Abadi", code: "TSA", lang: Lang::Id, weight: 3,
        settles_in: Some(USD),
        accounts: &[acct(ANTOM, "2188120000008024")],
        channels: &[ch(DANA, 0, IDR, 60), ch(CARD, 0, IDR, 40)],
        sub_merchants: &["TSA-JKT", "TSA-DPS"],
        stores: &[],
        items: &["Kopi Toraja 250g", "Kain batik tulis", "Sambal matah botol", "Kaos katun",
            "Keripik tempe"],
    },
];

/// Cells a spreadsheet would run as formulas: exports must neutralise them.
const FORMULA_DESCRIPTIONS: [&str; 11] = [
    "=HYPERLINK(\"http://example.com/promo\",\"Clique aqui\")",
    "=1+1",
    "=SUM(A1:A10)",
    "=cmd|' /C calc'!A0",
    "+55 11 98765-4321 (entregar após 18h)",
    "+86 138 0013 8000 联系收货人",
    "-15% desconto de fidelidade",
    "-Gift card credit applied",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "@cliente_vip pedido especial",
    "\tPedido com observação",
];

const QUOTED_DESCRIPTIONS: [&str; 5] = [
    "Camiseta \"Edição Limitada\", tamanho M",
    "Monitor 27\" 4K, \"refurbished\"",
    "礼盒 \"中秋特别版\"，含 4 枚月饼",
    "Customer wrote: \"leave it at the door, please\"",
    "\"Quoted\" at the start, a comma, and the end\"",
];

const MULTILINE_DESCRIPTIONS: [&str; 5] = [
    "Entregar na portaria\nApto 42, Bloco B",
    "Gift message:\nHappy birthday, Ana!",
    "备注：\n请尽快发货，谢谢",
    "Windows line break\r\nsecond line",
    "Presente para a vovó\n\nNão incluir nota fiscal na caixa",
];

const GENERIC_DESCRIPTIONS: [&str; 9] = [
    "Online order",
    "Pedido online",
    "线上订单",
    "Gift card top-up",
    "Recarga de vale-presente",
    "礼品卡充值",
    "Subscription renewal",
    "Renovação de assinatura",
    "会员自动续费",
];

struct Reasons {
    refund: &'static [&'static str],
    refund_reject: &'static [&'static str],
    payment_fail: &'static [&'static str],
    cancelled: &'static [&'static str],
    void: &'static [&'static str],
}

const PT_REASONS: Reasons = Reasons {
    refund: &[
        "Cliente desistiu da compra",
        "Produto com defeito",
        "Cobrança em duplicidade",
        "Pedido não entregue",
        "Produto diferente do anunciado",
        "Troca de tamanho sem estoque",
    ],
    refund_reject: &[
        "Prazo para estorno expirado",
        "Saldo insuficiente na conta do lojista",
    ],
    payment_fail: &[
        "Saldo insuficiente",
        "Cartão recusado pelo emissor",
        "Suspeita de fraude",
    ],
    cancelled: &["Pagamento expirado", "Pedido cancelado pelo cliente"],
    void: &["Pedido cancelado pelo cliente", "Autorização expirada"],
};

const ZH_REASONS: Reasons = Reasons {
    refund: &[
        "商品质量问题",
        "买家不想要了",
        "重复支付",
        "未收到货",
        "商品与描述不符",
        "七天无理由退货",
    ],
    refund_reject: &["原交易已超过可退款期限", "商户余额不足"],
    payment_fail: &["余额不足", "风控拒绝", "支付超时", "用户取消支付"],
    cancelled: &["订单超时关闭", "买家取消订单"],
    void: &["客户取消订单", "预授权已过期"],
};

const EN_REASONS: Reasons = Reasons {
    refund: &[
        "Duplicate charge",
        "Customer request",
        "Item out of stock",
        "Order cancelled by merchant",
        "Item returned",
        "Damaged in transit",
    ],
    refund_reject: &["Refund period expired", "Insufficient merchant balance"],
    payment_fail: &[
        "Insufficient funds",
        "Do not honor",
        "Card expired",
        "3-D Secure authentication failed",
        "Suspected fraud",
    ],
    cancelled: &["Payment expired", "Order cancelled by customer"],
    void: &["Order cancelled by customer", "Authorization expired"],
};

const DISPUTE_REASONS: [&str; 5] = [
    "Fraud: card not present",
    "Merchandise not received",
    "Product not as described",
    "Credit not processed",
    "Duplicate processing",
];

fn reasons(lang: Lang) -> &'static Reasons {
    match lang {
        Lang::Pt => &PT_REASONS,
        Lang::Zh => &ZH_REASONS,
        _ => &EN_REASONS,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Success,
    Fail,
    Processing,
    Cancelled,
    Pending,
}

impl Status {
    fn tx(self) -> TxStatus {
        match self {
            Status::Success => TxStatus::Success,
            Status::Fail => TxStatus::Fail,
            Status::Processing => TxStatus::Processing,
            Status::Cancelled => TxStatus::Cancelled,
            Status::Pending => TxStatus::Pending,
        }
    }
}

#[rustfmt::skip]
const PAYMENT_STATUSES: [(Status, u32); 5] = [(Status::Success, 850), (Status::Fail, 80),
    (Status::Processing, 25), (Status::Cancelled, 25), (Status::Pending, 20)];
#[rustfmt::skip]
const REFUND_STATUSES: [(Status, u32); 3] =
    [(Status::Success, 880), (Status::Processing, 70), (Status::Fail, 50)];
const AUTH_STATUSES: [(Status, u32); 2] = [(Status::Success, 900), (Status::Fail, 100)];
#[rustfmt::skip]
const CAPTURE_STATUSES: [(Status, u32); 3] =
    [(Status::Success, 960), (Status::Processing, 20), (Status::Fail, 20)];
const VOID_STATUSES: [(Status, u32); 2] = [(Status::Success, 970), (Status::Fail, 30)];
#[rustfmt::skip]
const DISPUTE_STATUSES: [(Status, u32); 3] =
    [(Status::Processing, 500), (Status::Success, 300), (Status::Fail, 200)];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Payment,
    Refund,
    Authorization,
    Capture,
    Void,
    Dispute,
}

/// Share of each row kind, per mille. A refund, capture, void or dispute with nothing
/// suitable to refer to yet becomes a payment, so early rows are mostly payments.
#[rustfmt::skip]
const KINDS: [(Kind, u32); 6] = [(Kind::Payment, 789), (Kind::Refund, 140),
    (Kind::Authorization, 35), (Kind::Capture, 20), (Kind::Void, 6), (Kind::Dispute, 10)];

/// A refund comes minutes to days after its payment, never in the same instant.
const MIN_REFUND_LAG: i64 = 180;
const MIN_DISPUTE_LAG: i64 = 6 * 3600;
/// Successful payments most recently made, the source of quick refunds.
const RECENT_SLOTS: usize = 256;
/// Older successful payments, the source of refunds hours to days later.
const POOL_SLOTS: usize = 4096;
/// Authorizations waiting for a capture or void; the oldest lapse.
const AUTH_SLOTS: usize = 512;
/// How long, on average, a payment stays refundable in the pool.
const POOL_MEAN_AGE_SECS: u128 = 3 * 86_400;
/// Successful payments per thousand rows, as [`KINDS`] and [`PAYMENT_STATUSES`] give.
const SUCCESSFUL_PAYMENTS_PER_MILLE: u128 = 670;
/// Probabilities are fractions of 2^20.
const ONE: u32 = 1 << 20;
/// Multiplier of the per-day permutation of ID suffixes; coprime with 100,000.
const ID_STRIDE: u64 = 46_337;
/// Longest window accepted: chrono cannot represent times much further out.
const MAX_DAYS: u32 = 36_600;

// ---------------------------------------------------------------------------------------------
// Generator state.

/// What a refund, capture or dispute needs to know about the transaction it refers to.
/// Descriptions are not stored but regenerated from `desc_seed`.
#[derive(Clone, Copy, Debug)]
struct Paid {
    id: u64,
    time: i64,
    amount: i64,
    /// Refunded so far, counting in-flight refunds, so none can take the total past `amount`.
    refunded: i64,
    desc_seed: u64,
    order_no: u32,
    merchant: u8,
    channel: u8,
    store: u8,
    sub_merchant: u8,
    agreement: bool,
}

impl Paid {
    fn remaining(&self) -> i64 {
        self.amount - self.refunded
    }

    fn channel(&self) -> &'static Channel {
        &MERCHANTS[self.merchant as usize].channels[self.channel as usize]
    }

    fn account(&self) -> &'static Account {
        &MERCHANTS[self.merchant as usize].accounts[self.channel().account as usize]
    }

    fn channel_currency(&self) -> u8 {
        self.channel().currency
    }
}

/// A fixed-size FIFO; when full, a push evicts the oldest entry.
struct Ring {
    slots: Vec<Paid>,
    next: usize,
    cap: usize,
}

impl Ring {
    fn new(cap: usize) -> Ring {
        Ring {
            slots: Vec::with_capacity(cap),
            next: 0,
            cap,
        }
    }

    fn push(&mut self, entry: Paid) -> Option<Paid> {
        if self.slots.len() < self.cap {
            self.slots.push(entry);
            return None;
        }
        let evicted = std::mem::replace(&mut self.slots[self.next], entry);
        self.next = (self.next + 1) % self.cap;
        Some(evicted)
    }
}

/// A random live entry created at least `lag` seconds before `now`, in a few tries.
fn pick_live(rng: &mut Rng, slots: &[Paid], now: i64, lag: i64) -> Option<usize> {
    if slots.is_empty() {
        return None;
    }
    for _ in 0..4 {
        let i = rng.u32(..slots.len() as u32) as usize;
        if slots[i].remaining() > 0 && slots[i].time + lag <= now {
            return Some(i);
        }
    }
    None
}

#[derive(Clone, Copy)]
enum Slot {
    Recent(usize),
    Pool(usize),
}

struct OnDemand {
    row: u64,
    /// Only payments created before this are kept for the on-demand refund.
    cutoff: i64,
}

struct Generator {
    rng: Rng,
    seed: u64,
    currencies: [Currency; CURRENCIES.len()],
    exponents: [u8; CURRENCIES.len()],
    /// Decades each currency's price range spans, for log-scaled amounts.
    decades: [u32; CURRENCIES.len()],
    start: i64,
    span: u64,
    rows: u64,
    on_demand: Option<OnDemand>,
    day: i64,
    yyyymmdd: u64,
    day_salt: u64,
    day_count: u64,
    order_no: [u32; MERCHANTS.len()],
    recent: Ring,
    pool: Vec<Paid>,
    auths: Ring,
    /// An Antom BRL payment kept aside for the on-demand refund.
    reserved: Option<Paid>,
    /// Chance, in 2^-20, that a payment leaving `recent` enters the pool; set so that pool
    /// entries live about [`POOL_MEAN_AGE_SECS`] whatever the density of the sample.
    promote: u32,
}

impl Generator {
    fn new(options: &SampleOptions) -> Generator {
        let mut rng = Rng::with_seed(options.seed);
        let currencies = CURRENCIES.map(|c| match Currency::parse(c.code) {
            Ok(currency) => currency,
            Err(e) => panic!("sample currency table: {e}"),
        });
        let exponents = currencies.map(|c| c.exponent());
        let decades = CURRENCIES.map(|c| {
            let (mut n, mut lo) = (0, c.min);
            while lo <= c.max {
                n += 1;
                lo *= 10;
            }
            n
        });
        let span = u64::from(options.days.clamp(1, MAX_DAYS)) * 86_400;
        let start = options.start.timestamp();
        let rows = options.rows.max(1);

        let on_demand = (options.rows >= ON_DEMAND_MIN_ROWS
            && start <= ON_DEMAND_NOON
            && ON_DEMAND_NOON < start + span as i64)
            .then(|| {
                // The row whose time slot holds noon: its time can be set to noon (if it
                // falls outside 2026-11-01) without breaking the time order.
                let row =
                    ((ON_DEMAND_NOON - start) as u128 * u128::from(rows) / u128::from(span)) as u64;
                let slot_start =
                    start + (u128::from(span) * u128::from(row) / u128::from(rows)) as i64;
                OnDemand {
                    row,
                    cutoff: slot_start - 3600,
                }
            });

        let payments_per_mean_age =
            u128::from(rows) * SUCCESSFUL_PAYMENTS_PER_MILLE * POOL_MEAN_AGE_SECS
                / (1000 * u128::from(span));
        let promote = if payments_per_mean_age <= POOL_SLOTS as u128 {
            ONE
        } else {
            ((POOL_SLOTS as u128 * u128::from(ONE)) / payments_per_mean_age) as u32
        };

        let order_no = std::array::from_fn(|_| rng.u32(100_000..900_000));
        Generator {
            rng,
            seed: options.seed,
            currencies,
            exponents,
            decades,
            start,
            span,
            rows,
            on_demand,
            day: i64::MIN,
            yyyymmdd: 0,
            day_salt: 0,
            day_count: 0,
            order_no,
            recent: Ring::new(RECENT_SLOTS),
            pool: Vec::with_capacity(POOL_SLOTS),
            auths: Ring::new(AUTH_SLOTS),
            reserved: None,
            promote,
        }
    }

    /// Row `row` falls at a random point of its own equal slice of the window, so times are
    /// spread evenly and never go backwards.
    fn time_of(&mut self, row: u64) -> i64 {
        let position = (u128::from(row) << 32) | u128::from(self.rng.u32(..));
        let offset = u128::from(self.span) * position / (u128::from(self.rows) << 32);
        self.start + offset as i64
    }

    fn fill(&mut self, row: u64, tx: &mut Transaction) {
        let mut now = self.time_of(row);
        clear(tx);
        let on_demand_row = self.on_demand.as_ref().map(|o| o.row);
        if on_demand_row == Some(row) && yyyymmdd(now) != ON_DEMAND_DAY {
            now = ON_DEMAND_NOON;
        }
        self.fill_at(row, now, on_demand_row, tx);
        tx.payment_time = DateTime::from_timestamp(now, 0).unwrap_or_default();
    }

    fn fill_at(&mut self, row: u64, now: i64, on_demand_row: Option<u64>, tx: &mut Transaction) {
        if on_demand_row == Some(row) && self.refund(tx, now, true) {
            return;
        }
        if on_demand_row.is_some() && row == 0 {
            // Guarantees a candidate for the on-demand refund however few rows there are.
            self.payment(tx, now, Some((0, 0)));
            return;
        }
        let handled = match pick(&mut self.rng, &KINDS) {
            Kind::Payment => false,
            Kind::Refund => self.refund(tx, now, false),
            Kind::Authorization => {
                self.authorization(tx, now);
                true
            }
            Kind::Capture => self.capture_or_void(tx, now, false),
            Kind::Void => self.capture_or_void(tx, now, true),
            Kind::Dispute => self.dispute(tx, now),
        };
        if !handled {
            self.payment(tx, now, None);
        }
    }

    fn payment(&mut self, tx: &mut Transaction, now: i64, pinned: Option<(u8, u8)>) {
        let (merchant, channel) = pinned.unwrap_or_else(|| self.pick_channel(false));
        let paid = self.new_order(now, merchant, channel);
        let status = if pinned.is_some() {
            Status::Success
        } else {
            pick(&mut self.rng, &PAYMENT_STATUSES)
        };
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Payment;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, paid.id);
        self.request_id(&mut tx.transaction_request_id, "req_");
        self.acquirer_ref(tx, &paid, Kind::Payment, now);
        tx.amount = Money::new(paid.amount, self.currency_of(&paid));
        let reasons = reasons(MERCHANTS[paid.merchant as usize].lang);
        match status {
            Status::Success => {
                self.settle(tx, &paid, paid.amount);
                self.keep_payment(paid);
            }
            // A PIX charge fails by not being paid in time, not by an issuer's decline.
            Status::Fail if paid.channel().method == PIX => {
                tx.reason.push_str("PIX expirado sem pagamento");
            }
            Status::Fail => tx
                .reason
                .push_str(choose(&mut self.rng, reasons.payment_fail)),
            Status::Cancelled => tx.reason.push_str(choose(&mut self.rng, reasons.cancelled)),
            Status::Processing | Status::Pending => {}
        }
    }

    fn authorization(&mut self, tx: &mut Transaction, now: i64) {
        let (merchant, channel) = self.pick_channel(true);
        let auth = self.new_order(now, merchant, channel);
        let status = pick(&mut self.rng, &AUTH_STATUSES);
        self.write_order(tx, &auth);
        tx.transaction_type = TxType::Authorization;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, auth.id);
        self.request_id(&mut tx.transaction_request_id, "req_");
        self.acquirer_ref(tx, &auth, Kind::Authorization, now);
        tx.amount = Money::new(auth.amount, self.currency_of(&auth));
        if status == Status::Success {
            // An authorization pushed out unused has simply lapsed.
            let _ = self.auths.push(auth);
        } else {
            let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
            tx.reason
                .push_str(choose(&mut self.rng, reasons.payment_fail));
        }
    }

    /// A capture (positive, at most the authorized amount) or a void (minus the authorized
    /// amount) of an earlier successful authorization, which is then used up.
    fn capture_or_void(&mut self, tx: &mut Transaction, now: i64, void: bool) -> bool {
        let Some(i) = pick_live(&mut self.rng, &self.auths.slots, now, MIN_REFUND_LAG) else {
            return false;
        };
        let auth = self.auths.slots[i];
        self.auths.slots[i].refunded = auth.amount;
        let id = self.next_id(now);
        self.write_order(tx, &auth);
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, auth.id);
        let currency = self.currency_of(&auth);
        if void {
            let status = pick(&mut self.rng, &VOID_STATUSES);
            tx.transaction_type = TxType::Void;
            tx.status = status.tx();
            self.request_id(&mut tx.transaction_request_id, "void_");
            self.acquirer_ref(tx, &auth, Kind::Void, now);
            tx.amount = Money::new(-auth.amount, currency);
            let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
            tx.reason.push_str(choose(&mut self.rng, reasons.void));
        } else {
            let status = pick(&mut self.rng, &CAPTURE_STATUSES);
            let amount = if self.rng.u32(..100) < 85 {
                auth.amount
            } else {
                self.part_of(auth.amount, auth.channel_currency(), 50..100)
            };
            tx.transaction_type = TxType::Capture;
            tx.status = status.tx();
            self.request_id(&mut tx.transaction_request_id, "cap_");
            self.acquirer_ref(tx, &auth, Kind::Capture, now);
            tx.amount = Money::new(amount, currency);
            match status {
                Status::Success => self.settle(tx, &auth, amount),
                Status::Fail => {
                    let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
                    tx.reason
                        .push_str(choose(&mut self.rng, reasons.payment_fail));
                }
                _ => {}
            }
        }
        true
    }

    /// A refund of an earlier successful payment; `on_demand` makes it the successful refund
    /// with the fixed ID.
    fn refund(&mut self, tx: &mut Transaction, now: i64, on_demand: bool) -> bool {
        let (mut paid, slot) = match self
            .reserved
            .filter(|p| on_demand && p.time + MIN_REFUND_LAG <= now)
        {
            Some(reserved) => {
                self.reserved = None;
                (reserved, None)
            }
            None => match self.pick_refundable(now) {
                Some(slot) => (*self.slot(slot), Some(slot)),
                None => return false,
            },
        };
        let status = if on_demand {
            Status::Success
        } else {
            pick(&mut self.rng, &REFUND_STATUSES)
        };

        let remaining = paid.remaining();
        let amount = if paid.refunded == 0 && (remaining < 2 || self.rng.u32(..100) < 45) {
            paid.amount
        } else if paid.refunded > 0 && (remaining < 2 || self.rng.u32(..100) < 30) {
            // The rest of a partly refunded payment.
            remaining
        } else {
            self.part_of(remaining, paid.channel_currency(), 10..91)
        };
        if status != Status::Fail {
            paid.refunded += amount;
        }
        match slot {
            Some(slot) => {
                *self.slot_mut(slot) = paid;
                self.release(slot);
            }
            // The reserved payment has served; whatever is left of it is refundable as usual.
            None if paid.remaining() > 0 => self.keep_recent(paid),
            None => {}
        }

        let id = if on_demand {
            ON_DEMAND_ID
        } else {
            self.next_id(now)
        };
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Refund;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, paid.id);
        self.request_id(&mut tx.transaction_request_id, "rfd_");
        self.acquirer_ref(tx, &paid, Kind::Refund, now);
        tx.amount = Money::new(-amount, self.currency_of(&paid));
        tx.refund_type.push_str(if amount == paid.amount {
            "total"
        } else {
            "partial"
        });
        let reasons = reasons(MERCHANTS[paid.merchant as usize].lang);
        tx.reason.push_str(choose(&mut self.rng, reasons.refund));
        if status == Status::Fail {
            tx.reject_reason
                .push_str(choose(&mut self.rng, reasons.refund_reject));
        }
        true
    }

    /// A chargeback of what is left of an earlier payment, which can then no longer be
    /// refunded: a payment never pays out more than it took.
    fn dispute(&mut self, tx: &mut Transaction, now: i64) -> bool {
        let slot = match pick_live(&mut self.rng, &self.pool, now, MIN_DISPUTE_LAG) {
            Some(i) => Slot::Pool(i),
            None => match pick_live(&mut self.rng, &self.recent.slots, now, MIN_DISPUTE_LAG) {
                Some(i) => Slot::Recent(i),
                None => return false,
            },
        };
        let paid = *self.slot(slot);
        let remaining = paid.remaining();
        self.slot_mut(slot).refunded = paid.amount;
        self.release(slot);
        let id = self.next_id(now);
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Dispute;
        tx.status = pick(&mut self.rng, &DISPUTE_STATUSES).tx();
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, paid.id);
        self.acquirer_ref(tx, &paid, Kind::Dispute, now);
        tx.amount = Money::new(-remaining, self.currency_of(&paid));
        tx.reason.push_str(choose(&mut self.rng, &DISPUTE_REASONS));
        true
    }

    fn pick_refundable(&mut self, now: i64) -> Option<Slot> {
        let recent_first = self.pool.is_empty() || self.rng.u32(..100) < 20;
        let from_recent = |g: &mut Generator| {
            pick_live(&mut g.rng, &g.recent.slots, now, MIN_REFUND_LAG).map(Slot::Recent)
        };
        let from_pool =
            |g: &mut Generator| pick_live(&mut g.rng, &g.pool, now, MIN_REFUND_LAG).map(Slot::Pool);
        if recent_first {
            from_recent(self).or_else(|| from_pool(self))
        } else {
            from_pool(self).or_else(|| from_recent(self))
        }
    }

    fn slot(&self, slot: Slot) -> &Paid {
        match slot {
            Slot::Recent(i) => &self.recent.slots[i],
            Slot::Pool(i) => &self.pool[i],
        }
    }

    fn slot_mut(&mut self, slot: Slot) -> &mut Paid {
        match slot {
            Slot::Recent(i) => &mut self.recent.slots[i],
            Slot::Pool(i) => &mut self.pool[i],
        }
    }

    /// Drops a pool entry once nothing is left to refund; a dead `recent` entry simply waits
    /// to be pushed out.
    fn release(&mut self, slot: Slot) {
        match slot {
            Slot::Recent(_) => {}
            Slot::Pool(i) => {
                if self.pool[i].remaining() <= 0 {
                    self.pool.swap_remove(i);
                }
            }
        }
    }

    fn keep_payment(&mut self, paid: Paid) {
        if let Some(on_demand) = &self.on_demand
            && paid.time <= on_demand.cutoff
            && paid.account().acquirer == ANTOM
            && paid.channel_currency() == BRL
            && (self.reserved.is_none() || self.rng.u32(..100) < 25)
        {
            if let Some(previous) = self.reserved.replace(paid) {
                self.keep_recent(previous);
            }
            return;
        }
        self.keep_recent(paid);
    }

    fn keep_recent(&mut self, paid: Paid) {
        if let Some(old) = self.recent.push(paid)
            && old.remaining() > 0
            && self.rng.u32(..ONE) < self.promote
        {
            if self.pool.len() < POOL_SLOTS {
                self.pool.push(old);
            } else {
                let i = self.rng.u32(..POOL_SLOTS as u32) as usize;
                self.pool[i] = old;
            }
        }
    }

    fn pick_channel(&mut self, card_only: bool) -> (u8, u8) {
        let total: u32 = MERCHANTS.iter().map(|m| m.weight).sum();
        let mut r = self.rng.u32(..total);
        let mut merchant = MERCHANTS.len() - 1;
        for (i, m) in MERCHANTS.iter().enumerate() {
            if r < m.weight {
                merchant = i;
                break;
            }
            r -= m.weight;
        }
        let eligible = |c: &Channel| !card_only || c.method == CARD;
        let channels = MERCHANTS[merchant].channels;
        let total: u32 = channels
            .iter()
            .filter(|c| eligible(c))
            .map(|c| c.weight)
            .sum();
        let mut r = self.rng.u32(..total.max(1));
        let mut channel = 0;
        for (i, c) in channels.iter().enumerate().filter(|(_, c)| eligible(c)) {
            channel = i;
            if r < c.weight {
                break;
            }
            r -= c.weight;
        }
        (merchant as u8, channel as u8)
    }

    fn new_order(&mut self, now: i64, merchant: u8, channel: u8) -> Paid {
        let m = &MERCHANTS[merchant as usize];
        let c = &m.channels[channel as usize];
        let amount = self.amount(c.currency);
        let id = self.next_id(now);
        // Merchants number orders in sequence; other shoppers' orders fill the gaps.
        let step = 1 + self.rng.u32(..3);
        let order_no = &mut self.order_no[merchant as usize];
        *order_no = order_no.wrapping_add(step) % 10_000_000;
        let order_no = *order_no;
        Paid {
            id,
            time: now,
            amount,
            refunded: 0,
            desc_seed: self.rng.u64(..),
            order_no,
            merchant,
            channel,
            store: index(&mut self.rng, m.stores.len()),
            sub_merchant: index(&mut self.rng, m.sub_merchants.len()),
            agreement: METHODS[c.method as usize].agreement && self.rng.u32(..100) < 15,
        }
    }

    /// A price in minor units: log-scaled (small amounts far more common than large ones),
    /// on the currency's price step, two-decimal prices mostly ending .99, .90 or .00.
    fn amount(&mut self, currency: u8) -> i64 {
        let spec = &CURRENCIES[currency as usize];
        let decades = self.decades[currency as usize];
        // Decade k (from the smallest) weighs decades - k.
        let mut r = self.rng.u32(..decades * (decades + 1) / 2);
        let mut decade = 0;
        while r >= decades - decade {
            r -= decades - decade;
            decade += 1;
        }
        let lo = spec.min * 10i64.pow(decade);
        let hi = (lo * 10).min(spec.max + 1);
        let mut amount = self.rng.i64(lo..hi) / spec.step * spec.step;
        if spec.step == 1 && self.exponents[currency as usize] == 2 {
            let whole = amount / 100 * 100;
            amount = match self.rng.u32(..10) {
                0..4 => whole + 99,
                4..6 => whole + 90,
                6..8 => whole.max(100),
                _ => amount,
            };
        }
        amount.clamp(spec.min, spec.max)
    }

    /// `percent` of `amount`, on the currency's price step where that leaves something, and
    /// always at least one minor unit and less than `amount`.
    fn part_of(&mut self, amount: i64, currency: u8, percent: std::ops::Range<u32>) -> i64 {
        if amount < 2 {
            return amount;
        }
        let step = CURRENCIES[currency as usize].step;
        let mut part = (i128::from(amount) * i128::from(self.rng.u32(percent)) / 100) as i64;
        if part >= step {
            part = part / step * step;
        }
        part.clamp(1, amount - 1)
    }

    fn currency_of(&self, paid: &Paid) -> Currency {
        self.currencies[paid.channel_currency() as usize]
    }

    /// Settlement in the merchant's settlement currency at fixed rates, and the acquirer's fee
    /// on it.
    fn settle(&self, tx: &mut Transaction, paid: &Paid, amount: i64) {
        let merchant = &MERCHANTS[paid.merchant as usize];
        let channel = &merchant.channels[paid.channel as usize];
        let from = channel.currency as usize;
        let to = merchant.settles_in.map_or(from, usize::from);
        let settled = if from == to {
            amount
        } else {
            let num = i128::from(amount)
                * i128::from(CURRENCIES[from].usd_nano)
                * 10i128.pow(u32::from(self.exponents[to]));
            let den =
                10i128.pow(u32::from(self.exponents[from])) * i128::from(CURRENCIES[to].usd_nano);
            ((num + den / 2) / den) as i64
        };
        let fee_bps = METHODS[channel.method as usize].fee_bps;
        let fee = ((i128::from(settled) * i128::from(fee_bps) + 5_000) / 10_000).max(1) as i64;
        tx.settlement = Some(Money::new(settled, self.currencies[to]));
        tx.fee = Some(Money::new(fee, self.currencies[to]));
    }

    /// The fields a transaction shares with the order it belongs to.
    fn write_order(&self, tx: &mut Transaction, paid: &Paid) {
        let merchant = &MERCHANTS[paid.merchant as usize];
        let channel = &merchant.channels[paid.channel as usize];
        let account = &merchant.accounts[channel.account as usize];
        let method = &METHODS[channel.method as usize];
        tx.customer_id.push_str(account.customer_id);
        tx.acquirer.push_str(ACQUIRERS[account.acquirer as usize]);
        if let Some(sub) = merchant.sub_merchants.get(paid.sub_merchant as usize) {
            tx.reference_merchant_id.push_str(sub);
        }
        if let Some(store) = merchant.stores.get(paid.store as usize) {
            tx.reference_store_id.push_str(store);
        }
        tx.reference_transaction_id.push_str("ORD-");
        tx.reference_transaction_id.push_str(merchant.code);
        tx.reference_transaction_id.push('-');
        push_padded(
            &mut tx.reference_transaction_id,
            u64::from(paid.order_no),
            7,
        );
        write_description(&mut tx.order_description, paid);
        tx.payment_method_type.push_str(method.code);
        tx.psp_name.push_str(method.psp);
        tx.product_code.push_str(if paid.agreement {
            "AGREEMENT_PAYMENT"
        } else {
            "CASHIER_PAYMENT"
        });
        tx.merchant_name.push_str(merchant.name);
    }

    /// `prefix` and 20 random lower-case letters and digits: unique in practice.
    fn request_id(&mut self, out: &mut String, prefix: &str) {
        out.push_str(prefix);
        push_random(&mut self.rng, out, LOWER_ALNUM, 20);
    }

    /// The acquirer's own ID for a transaction of `paid`'s order, in that acquirer's shape.
    fn acquirer_ref(&mut self, tx: &mut Transaction, paid: &Paid, kind: Kind, now: i64) {
        let acquirer = paid.account().acquirer;
        let day = self.yyyymmdd_of(now);
        let out = &mut tx.acquirer_reference_no;
        let rng = &mut self.rng;
        match acquirer {
            ANTOM => {
                push_u64(out, day);
                push_random(rng, out, DIGITS, 16);
            }
            ADYEN => push_random(rng, out, UPPER_ALNUM, 16),
            STRIPE => {
                out.push_str(match kind {
                    Kind::Refund => "re_3",
                    Kind::Dispute => "du_1",
                    Kind::Authorization | Kind::Void => "pi_3",
                    Kind::Payment | Kind::Capture => "ch_3",
                });
                push_random(rng, out, MIXED_ALNUM, 24);
            }
            CHECKOUT => {
                out.push_str(match kind {
                    Kind::Refund | Kind::Capture | Kind::Void => "act_",
                    Kind::Dispute => "dsp_",
                    Kind::Payment | Kind::Authorization => "pay_",
                });
                push_random(rng, out, BASE32, 26);
            }
            BRAINTREE => push_random(rng, out, LOWER_ALNUM, 8),
            PAYPAL_ACQ => push_random(rng, out, UPPER_ALNUM, 17),
            _ => {
                for (i, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    push_random(rng, out, HEX, len);
                }
            }
        }
    }

    fn yyyymmdd_of(&self, secs: i64) -> u64 {
        if secs.div_euclid(86_400) == self.day {
            return self.yyyymmdd;
        }
        yyyymmdd(secs)
    }

    /// Switches the ID counter to `secs`'s UTC day; returns that day as YYYYMMDD.
    fn set_day(&mut self, secs: i64) -> u64 {
        let day = secs.div_euclid(86_400);
        if day != self.day {
            self.day = day;
            self.yyyymmdd = yyyymmdd(secs);
            self.day_count = 0;
            self.day_salt = splitmix(self.seed ^ (day as u64)) % 100_000;
        }
        self.yyyymmdd
    }

    /// The next transaction ID of `secs`'s day: YYYYMMDD and five digits, shuffled within the
    /// day so IDs do not give away the order of transactions. Past 100,000 transactions in a
    /// day the suffix grows to six digits and more, which keeps IDs unique.
    fn next_id(&mut self, secs: i64) -> u64 {
        let date = self.set_day(secs);
        loop {
            let n = self.day_count;
            self.day_count += 1;
            let id = if n < 100_000 {
                date * 100_000 + (n * ID_STRIDE + self.day_salt) % 100_000
            } else {
                date * 10u64.pow(n.ilog10() + 1) + n
            };
            if id != ON_DEMAND_ID || self.on_demand.is_none() {
                return id;
            }
        }
    }
}

fn clear(tx: &mut Transaction) {
    for s in [
        &mut tx.customer_id,
        &mut tx.acquirer,
        &mut tx.acquirer_reference_no,
        &mut tx.reference_merchant_id,
        &mut tx.reference_store_id,
        &mut tx.transaction_id,
        &mut tx.original_transaction_id,
        &mut tx.transaction_request_id,
        &mut tx.reference_transaction_id,
        &mut tx.order_description,
        &mut tx.payment_method_type,
        &mut tx.psp_name,
        &mut tx.product_code,
        &mut tx.reason,
        &mut tx.order_id,
        &mut tx.bank_code,
        &mut tx.refund_type,
        &mut tx.reject_reason,
        &mut tx.merchant_name,
    ] {
        s.clear();
    }
    tx.settlement = None;
    tx.fee = None;
}

/// An order's description, rebuilt from its seed so refunds repeat their payment's text
/// without the pools storing strings.
fn write_description(out: &mut String, paid: &Paid) {
    let mut rng = Rng::with_seed(paid.desc_seed);
    let merchant = &MERCHANTS[paid.merchant as usize];
    match rng.u32(..1000) {
        0..30 => out.push_str(choose(&mut rng, &FORMULA_DESCRIPTIONS)),
        30..55 => out.push_str(choose(&mut rng, &QUOTED_DESCRIPTIONS)),
        55..80 => out.push_str(choose(&mut rng, &MULTILINE_DESCRIPTIONS)),
        80..130 => write_long_description(out, &mut rng, merchant),
        130..150 => {}
        150..250 => out.push_str(choose(&mut rng, &GENERIC_DESCRIPTIONS)),
        250..400 => {
            out.push_str(match merchant.lang {
                Lang::Pt => "Pedido nº ",
                Lang::Zh => "订单号 ",
                Lang::En => "Order #",
                Lang::Vi => "Đơn hàng #",
                Lang::Ja => "ご注文番号 ",
                Lang::Ko => "주문번호 ",
                Lang::Id => "Pesanan #",
            });
            push_padded(out, u64::from(paid.order_no), 7);
        }
        _ => {
            let count = choose(&mut rng, &[1, 1, 1, 2, 2, 3, 4]);
            for i in 0..count {
                push_item(out, &mut rng, merchant, i > 0);
            }
        }
    }
}

/// Items until the 256-character limit: half the time cut exactly at the limit (as a gateway
/// truncates), half the time ending at the last whole item that fits.
fn write_long_description(out: &mut String, rng: &mut Rng, merchant: &Merchant) {
    const LIMIT: usize = 256;
    let cut_at_limit = rng.bool();
    let mut chars = 0;
    loop {
        let before = out.len();
        push_item(out, rng, merchant, before > 0);
        chars += out[before..].chars().count();
        if chars > LIMIT {
            if cut_at_limit {
                let end = out.char_indices().nth(LIMIT).map_or(out.len(), |(i, _)| i);
                out.truncate(end);
            } else {
                out.truncate(before);
            }
            return;
        }
    }
}

fn push_item(out: &mut String, rng: &mut Rng, merchant: &Merchant, separator: bool) {
    let item = choose(rng, merchant.items);
    let quantity = choose(rng, &[1u64, 1, 1, 1, 2, 2, 3, 6]);
    match merchant.lang {
        Lang::Zh | Lang::Ja => {
            if separator {
                out.push_str(if merchant.lang == Lang::Zh {
                    "，"
                } else {
                    "、"
                });
            }
            out.push_str(item);
            out.push('×');
            push_u64(out, quantity);
        }
        Lang::Ko => {
            if separator {
                out.push_str(", ");
            }
            out.push_str(item);
            out.push(' ');
            push_u64(out, quantity);
            out.push('개');
        }
        _ => {
            if separator {
                out.push_str(", ");
            }
            push_u64(out, quantity);
            out.push_str("x ");
            out.push_str(item);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const UPPER_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const MIXED_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut r = rng.u32(..total);
    for &(value, weight) in table {
        if r < weight {
            return value;
        }
        r -= weight;
    }
    table[table.len() - 1].0
}

fn choose<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.u32(..items.len() as u32) as usize]
}

/// A random index below `len` (0 when `len` is 0), drawn the same way on every platform.
fn index(rng: &mut Rng, len: usize) -> u8 {
    if len == 0 {
        0
    } else {
        rng.u32(..len as u32) as u8
    }
}

/// `len` characters of an ASCII `alphabet`, several per random draw: the IDs of a row are
/// most of its random numbers. The slight bias of the last digit of each draw is harmless
/// here.
fn push_random(rng: &mut Rng, out: &mut String, alphabet: &[u8], len: usize) {
    let base = alphabet.len() as u64;
    let per_draw = 64 / (64 - (base - 1).leading_zeros()) as usize;
    let mut remaining = len;
    while remaining > 0 {
        let mut x = rng.u64(..);
        for _ in 0..remaining.min(per_draw) {
            out.push(char::from(alphabet[(x % base) as usize]));
            x /= base;
        }
        remaining = remaining.saturating_sub(per_draw);
    }
}

fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

fn yyyymmdd(secs: i64) -> u64 {
    let date = DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .date_naive();
    let year = u64::try_from(date.year()).unwrap_or(0);
    year * 10_000 + u64::from(date.month()) * 100 + u64::from(date.day())
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn options(rows: u64, seed: u64) -> SampleOptions {
        SampleOptions {
            rows,
            seed,
            ..SampleOptions::default()
        }
    }

    #[test]
    fn same_seed_same_rows_other_seed_other_rows() {
        let a = generate_vec(&options(5_000, 7));
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, generate_vec(&options(5_000, 7)));
        assert_ne!(a, generate_vec(&options(5_000, 8)));
    }

    #[test]
    fn refunds_refer_to_earlier_successful_payments_and_never_exceed_them() {
        for seed in [1, 42] {
            let rows = generate_vec(&options(40_000, seed));
            // id -> (amount, currency, time, paid back so far)
            let mut payments: HashMap<&str, (i64, Currency, i64, i64)> = HashMap::new();
            let mut auths: HashMap<&str, (i64, Currency, i64)> = HashMap::new();
            let mut used_auths = HashSet::new();
            let (mut totals, mut partials) = (0, 0);
            for tx in &rows {
                let time = tx.payment_time.timestamp();
                let ok = tx.status == TxStatus::Success;
                match tx.transaction_type {
                    TxType::Payment => {
                        assert!(tx.original_transaction_id.is_empty());
                        assert!(tx.amount.minor > 0);
                        if ok {
                            let entry = (tx.amount.minor, tx.amount.currency, time, 0);
                            assert!(payments.insert(&tx.transaction_id, entry).is_none());
                        }
                    }
                    TxType::Authorization => {
                        if ok {
                            auths.insert(
                                &tx.transaction_id,
                                (tx.amount.minor, tx.amount.currency, time),
                            );
                        }
                    }
                    TxType::Refund | TxType::Dispute => {
                        let Some(p) = payments.get_mut(tx.original_transaction_id.as_str()) else {
                            panic!(
                                "{} refers to no earlier successful payment",
                                tx.transaction_id
                            );
                        };
                        assert_eq!(p.1, tx.amount.currency, "{}", tx.transaction_id);
                        assert!(
                            p.2 + MIN_REFUND_LAG <= time,
                            "{} not after its payment",
                            tx.transaction_id
                        );
                        assert!(tx.amount.minor < 0, "{}", tx.transaction_id);
                        if tx.transaction_type == TxType::Refund {
                            match tx.refund_type.as_str() {
                                "total" => {
                                    assert_eq!(-tx.amount.minor, p.0);
                                    totals += 1;
                                }
                                "partial" => {
                                    assert!(-tx.amount.minor < p.0);
                                    partials += 1;
                                }
                                other => panic!("refund type {other:?}"),
                            }
                            assert!(!tx.reason.is_empty());
                        }
                        if tx.status != TxStatus::Fail || tx.transaction_type == TxType::Dispute {
                            p.3 -= tx.amount.minor;
                        }
                        assert!(
                            p.3 <= p.0,
                            "{} over-refunds {}",
                            tx.transaction_id,
                            tx.original_transaction_id
                        );
                    }
                    TxType::Capture | TxType::Void => {
                        let a = auths[tx.original_transaction_id.as_str()];
                        assert!(used_auths.insert(tx.original_transaction_id.as_str()));
                        assert_eq!(a.1, tx.amount.currency);
                        assert!(a.2 < time);
                        assert!(tx.amount.minor.abs() <= a.0 && tx.amount.minor != 0);
                    }
                    ref other => panic!("unexpected type {other}"),
                }
            }
            assert!(
                totals > 100 && partials > 100,
                "{totals} total, {partials} partial refunds"
            );
        }
    }

    #[test]
    fn every_exponent_and_the_required_currencies_occur() {
        let rows = generate_vec(&options(20_000, 3));
        let codes: HashSet<&str> = rows.iter().map(|t| t.amount.currency.code()).collect();
        for code in ["VND", "JPY", "KRW", "BHD", "BRL", "CNY", "USD", "EUR"] {
            assert!(codes.contains(code), "{code} missing");
        }
        let exponents: HashSet<u8> = rows.iter().map(|t| t.amount.currency.exponent()).collect();
        assert!(exponents.contains(&0) && exponents.contains(&2) && exponents.contains(&3));
        for tx in &rows {
            let spec = CURRENCIES
                .iter()
                .find(|c| c.code == tx.amount.currency.code())
                .unwrap();
            if tx.transaction_type == TxType::Payment {
                assert!((spec.min..=spec.max).contains(&tx.amount.minor), "{tx:?}");
            }
        }
    }

    #[test]
    fn settlement_and_fee_only_on_successful_payments_and_captures() {
        for tx in generate_vec(&options(20_000, 5)) {
            let settles = tx.status == TxStatus::Success
                && matches!(tx.transaction_type, TxType::Payment | TxType::Capture);
            assert_eq!(tx.settlement.is_some(), settles, "{tx:?}");
            assert_eq!(tx.fee.is_some(), settles, "{tx:?}");
            if let (Some(s), Some(f)) = (tx.settlement, tx.fee) {
                assert_eq!(s.currency, f.currency);
                assert!(s.minor > 0 && f.minor > 0 && f.minor < s.minor, "{tx:?}");
                assert!(s.currency == tx.amount.currency || s.currency.code() == "USD");
            }
            let failed = tx.status == TxStatus::Fail
                && matches!(tx.transaction_type, TxType::Payment | TxType::Refund);
            if failed {
                assert!(!tx.reason.is_empty());
            }
        }
    }

    #[test]
    fn descriptions_fit_and_include_the_awkward_cases() {
        let rows = generate_vec(&options(20_000, 11));
        let descriptions: Vec<&str> = rows.iter().map(|t| t.order_description.as_str()).collect();
        assert!(descriptions.iter().all(|d| d.chars().count() <= 256));
        let any = |f: &dyn Fn(&str) -> bool| descriptions.iter().any(|d| f(d));
        for trigger in ['=', '+', '-', '@', '\t'] {
            assert!(
                any(&|d| d.starts_with(trigger)),
                "no description starts with {trigger:?}"
            );
        }
        assert!(any(&|d| d.contains('"')));
        assert!(any(&|d| d.contains('\n')));
        assert!(any(&|d| d.contains(',')));
        assert!(any(&|d| d.chars().count() == 256));
        assert!(any(&|d| d.is_empty()));
        assert!(any(&|d| d.contains("Pão")));
        assert!(any(&|d| d.contains("礼盒")));
        assert!(any(&|d| d.contains("headphones")));
        let reasons: HashSet<&str> = rows.iter().map(|t| t.reason.as_str()).collect();
        for reason in [
            "Cliente desistiu da compra",
            "商品质量问题",
            "Duplicate charge",
        ] {
            assert!(reasons.contains(reason), "{reason}");
        }
    }

    #[test]
    fn the_on_demand_refund_exists_in_every_large_enough_sample() {
        for (rows, seed) in [(100, 7), (100, 1), (101, 99), (1_000, 7), (20_000, 2)] {
            let sample = generate_vec(&options(rows, seed));
            let found: Vec<&Transaction> = sample
                .iter()
                .filter(|t| t.transaction_id == ON_DEMAND_REFUND_ID)
                .collect();
            assert_eq!(found.len(), 1, "{rows} rows, seed {seed}");
            let refund = found[0];
            assert!(refund.is_successful_refund());
            assert_eq!(refund.payment_time.date_naive().to_string(), "2026-11-01");
            assert_eq!(refund.acquirer, "Antom");
            assert_eq!(refund.amount.currency.code(), "BRL");
            assert!(
                sample
                    .iter()
                    .any(|t| t.transaction_id == refund.original_transaction_id)
            );
        }
        // Fewer rows or a window without that day: no promise, and no stray copy either.
        let mut late = options(1_000, 7);
        late.start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert!(
            generate_vec(&late)
                .iter()
                .all(|t| t.transaction_id != ON_DEMAND_REFUND_ID)
        );
    }

    #[test]
    fn antom_brl_refunds_fill_october() {
        let rows = generate_vec(&options(30_000, 7));
        let october = |t: &&Transaction| {
            t.is_successful_refund()
                && t.acquirer == "Antom"
                && t.amount.currency.code() == "BRL"
                && t.payment_time.month() == 10
        };
        assert!(rows.iter().filter(october).count() > 300);
    }

    #[test]
    fn times_are_ordered_in_the_window_and_ids_unique_and_dated() {
        let opts = options(50_000, 9);
        let rows = generate_vec(&opts);
        let end = opts.start + chrono::Duration::days(i64::from(opts.days));
        let mut ids = HashSet::new();
        for pair in rows.windows(2) {
            assert!(pair[0].payment_time <= pair[1].payment_time);
        }
        for tx in &rows {
            assert!(opts.start <= tx.payment_time && tx.payment_time < end);
            assert!(
                ids.insert(tx.transaction_id.as_str()),
                "duplicate {}",
                tx.transaction_id
            );
            assert_eq!(tx.transaction_id.len(), 13);
            let date = tx.payment_time.format("%Y%m%d").to_string();
            assert!(
                tx.transaction_id.starts_with(&date),
                "{} at {date}",
                tx.transaction_id
            );
            let request_prefix = match tx.transaction_type {
                TxType::Payment | TxType::Authorization => "req_",
                TxType::Refund => "rfd_",
                TxType::Capture => "cap_",
                TxType::Void => "void_",
                _ => "",
            };
            assert!(tx.transaction_request_id.starts_with(request_prefix));
            assert!(tx.reference_transaction_id.starts_with("ORD-"));
            assert!(!tx.acquirer_reference_no.is_empty() && !tx.customer_id.is_empty());
        }
    }

    #[test]
    fn ids_stay_unique_past_100000_a_day() {
        let mut opts = options(120_000, 4);
        opts.days = 1;
        let mut ids = HashSet::new();
        let mut longer = 0;
        generate(&opts, |tx| {
            let id: u64 = tx.transaction_id.parse().unwrap();
            assert!(ids.insert(id), "duplicate {id}");
            longer += usize::from(tx.transaction_id.len() > 13);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(longer, 20_000);
    }

    #[test]
    fn memory_stays_bounded() {
        // Enough rows to fill every pool and then keep replacing entries.
        let mut generator = Generator::new(&options(60_000, 7));
        let mut tx = Transaction::blank(generator.currencies[0]);
        for row in 0..60_000 {
            generator.fill(row, &mut tx);
        }
        assert_eq!(generator.pool.len(), POOL_SLOTS);
        assert_eq!(generator.pool.capacity(), POOL_SLOTS);
        assert_eq!(generator.recent.slots.capacity(), RECENT_SLOTS);
        assert_eq!(generator.auths.slots.capacity(), AUTH_SLOTS);
        // The rows are handed out one at a time; none is kept.
        let mut count = 0u64;
        generate(&options(200_000, 7), |_| {
            count += 1;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(count, 200_000);
    }

    #[test]
    fn emit_errors_stop_generation() {
        let mut seen = 0;
        let result = generate(&options(1_000, 7), |_| {
            seen += 1;
            if seen == 10 { Err("full") } else { Ok(()) }
        });
        assert_eq!(result, Err("full"));
        assert_eq!(seen, 10);
    }

    #[test]
    fn tables_are_consistent() {
        for merchant in &MERCHANTS {
            assert!(
                merchant.channels.iter().any(|c| c.method == CARD),
                "{}",
                merchant.name
            );
            for channel in merchant.channels {
                assert!(
                    (channel.account as usize) < merchant.accounts.len(),
                    "{}",
                    merchant.name
                );
            }
            assert!(merchant.stores.len() < 256 && merchant.sub_merchants.len() < 256);
        }
        for spec in &CURRENCIES {
            assert!(Currency::parse(spec.code).is_ok());
            assert_eq!(spec.min % spec.step, 0, "{}", spec.code);
        }
    }

    #[test]
    #[ignore = "prints the mix; run with --ignored --nocapture"]
    fn print_mix() {
        let opts = options(1_000_000, 7);
        let started = std::time::Instant::now();
        let mut count = 0u64;
        generate(&opts, |_| {
            count += 1;
            Ok::<(), ()>(())
        })
        .unwrap();
        let elapsed = started.elapsed();
        println!(
            "{count} rows in {elapsed:?}: {:.0} rows/s",
            count as f64 / elapsed.as_secs_f64()
        );
        let mut mix: HashMap<String, u64> = HashMap::new();
        let mut refund_types: HashMap<String, u64> = HashMap::new();
        let mut paid_at: HashMap<String, i64> = HashMap::new();
        let mut n = 0;
        generate(&options(100_000, 7), |tx| {
            n += 1;
            *mix.entry(format!("{} {}", tx.transaction_type, tx.status))
                .or_default() += 1;
            *mix.entry(format!("{}", tx.transaction_type)).or_default() += 1;
            if tx.transaction_type == TxType::Payment && tx.status == TxStatus::Success {
                paid_at.insert(tx.transaction_id.clone(), tx.payment_time.timestamp());
            }
            if tx.transaction_type == TxType::Refund {
                *refund_types.entry(tx.refund_type.clone()).or_default() += 1;
                let lag = tx.payment_time.timestamp() - paid_at[&tx.original_transaction_id];
                let bucket = match lag {
                    ..3600 => "lag <1h",
                    3600..86_400 => "lag 1h-1d",
                    86_400..259_200 => "lag 1d-3d",
                    259_200..864_000 => "lag 3d-10d",
                    _ => "lag >10d",
                };
                *mix.entry(bucket.to_string()).or_default() += 1;
            }
            *mix.entry(format!("cur {}", tx.amount.currency))
                .or_default() += 1;
            *mix.entry(format!("acq {}", tx.acquirer)).or_default() += 1;
            if tx.transaction_id == ON_DEMAND_REFUND_ID || n < 3 {
                println!("{tx:?}");
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        let mut mix: Vec<_> = mix.into_iter().collect();
        mix.sort();
        for (k, v) in mix {
            println!("{k:30} {v:7} {:5.2}%", v as f64 / n as f64 * 100.0);
        }
        println!("{refund_types:?}");
    }
}
