"""Refund receipts with ReportLab: one A4 page per successful refund and language, drawn
with WenQuanYi Micro Hei (TTC index 0, subset into each file), on every core."""
import csv
import multiprocessing
import os
import sys

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

# (title, section headings, row labels) per language, as recibo's receipts say them.
LABELS = {
    "en": ("Refund receipt", ("Refund", "Original payment", "Merchant"),
           ("Refund ID", "Refund request ID", "Refunded amount", "Currency", "Refund type",
            "Reason", "Status", "Refund time", "Original payment ID", "Merchant order ID",
            "Payment method", "Order description", "Merchant name", "Merchant ID", "Store ID",
            "Acquirer", "Acquirer reference no.")),
    "zh-CN": ("退款凭证", ("退款", "原支付", "商户"),
              ("退款编号", "退款请求编号", "退款金额", "币种", "退款类型", "退款原因", "状态",
               "退款时间", "原支付编号", "商户订单号", "支付方式", "订单描述", "商户名称",
               "商户编号", "门店编号", "收单机构", "收单参考号")),
    "pt-BR": ("Comprovante de reembolso", ("Reembolso", "Pagamento original", "Estabelecimento"),
              ("ID do reembolso", "ID da solicitação", "Valor reembolsado", "Moeda",
               "Tipo de reembolso", "Motivo", "Situação", "Data do reembolso",
               "ID do pagamento original", "Pedido do estabelecimento", "Forma de pagamento",
               "Descrição do pedido", "Nome do estabelecimento", "ID do estabelecimento",
               "ID da loja", "Adquirente", "Referência do adquirente")),
}
FIELDS = ("transactionId", "transactionRequestId", "transactionAmountValue",
          "transactionCurrency", "refundType", "reason", "status", "paymentTime",
          "originalTransactionId", "orderId", "paymentMethodType", "orderDescription",
          "merchantName", "referenceMerchantId", "referenceStoreId", "acquirer",
          "acquirerReferenceNo")
SECTION_STARTS = {0: 0, 8: 1, 12: 2}


def init():
    pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))


def render(job):
    out, lang, row = job
    title, sections, labels = LABELS[lang]
    path = os.path.join(out, lang, row["transactionId"] + ".pdf")
    c = canvas.Canvas(path, pagesize=A4, pageCompression=1)
    width, height = A4
    y = height - 72
    c.setFont("WQY", 18)
    c.drawString(56, y, title)
    y -= 20
    c.setFont("WQY", 9)
    c.drawString(56, y, "RR-" + row["transactionId"])
    y -= 28
    for i, (label, field) in enumerate(zip(labels, FIELDS)):
        if i in SECTION_STARTS:
            y -= 8
            c.setFont("WQY", 12)
            c.drawString(56, y, sections[SECTION_STARTS[i]])
            c.line(56, y - 4, width - 56, y - 4)
            y -= 20
        c.setFont("WQY", 9)
        c.drawString(56, y, label)
        value = row.get(field, "") or "—"
        c.drawString(200, y, value[:80])
        y -= 15
    c.showPage()
    c.save()
    return 1


def main():
    src, out, langs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    with open(src, newline="", encoding="utf-8") as f:
        refunds = [r for r in csv.DictReader(f)
                   if r.get("transactionType") == "REFUND" and r.get("status") == "SUCCESS"]
    for lang in langs:
        os.makedirs(os.path.join(out, lang), exist_ok=True)
    jobs = [(out, lang, r) for r in refunds for lang in langs]
    with multiprocessing.Pool(os.cpu_count(), initializer=init) as pool:
        done = sum(pool.imap_unordered(render, jobs, chunksize=64))
    print(done)


if __name__ == "__main__":
    main()
