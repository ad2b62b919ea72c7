### The web page of `recibo serve`, English. Every id here must exist in zh-CN and pt-BR
### too (tests/locale.rs checks). Arguments arrive already formatted.

web-language = Language
web-skip = Skip to the content
web-signin-title = Sign in
web-signin-intro = Sign in with a token this server accepts.
web-token = Access token
web-signin = Sign in
web-signin-wrong = That token is not accepted.
# $seconds: how long to wait
web-signin-limited = Too many sign-in attempts from this address; try again in { $seconds } seconds.
web-signin-expired = Your session ended; sign in again.
web-signout = Sign out
web-search = Find by any ID
web-search-hint = Transaction, original transaction, request, merchant order, acquirer reference or gateway order ID
web-search-button = Find
web-filters = Filters
web-from = From
web-to = Before (not included)
web-tz = Time zone
web-type = Type
web-status = Status
web-currency = Currency
web-method = Payment method
web-acquirer = Acquirer
web-any = Any
web-apply = Apply
web-clear = Clear filters
web-transactions = Transactions
web-none = No transaction matches these filters.
# $zone: an IANA zone name
web-times-in = Times in { $zone }
web-next = Next page
web-first = First page
# $count: rows on this page
web-rows = { $count ->
    [one] One transaction on this page
   *[other] { $count } transactions on this page
}
web-receipts = Receipts of this view
web-receipts-intro = Every successful refund of this view, one PDF per language, with a manifest, as one ZIP.
web-languages = Languages
web-zip = Download ZIP
web-export = Export this view
web-columns = Columns
web-columns-custom = The columns ticked below
web-columns-pick = Columns to include (when “The columns ticked below” is chosen)
web-columns-order = Or type column keys in the order wanted
web-columns-order-hint = For example: transactionId,paymentTime,transactionAmountValue
web-format = Format
web-header-lang = Header language
web-header-keys = Column keys
web-bom = Byte order mark (for Excel)
web-download = Download
# $id: the transaction ID
web-transaction = Transaction { $id }
web-fields = Fields
web-related = Related transactions
web-related-none = No related transaction.
web-receipt = Receipt
web-receipt-download = Download the receipt
web-no-receipt-kind = No receipt: receipts are issued for refunds, and this is a { $kind }.
web-no-receipt-status = No receipt: this refund’s status is { $status }; receipts are issued only for successful refunds.
# $id: the ID searched for
web-matches = Transactions carrying { $id }
web-not-found = No transaction carries the ID { $id }.
web-back = Back to the transactions
web-error = This request cannot be answered
# $count: how many more refer to this transaction
web-related-more = { $count } more related transactions are not listed.
# $count: how many are listed
web-matches-more = Only the first { $count } are listed; search a more specific ID.
web-no-receipt-link = This refund’s ID cannot be part of a link; get its receipt with recibo receipt on the command line.
