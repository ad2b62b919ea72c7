### 退款凭证，简体中文。
### Terms follow the gateway's Chinese documentation: 退款, 退款金额, 退款原因, 交易类型,
### 支付方式, 收单机构, 币种, 状态, 成功/失败/处理中.

receipt-title = 退款凭证
receipt-number = 凭证编号：{ $number }

## Section headings

section-refund = 退款信息
section-original = 原支付信息
section-merchant = 商户信息

## Row labels

label-refund-id = 退款交易号
label-refund-request-id = 退款请求号
label-refunded-amount = 退款金额
label-currency = 币种
label-refund-type = 退款类型
label-reason = 退款原因
label-reject-reason = 拒绝原因
label-status = 状态
label-refund-time = 退款时间
label-time-zone = 时区
label-original-payment-id = 原支付交易号
label-merchant-order-id = 商户订单号
label-payment-method = 支付方式
label-original-amount = 原支付金额
label-payment-time = 支付时间
label-order-description = 订单描述
label-merchant-name = 商户名称
label-merchant-id = 商户号
label-sub-merchant-id = 子商户号
label-store-id = 门店号
label-acquirer = 收单机构
label-acquirer-reference = 收单机构参考号
label-generated-at = 生成时间

## Values

refund-type-total = 全额退款
refund-type-partial = 部分退款

status-success = 成功
status-fail = 失败
status-processing = 处理中
status-pending = 待处理
status-cancelled = 已取消

value-not-provided = —

payment-method = { $method ->
        [CARD] 银行卡
        [CC] 信用卡
        [ATM] ATM 卡
        [APPLEPAY] Apple Pay
        [GOOGLEPAY] Google Pay
        [PAYPAL] PayPal
        [PIX] Pix
        [ALIPAY_CN] 支付宝
        [ALIPAY_HK] 支付宝香港
        [WECHATPAY] 微信支付
        [DANA] DANA
        [KLARNA] Klarna
        [EWALLET] 电子钱包
        [VA] 虚拟账户
        [BANK_TRANSFER] 银行转账
       *[other] { $method }
    }
payment-method-via = { $method }（{ $provider }）

## Composite values and footer

datetime-with-zone = { $datetime }（{ $zone }）
zone-with-offset = { $zone }（UTC{ $offset }）
footer-generated-at = 生成时间：{ $time }
footer-validity = 本凭证以电子方式生成，无需签名即有效。

## Issuer block and verification (receipt templates)

issuer-support = 客服：{ $contact }
verify-caption = 扫码验证本凭证真伪
verify-page-title = 退款凭证验证
verify-page-genuine = 此凭证真实有效：它是为以下退款出具的。
verify-page-unknown = 没有与此编码对应的凭证。请检查地址，或联系凭证出具方。
label-receipt-number = 凭证编号
