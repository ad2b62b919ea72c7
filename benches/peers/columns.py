"""The columns recibo's default export writes, in its order."""
DEFAULT_COLUMNS = [
    "transactionId",
    "transactionType",
    "status",
    "paymentTime",
    "transactionAmountValue",
    "transactionCurrency",
    "paymentMethodType",
    "acquirer",
    "referenceTransactionId",
    "originalTransactionId",
    "orderDescription",
]
AMOUNT_COLUMNS = {"transactionAmountValue"}
TIME_COLUMNS = {"paymentTime"}
