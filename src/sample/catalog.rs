//! The sample's reference data: currencies, payment methods, acquirers, merchants, the
//! awkward texts descriptions are made of, and the weights rows are drawn with.

use crate::model::TxStatus;

pub(super) struct CurrencySpec {
    pub(super) code: &'static str,
    /// Price range in minor units.
    pub(super) min: i64,
    pub(super) max: i64,
    /// Prices are multiples of this many minor units (nobody charges 12,345 CurrencyId::Vnd).
    pub(super) step: i64,
    /// Value of one major unit in billionths of a US dollar; fixed so settlement amounts
    /// are reproducible.
    pub(super) usd_nano: i64,
}

/// A row of [`CURRENCIES`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum CurrencyId {
    Vnd,
    Jpy,
    Krw,
    Idr,
    Bhd,
    Brl,
    Cny,
    Hkd,
    Usd,
    Eur,
}

impl CurrencyId {
    pub(super) fn spec(self) -> &'static CurrencySpec {
        &CURRENCIES[self as usize]
    }
}

#[rustfmt::skip]
pub(super) const CURRENCIES: [CurrencySpec; 10] = [
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

pub(super) struct MethodSpec {
    pub(super) code: &'static str,
    pub(super) psp: &'static str,
    pub(super) fee_bps: i64,
    /// Whether merchants also charge it without the buyer present (AGREEMENT_PAYMENT).
    pub(super) agreement: bool,
}

/// A row of [`METHODS`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MethodId {
    Card,
    ApplePay,
    PayPal,
    Pix,
    AlipayCn,
    AlipayHk,
    Dana,
    Klarna,
    ZaloPay,
    KakaoPay,
    NaverPay,
    PayPay,
    MercadoPago,
}

impl MethodId {
    pub(super) fn spec(self) -> &'static MethodSpec {
        &METHODS[self as usize]
    }
}

#[rustfmt::skip]
pub(super) const METHODS: [MethodSpec; 13] = [
    MethodSpec { code: "CARD", psp: "", fee_bps: 290, agreement: true },
    MethodSpec { code: "APPLEPAY", psp: "Apple Pay", fee_bps: 290, agreement: false },
    MethodSpec { code: "PAYPAL", psp: "PayPal", fee_bps: 349, agreement: true },
    MethodSpec { code: "PIX", psp: "", fee_bps: 99, agreement: false },
    MethodSpec { code: "ALIPAY_CN", psp: "Alipay", fee_bps: 180, agreement: true },
    MethodSpec { code: "ALIPAY_HK", psp: "AlipayHK", fee_bps: 180, agreement: true },
    MethodSpec { code: "DANA", psp: "DANA", fee_bps: 200, agreement: false },
    MethodSpec { code: "KLARNA", psp: "Klarna", fee_bps: 329, agreement: false },
    MethodSpec { code: "ZALOPAY", psp: "ZaloPay", fee_bps: 200, agreement: false },
    MethodSpec { code: "KAKAOPAY", psp: "KakaoPay", fee_bps: 220, agreement: true },
    MethodSpec { code: "NAVERPAY", psp: "Naver Pay", fee_bps: 220, agreement: false },
    MethodSpec { code: "PAYPAY", psp: "PayPay", fee_bps: 198, agreement: false },
    MethodSpec { code: "MERCADOPAGO", psp: "Mercado Pago", fee_bps: 249, agreement: false },
];

/// A row of [`ACQUIRERS`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum AcquirerId {
    Antom,
    Adyen,
    Stripe,
    Checkout,
    Braintree,
    PayPal,
    Klarna,
}

impl AcquirerId {
    pub(super) fn name(self) -> &'static str {
        ACQUIRERS[self as usize]
    }
}

pub(super) const ACQUIRERS: [&str; 7] = [
    "Antom",
    "Adyen",
    "Stripe",
    "Checkout",
    "Braintree",
    "PayPal",
    "Klarna",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TextLang {
    Pt,
    Zh,
    En,
    Vi,
    Ja,
    Ko,
    Id,
}

/// A merchant's ID at one acquirer: the report's customerId.
pub(super) struct Account {
    pub(super) acquirer: AcquirerId,
    pub(super) customer_id: &'static str,
}

/// A way a merchant takes money: method, through which account, in which currency.
pub(super) struct Channel {
    pub(super) method: MethodId,
    pub(super) account: u8,
    pub(super) currency: CurrencyId,
    pub(super) weight: u32,
}

pub(super) struct Merchant {
    pub(super) name: &'static str,
    /// Prefix of the merchant's order IDs.
    pub(super) code: &'static str,
    pub(super) lang: TextLang,
    /// Share of the traffic, in percent.
    pub(super) weight: u32,
    /// `None`: settled in the transaction currency.
    pub(super) settles_in: Option<CurrencyId>,
    pub(super) accounts: &'static [Account],
    pub(super) channels: &'static [Channel],
    pub(super) sub_merchants: &'static [&'static str],
    pub(super) stores: &'static [&'static str],
    pub(super) items: &'static [&'static str],
}

pub(super) const fn ch(
    method: MethodId,
    account: u8,
    currency: CurrencyId,
    weight: u32,
) -> Channel {
    Channel {
        method,
        account,
        currency,
        weight,
    }
}

pub(super) const fn acct(acquirer: AcquirerId, customer_id: &'static str) -> Account {
    Account {
        acquirer,
        customer_id,
    }
}

/// The first two are Brazilian merchants on Antom, so that a month's CurrencyId::Brl refunds through
/// Antom (the receipts use case) are plentiful.
#[rustfmt::skip]
pub(super) const MERCHANTS: [Merchant; 9] = [
    Merchant {
        name: "Padaria São João Ltda.", code: "PSJ", lang: TextLang::Pt, weight: 18, settles_in: None,
        accounts: &[acct(AcquirerId::Antom, "2188120000001234"), acct(AcquirerId::Adyen, "PadariaSaoJoaoBR")],
        channels: &[ch(MethodId::Pix, 0, CurrencyId::Brl, 45), ch(MethodId::Card, 0, CurrencyId::Brl, 30), ch(MethodId::MercadoPago, 0, CurrencyId::Brl, 8),
            ch(MethodId::Card, 1, CurrencyId::Brl, 12), ch(MethodId::ApplePay, 1, CurrencyId::Brl, 5)],
        sub_merchants: &[],
        stores: &["PSJ-LOJA-001", "PSJ-LOJA-002", "PSJ-LOJA-003", "PSJ-DELIVERY"],
        items: &["Pão francês", "Pão de queijo", "Café expresso",
            "Bolo de cenoura com cobertura de chocolate", "Coxinha de frango",
            "Suco de laranja 500ml", "Croissant de presunto e queijo", "Sonho de creme",
            "Torta de limão", "Cesta de café da manhã"],
    },
    Merchant {
        name: "Loja Verde Moda Sustentável Ltda.", code: "LVM", lang: TextLang::Pt, weight: 12,
        settles_in: Some(CurrencyId::Usd),
        accounts: &[acct(AcquirerId::Antom, "2188120000002468"), acct(AcquirerId::Stripe, "acct_1NvLojaVerdeBR")],
        channels: &[ch(MethodId::Pix, 0, CurrencyId::Brl, 40), ch(MethodId::Card, 0, CurrencyId::Brl, 30), ch(MethodId::Card, 0, CurrencyId::Usd, 5),
            ch(MethodId::Card, 1, CurrencyId::Brl, 15), ch(MethodId::ApplePay, 1, CurrencyId::Brl, 10)],
        sub_merchants: &["LV-SP-01", "LV-RJ-02", "LV-BH-03"],
        stores: &[],
        items: &["Camiseta de algodão orgânico", "Calça jeans reciclada", "Vestido de linho",
            "Tênis de lona", "Bolsa de couro vegano", "Meia de bambu (kit com 3)",
            "Jaqueta corta-vento", "Boné de algodão"],
    },
    Merchant {
        name: "上海示例贸易有限公司", code: "SHT", lang: TextLang::Zh, weight: 16, settles_in: Some(CurrencyId::Usd),
        accounts: &[acct(AcquirerId::Antom, "2188120000005678"), acct(AcquirerId::Checkout, "ent_shanghaidemo01")],
        channels: &[ch(MethodId::AlipayCn, 0, CurrencyId::Cny, 55), ch(MethodId::AlipayHk, 0, CurrencyId::Hkd, 12), ch(MethodId::Card, 0, CurrencyId::Cny, 10),
            ch(MethodId::Card, 1, CurrencyId::Usd, 15), ch(MethodId::ApplePay, 1, CurrencyId::Usd, 8)],
        sub_merchants: &["SUB-SH-0001", "SUB-SH-0002", "SUB-HZ-0007"],
        stores: &[],
        items: &["真丝围巾", "龙井绿茶礼盒", "景德镇青花瓷杯", "无线蓝牙耳机", "月饼礼盒（双黄莲蓉）",
            "羊毛大衣", "保温杯 500ml", "定制丝绸旗袍"],
    },
    Merchant {
        name: "Acme Electronics Inc.", code: "ACME", lang: TextLang::En, weight: 20, settles_in: None,
        accounts: &[acct(AcquirerId::Stripe, "acct_1AcmeElectronicsUS"), acct(AcquirerId::Adyen, "AcmeElectronicsECOM"),
            acct(AcquirerId::PayPal, "QH7T4ZJ8W2M3L"), acct(AcquirerId::Braintree, "acmeelectronics_us"),
            acct(AcquirerId::Klarna, "K501234")],
        channels: &[ch(MethodId::Card, 0, CurrencyId::Usd, 30), ch(MethodId::ApplePay, 0, CurrencyId::Usd, 10), ch(MethodId::Card, 1, CurrencyId::Eur, 15),
            ch(MethodId::ApplePay, 1, CurrencyId::Eur, 5), ch(MethodId::PayPal, 2, CurrencyId::Usd, 12), ch(MethodId::PayPal, 2, CurrencyId::Eur, 5),
            ch(MethodId::PayPal, 3, CurrencyId::Usd, 6), ch(MethodId::Card, 3, CurrencyId::Usd, 5), ch(MethodId::Klarna, 4, CurrencyId::Eur, 8),
            ch(MethodId::Klarna, 4, CurrencyId::Usd, 4)],
        sub_merchants: &[],
        stores: &["ACME-WEB-US", "ACME-WEB-EU", "ACME-NYC-5TH"],
        items: &["USB-C charging cable 2m", "Noise-cancelling headphones", "27-inch 4K monitor",
            "Mechanical keyboard (US layout)", "Wireless mouse", "Extended warranty, 2 years",
            "Smart home hub", "HDMI 2.1 cable", "Laptop stand", "Webcam 1080p"],
    },
    Merchant {
        name: "Công ty TNHH Cà Phê Sài Gòn", code: "CPSG", lang: TextLang::Vi, weight: 10,
        settles_in: Some(CurrencyId::Usd),
        accounts: &[acct(AcquirerId::Antom, "2188120000003579"), acct(AcquirerId::Checkout, "ent_caphesaigon01")],
        channels: &[ch(MethodId::ZaloPay, 0, CurrencyId::Vnd, 35), ch(MethodId::Card, 0, CurrencyId::Vnd, 30), ch(MethodId::Card, 1, CurrencyId::Vnd, 20),
            ch(MethodId::ApplePay, 1, CurrencyId::Vnd, 15)],
        sub_merchants: &[],
        stores: &["CPSG-Q1", "CPSG-Q3", "CPSG-THAODIEN"],
        items: &["Cà phê sữa đá", "Bánh mì thịt nướng", "Trà đào cam sả", "Cà phê muối", "Bạc xỉu",
            "Bánh flan"],
    },
    Merchant {
        name: "東京雑貨株式会社", code: "TKZ", lang: TextLang::Ja, weight: 10, settles_in: None,
        accounts: &[acct(AcquirerId::Adyen, "TokyoZakkaJP"), acct(AcquirerId::Antom, "2188120000004680")],
        channels: &[ch(MethodId::Card, 0, CurrencyId::Jpy, 45), ch(MethodId::ApplePay, 0, CurrencyId::Jpy, 15), ch(MethodId::PayPay, 1, CurrencyId::Jpy, 25),
            ch(MethodId::AlipayCn, 1, CurrencyId::Jpy, 15)],
        sub_merchants: &[],
        stores: &["TKZ-ASAKUSA", "TKZ-SHIBUYA"],
        items: &["手ぬぐい（藍染）", "有田焼 湯呑み", "宇治抹茶 50g", "風呂敷", "南部鉄器 急須", "箸セット"],
    },
    Merchant {
        name: "서울뷰티 주식회사", code: "SLB", lang: TextLang::Ko, weight: 7, settles_in: Some(CurrencyId::Usd),
        accounts: &[acct(AcquirerId::Antom, "2188120000007913"), acct(AcquirerId::Checkout, "ent_seoulbeauty01")],
        channels: &[ch(MethodId::KakaoPay, 0, CurrencyId::Krw, 35), ch(MethodId::NaverPay, 0, CurrencyId::Krw, 20), ch(MethodId::Card, 1, CurrencyId::Krw, 35),
            ch(MethodId::Card, 1, CurrencyId::Usd, 10)],
        sub_merchants: &[],
        stores: &["SLB-MYEONGDONG", "SLB-GANGNAM"],
        items: &["수분 크림 50ml", "선크림 SPF50+", "시트 마스크 10매", "립 틴트", "클렌징 폼",
            "비타민C 세럼"],
    },
    Merchant {
        name: "Gulf Gadgets W.L.L.", code: "GGB", lang: TextLang::En, weight: 4, settles_in: None,
        accounts: &[acct(AcquirerId::Checkout, "ent_gulfgadgets01"), acct(AcquirerId::Adyen, "GulfGadgetsBH")],
        channels: &[ch(MethodId::Card, 0, CurrencyId::Bhd, 60), ch(MethodId::ApplePay, 0, CurrencyId::Bhd, 25), ch(MethodId::Card, 1, CurrencyId::Bhd, 15)],
        sub_merchants: &[],
        stores: &["GGB-MANAMA-01"],
        items: &["Smartphone case", "Fast charger 65W", "Bluetooth speaker", "Smartwatch strap",
            "Power bank 20000mAh"],
    },
    Merchant {
        name: "PT Toko Sejahtera Abadi", code: "TSA", lang: TextLang::Id, weight: 3,
        settles_in: Some(CurrencyId::Usd),
        accounts: &[acct(AcquirerId::Antom, "2188120000008024")],
        channels: &[ch(MethodId::Dana, 0, CurrencyId::Idr, 60), ch(MethodId::Card, 0, CurrencyId::Idr, 40)],
        sub_merchants: &["TSA-JKT", "TSA-DPS"],
        stores: &[],
        items: &["Kopi Toraja 250g", "Kain batik tulis", "Sambal matah botol", "Kaos katun",
            "Keripik tempe"],
    },
];

/// Cells a spreadsheet would run as formulas: exports must neutralise them.
pub(super) const FORMULA_DESCRIPTIONS: [&str; 11] = [
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

pub(super) const QUOTED_DESCRIPTIONS: [&str; 5] = [
    "Camiseta \"Edição Limitada\", tamanho M",
    "Monitor 27\" 4K, \"refurbished\"",
    "礼盒 \"中秋特别版\"，含 4 枚月饼",
    "Customer wrote: \"leave it at the door, please\"",
    "\"Quoted\" at the start, a comma, and the end\"",
];

pub(super) const MULTILINE_DESCRIPTIONS: [&str; 5] = [
    "Entregar na portaria\nApto 42, Bloco B",
    "Gift message:\nHappy birthday, Ana!",
    "备注：\n请尽快发货，谢谢",
    "Windows line break\r\nsecond line",
    "Presente para a vovó\n\nNão incluir nota fiscal na caixa",
];

pub(super) const GENERIC_DESCRIPTIONS: [&str; 9] = [
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

pub(super) struct Reasons {
    pub(super) refund: &'static [&'static str],
    pub(super) refund_reject: &'static [&'static str],
    pub(super) payment_fail: &'static [&'static str],
    pub(super) cancelled: &'static [&'static str],
    pub(super) void: &'static [&'static str],
}

pub(super) const PT_REASONS: Reasons = Reasons {
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

pub(super) const ZH_REASONS: Reasons = Reasons {
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

pub(super) const EN_REASONS: Reasons = Reasons {
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

pub(super) const DISPUTE_REASONS: [&str; 5] = [
    "Fraud: card not present",
    "Merchandise not received",
    "Product not as described",
    "Credit not processed",
    "Duplicate processing",
];

pub(super) fn reasons(lang: TextLang) -> &'static Reasons {
    match lang {
        TextLang::Pt => &PT_REASONS,
        TextLang::Zh => &ZH_REASONS,
        _ => &EN_REASONS,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Outcome {
    Success,
    Fail,
    Processing,
    Cancelled,
    Pending,
}

impl Outcome {
    pub(super) fn tx(self) -> TxStatus {
        match self {
            Outcome::Success => TxStatus::Success,
            Outcome::Fail => TxStatus::Fail,
            Outcome::Processing => TxStatus::Processing,
            Outcome::Cancelled => TxStatus::Cancelled,
            Outcome::Pending => TxStatus::Pending,
        }
    }
}

#[rustfmt::skip]
pub(super) const PAYMENT_STATUSES: [(Outcome, u32); 5] = [(Outcome::Success, 850), (Outcome::Fail, 80),
    (Outcome::Processing, 25), (Outcome::Cancelled, 25), (Outcome::Pending, 20)];
#[rustfmt::skip]
pub(super) const REFUND_STATUSES: [(Outcome, u32); 3] =
    [(Outcome::Success, 880), (Outcome::Processing, 70), (Outcome::Fail, 50)];
pub(super) const AUTH_STATUSES: [(Outcome, u32); 2] =
    [(Outcome::Success, 900), (Outcome::Fail, 100)];
#[rustfmt::skip]
pub(super) const CAPTURE_STATUSES: [(Outcome, u32); 3] =
    [(Outcome::Success, 960), (Outcome::Processing, 20), (Outcome::Fail, 20)];
pub(super) const VOID_STATUSES: [(Outcome, u32); 2] =
    [(Outcome::Success, 970), (Outcome::Fail, 30)];
#[rustfmt::skip]
pub(super) const DISPUTE_STATUSES: [(Outcome, u32); 3] =
    [(Outcome::Processing, 500), (Outcome::Success, 300), (Outcome::Fail, 200)];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum RowKind {
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
pub(super) const KINDS: [(RowKind, u32); 6] = [(RowKind::Payment, 789), (RowKind::Refund, 140),
    (RowKind::Authorization, 35), (RowKind::Capture, 20), (RowKind::Void, 6), (RowKind::Dispute, 10)];
