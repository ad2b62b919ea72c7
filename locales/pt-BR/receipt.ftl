### Comprovante de estorno, português do Brasil.
### Termos: valor estornado, data do estorno, motivo, ID da transação, pagamento original.

receipt-title = Comprovante de estorno
receipt-number = Comprovante nº { $number }

## Section headings

section-refund = Estorno
section-original = Pagamento original
section-merchant = Estabelecimento

## Row labels

label-refund-id = ID da transação de estorno
label-refund-request-id = ID da solicitação de estorno
label-refunded-amount = Valor estornado
label-currency = Moeda
label-refund-type = Tipo de estorno
label-reason = Motivo
label-reject-reason = Motivo da recusa
label-status = Status
label-refund-time = Data do estorno
label-time-zone = Fuso horário
label-original-payment-id = ID da transação original
label-merchant-order-id = Número do pedido
label-payment-method = Forma de pagamento
label-original-amount = Valor original
label-payment-time = Data do pagamento
label-order-description = Descrição do pedido
label-merchant-name = Nome do estabelecimento
label-merchant-id = ID do estabelecimento
label-sub-merchant-id = ID do subestabelecimento
label-store-id = ID da loja
label-acquirer = Adquirente
label-acquirer-reference = Referência do adquirente
label-generated-at = Gerado em

## Values

refund-type-total = Total
refund-type-partial = Parcial

status-success = Concluído
status-fail = Falhou
status-processing = Em processamento
status-pending = Pendente
status-cancelled = Cancelado

value-not-provided = —

payment-method = { $method ->
        [CARD] Cartão
        [CC] Cartão de crédito
        [ATM] Cartão ATM
        [APPLEPAY] Apple Pay
        [GOOGLEPAY] Google Pay
        [PAYPAL] PayPal
        [PIX] Pix
        [ALIPAY_CN] Alipay
        [ALIPAY_HK] AlipayHK
        [WECHATPAY] WeChat Pay
        [DANA] DANA
        [KLARNA] Klarna
        [EWALLET] Carteira digital
        [VA] Conta virtual
        [BANK_TRANSFER] Transferência bancária
       *[other] { $method }
    }
payment-method-via = { $method } ({ $provider })

## Composite values and footer

datetime-with-zone = { $datetime } ({ $zone })
zone-with-offset = { $zone } (UTC{ $offset })
footer-generated-at = Gerado em { $time }
footer-validity = Este comprovante foi gerado eletronicamente e é válido sem assinatura.

## Issuer block and verification (receipt templates)

issuer-support = Atendimento: { $contact }
verify-caption = Escaneie para confirmar que este comprovante é autêntico
verify-page-title = Verificação de comprovante de estorno
verify-page-genuine = Este comprovante é autêntico: foi emitido para o estorno abaixo.
verify-page-unknown = Nenhum comprovante tem este código. Confira o endereço ou consulte quem emitiu o comprovante.
label-receipt-number = Número do comprovante
