### Refund receipt, English.
### Every id here must exist in zh-CN and pt-BR too (tests/locale.rs checks).
### Arguments arrive already formatted: amounts and dates come from recibo's CLDR
### formatters, so no NUMBER() or DATETIME() is used here.

receipt-title = Refund receipt
# $number: e.g. RR-3F2A-91C0-77B1-0C4D
receipt-number = Receipt no. { $number }

## Section headings

section-refund = Refund
section-original = Original payment
section-merchant = Merchant

## Row labels

label-refund-id = Refund ID
label-refund-request-id = Refund request ID
label-refunded-amount = Refunded amount
label-currency = Currency
label-refund-type = Refund type
label-reason = Reason
label-reject-reason = Rejection reason
label-status = Status
label-refund-time = Refund time
label-time-zone = Time zone
label-original-payment-id = Original payment ID
label-merchant-order-id = Merchant order ID
label-payment-method = Payment method
label-original-amount = Original amount
label-payment-time = Payment time
label-order-description = Order description
label-merchant-name = Merchant name
label-merchant-id = Merchant ID
label-sub-merchant-id = Sub-merchant ID
label-store-id = Store ID
label-acquirer = Acquirer
label-acquirer-reference = Acquirer reference no.
label-generated-at = Generated at

## Values

refund-type-total = Full refund
refund-type-partial = Partial refund

status-success = Succeeded
status-fail = Failed
status-processing = Processing
status-pending = Pending
status-cancelled = Cancelled

# Shown where a field every receipt has is unknown.
value-not-provided = —

# $method: the gateway's paymentMethodType, upper case; unknown types are shown as given.
payment-method = { $method ->
        [CARD] Card
        [CC] Credit card
        [ATM] ATM card
        [APPLEPAY] Apple Pay
        [GOOGLEPAY] Google Pay
        [PAYPAL] PayPal
        [PIX] Pix
        [ALIPAY_CN] Alipay
        [ALIPAY_HK] AlipayHK
        [WECHATPAY] WeChat Pay
        [DANA] DANA
        [KLARNA] Klarna
        [EWALLET] E-wallet
        [VA] Virtual account
        [BANK_TRANSFER] Bank transfer
       *[other] { $method }
    }
# $method: as above; $provider: wallet, PSP or bank
payment-method-via = { $method } ({ $provider })

## Composite values and footer

# $datetime: formatted date and time; $zone: IANA zone name
datetime-with-zone = { $datetime } ({ $zone })
# $zone: IANA zone name; $offset: e.g. +08:00
zone-with-offset = { $zone } (UTC{ $offset })
# $time: as datetime-with-zone
footer-generated-at = Generated at { $time }
footer-validity = This receipt was generated electronically and is valid without a signature.

## Issuer block and verification (receipt templates)

# $contact: the template's support contact
issuer-support = Support: { $contact }
# Under the QR code, which holds the receipt's verification address
verify-caption = Scan to check this receipt is genuine
# The page a scanned QR code opens
verify-page-title = Refund receipt check
verify-page-genuine = This receipt is genuine: it was issued for the refund below.
verify-page-unknown = No receipt has this code. Check the address, or ask whoever issued the receipt.
label-receipt-number = Receipt number
