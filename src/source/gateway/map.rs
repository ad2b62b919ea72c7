//! Gateway records to model transactions: the payment as a PAYMENT and each of its refunds
//! as a REFUND with a negative amount, as the details report stores them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::api::{PaymentData, RefundData, WireAmount, WireInt};
use crate::model::{Currency, Money, Transaction, TxStatus, TxType};

/// The acquirer named on every transaction from this API.
pub const ACQUIRER: &str = "AppotaPay";

fn vnd() -> Currency {
    // VND is in the exponent table; the fallback cannot be reached.
    Currency::parse("VND").unwrap_or_else(|_| unreachable!("VND is a known currency"))
}

/// The payment followed by its refunds in the order the gateway listed them.
///
/// `requested_id` fills in `orderId` when the gateway leaves it out. The error says which
/// field of which record is unusable, or which refunds do not fit their payment.
pub(crate) fn order_transactions(
    requested_id: &str,
    data: PaymentData,
) -> Result<Vec<Transaction>, String> {
    let currency = vnd();
    let payment_id = data
        .appotapay_trans_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or("the payment has no appotapayTransId")?;
    check_currency(data.currency.as_deref(), currency)
        .map_err(|e| format!("payment {payment_id}: currency {e}"))?;
    let order_id = data
        .order_id
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| requested_id.to_string());
    let amount = match &data.amount {
        Some(a) => {
            parse_amount(a, currency).map_err(|e| format!("payment {payment_id}: amount {e}"))?
        }
        None => return Err(format!("payment {payment_id} has no amount")),
    };
    if amount < 0 {
        return Err(format!(
            "payment {payment_id}: amount {} is negative",
            data.amount
                .as_ref()
                .map_or_else(String::new, WireAmount::as_text)
        ));
    }
    let text = |s: &Option<String>| s.clone().unwrap_or_default();

    let mut payment = Transaction::blank(currency);
    payment.transaction_type = TxType::Payment;
    payment.status = TxStatus::Success;
    payment.acquirer = ACQUIRER.to_string();
    payment.transaction_id = payment_id.clone();
    payment.order_id = order_id.clone();
    payment.reference_transaction_id = order_id.clone();
    payment.order_description = text(&data.order_info);
    payment.customer_id = text(&data.partner_code);
    payment.amount = Money::new(amount, currency);
    payment.payment_method_type = text(&data.payment_method);
    payment.bank_code = text(&data.bank_code);
    payment.refund_type = text(&data.refund_type);
    payment.payment_time = parse_time(data.transaction_ts.as_ref())
        .map_err(|e| format!("payment {payment_id}: transactionTs {e}"))?;

    let refunds = data.refund_transactions.unwrap_or_default();
    let mut out = Vec::with_capacity(1 + refunds.len());
    out.push(payment);
    for (index, refund) in refunds.into_iter().enumerate() {
        let refund = refund_transaction(&out[0], refund, index)?;
        out.push(refund);
    }
    check_refunds(&out[0], &out[1..])?;
    Ok(out)
}

/// The amounts of this API are whole VND: a record that names another currency (or a
/// refund in a currency other than its payment's) cannot be read as it is.
fn check_currency(stated: Option<&str>, expected: Currency) -> Result<(), String> {
    match stated.map(str::trim) {
        None | Some("") => Ok(()),
        Some(code) if code.eq_ignore_ascii_case(expected.code()) => Ok(()),
        Some(code) => Err(format!("{code:?} is not {expected}")),
    }
}

/// Refunds must fit their payment: each refund ID once, none larger than the payment, and
/// the refunds that may still move money (all but the failed and cancelled) together no larger
/// either. A gateway answer that breaks this is wrong somewhere, and a receipt or a report
/// built on it would be too.
fn check_refunds(payment: &Transaction, refunds: &[Transaction]) -> Result<(), String> {
    let shown = |m: Money| format!("{} {}", m.abs().to_major_string(), m.currency);
    let paid = payment.amount;
    let mut first_of: HashMap<&str, &Transaction> = HashMap::with_capacity(refunds.len());
    for refund in refunds {
        if let Some(first) = first_of.insert(&refund.transaction_id, refund) {
            return Err(format!(
                "refund {} of payment {} is listed twice ({} and {})",
                refund.transaction_id,
                payment.transaction_id,
                shown(first.amount),
                shown(refund.amount)
            ));
        }
        if i128::from(refund.amount.minor).abs() > i128::from(paid.minor) {
            return Err(format!(
                "refund {} of {} is more than payment {} of {}",
                refund.transaction_id,
                shown(refund.amount),
                payment.transaction_id,
                shown(paid)
            ));
        }
    }
    let live: Vec<&Transaction> = refunds
        .iter()
        .filter(|r| !matches!(r.status, TxStatus::Fail | TxStatus::Cancelled))
        .collect();
    let total: i128 = live.iter().map(|r| i128::from(r.amount.minor).abs()).sum();
    if total > i128::from(paid.minor) {
        let listed: Vec<String> = live
            .iter()
            .map(|r| format!("{} ({})", r.transaction_id, shown(r.amount)))
            .collect();
        // Each refund is at most the payment, so only a list of billions could overflow.
        let total = i64::try_from(total).map_or_else(
            |_| format!("over {}", shown(Money::new(i64::MAX, paid.currency))),
            |t| shown(Money::new(t, paid.currency)),
        );
        return Err(format!(
            "refunds {} of payment {} total {total}, more than its {}",
            listed.join(", "),
            payment.transaction_id,
            shown(paid)
        ));
    }
    Ok(())
}

/// A refund inherits what describes the payment (merchant, order, method, bank) so that a
/// receipt or a filtered export of refunds alone still shows them.
fn refund_transaction(
    payment: &Transaction,
    refund: RefundData,
    index: usize,
) -> Result<Transaction, String> {
    let refund_id = refund.refund_id.filter(|s| !s.is_empty()).ok_or_else(|| {
        format!(
            "refund #{} of payment {} has no refundId",
            index + 1,
            payment.transaction_id
        )
    })?;
    check_currency(refund.currency.as_deref(), payment.amount.currency).map_err(|e| {
        format!(
            "refund {refund_id}: currency {e}, the currency of payment {}",
            payment.transaction_id
        )
    })?;
    let amount = match &refund.amount {
        Some(a) => parse_amount(a, payment.amount.currency)
            .map_err(|e| format!("refund {refund_id}: amount {e}"))?,
        None => return Err(format!("refund {refund_id} has no amount")),
    };
    let mut t = payment.clone();
    t.transaction_type = TxType::Refund;
    t.transaction_id = refund_id.clone();
    t.original_transaction_id = payment.transaction_id.clone();
    t.transaction_request_id = refund.refund_original_id.unwrap_or_default();
    // Refunds are stored negative whatever sign the wire carried.
    t.amount = Money::new(-amount.abs(), payment.amount.currency);
    t.reason = refund.reason.unwrap_or_default();
    t.reject_reason = refund.reject_reason.unwrap_or_default();
    t.status = refund_status(refund.status.as_deref().unwrap_or(""));
    t.payment_time = parse_time(refund.transaction_ts.as_ref())
        .map_err(|e| format!("refund {refund_id}: transactionTs {e}"))?;
    Ok(t)
}

/// The gateway's lower-case refund states; anything else is kept verbatim (upper-cased).
pub(crate) fn refund_status(status: &str) -> TxStatus {
    match status.trim().to_ascii_lowercase().as_str() {
        "success" => TxStatus::Success,
        "processing" => TxStatus::Processing,
        "pending" => TxStatus::Pending,
        "error" => TxStatus::Fail,
        _ => TxStatus::parse(status),
    }
}

/// Whole major units of `currency` (VND has no minor unit), from a number or a string.
fn parse_amount(amount: &WireAmount, currency: Currency) -> Result<i64, String> {
    let text = amount.as_text();
    Money::parse_major(&text, currency)
        .map(|m| m.minor)
        .map_err(|e| match e {
            crate::model::MoneyError::TooPrecise { .. } => {
                format!("{text:?} is not a whole number of {currency}")
            }
            other => other.to_string(),
        })
}

/// Unix seconds. The time is required: left out (or 0) it would stand for 1970-01-01, a
/// date that would then show on reports and receipts as if the gateway had said so.
fn parse_time(ts: Option<&WireInt>) -> Result<DateTime<Utc>, String> {
    let Some(ts) = ts else {
        return Err("is missing".into());
    };
    match ts.value() {
        Some(secs) if secs > 0 => DateTime::from_timestamp(secs, 0),
        _ => None,
    }
    .filter(|t| crate::model::time::in_range(*t))
    .ok_or_else(|| format!("{} is not a time in unix seconds", ts.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: &str) -> PaymentData {
        serde_json::from_str(json).unwrap()
    }

    const SEED: &str = r#"{
        "appotapayTransId": "AP211338083228", "orderId": "61a4919ca5b23",
        "orderInfo": "test thanh toan", "partnerCode": "TEST", "applicationId": 316869,
        "amount": 10000, "bankCode": "SHB", "paymentMethod": "ATM", "refundType": "total",
        "transactionTs": 1638175132,
        "refundTransactions": [{
            "appotapayTransId": "AP211338083228", "refundId": "AP211338083228",
            "refundOriginalId": "237052c887614019bedfd1851a287d9c", "amount": 10000,
            "reason": "Test refund", "status": "processing", "transactionTs": 1638180805
        }]}"#;

    #[test]
    fn maps_the_documented_example() {
        let txs = order_transactions("61a4919ca5b23", data(SEED)).unwrap();
        assert_eq!(txs.len(), 2);
        let (p, r) = (&txs[0], &txs[1]);
        assert_eq!(p.transaction_type, TxType::Payment);
        assert_eq!(p.status, TxStatus::Success);
        assert_eq!(p.transaction_id, "AP211338083228");
        assert_eq!(p.order_id, "61a4919ca5b23");
        assert_eq!(p.reference_transaction_id, "61a4919ca5b23");
        assert_eq!(p.order_description, "test thanh toan");
        assert_eq!(p.customer_id, "TEST");
        assert_eq!(p.amount, Money::new(10000, vnd()));
        assert_eq!(p.amount.to_major_string(), "10000");
        assert_eq!(p.payment_method_type, "ATM");
        assert_eq!(p.bank_code, "SHB");
        assert_eq!(p.acquirer, "AppotaPay");
        assert_eq!(p.refund_type, "total");
        assert_eq!(p.payment_time.to_rfc3339(), "2021-11-29T08:38:52+00:00");

        assert_eq!(r.transaction_type, TxType::Refund);
        assert_eq!(r.status, TxStatus::Processing);
        assert_eq!(r.transaction_id, "AP211338083228");
        assert_eq!(r.original_transaction_id, "AP211338083228");
        assert_eq!(r.transaction_request_id, "237052c887614019bedfd1851a287d9c");
        assert_eq!(r.reference_transaction_id, "61a4919ca5b23");
        assert_eq!(r.amount, Money::new(-10000, vnd()));
        assert_eq!(r.reason, "Test refund");
        assert_eq!(r.refund_type, "total");
        assert_eq!(r.payment_time.to_rfc3339(), "2021-11-29T10:13:25+00:00");
        assert!(!r.is_successful_refund());
    }

    #[test]
    fn statuses() {
        assert_eq!(refund_status("success"), TxStatus::Success);
        assert_eq!(refund_status("processing"), TxStatus::Processing);
        assert_eq!(refund_status("pending"), TxStatus::Pending);
        assert_eq!(refund_status("error"), TxStatus::Fail);
        assert_eq!(
            refund_status("reversed"),
            TxStatus::Other("REVERSED".into())
        );
        assert_eq!(refund_status(""), TxStatus::Unknown);
    }

    #[test]
    fn amounts_as_numbers_or_strings_but_whole() {
        let one = |amount: &str| {
            order_transactions(
                "O",
                data(&format!(
                    r#"{{"appotapayTransId":"P","amount":20000,"transactionTs":1700000000,
                        "refundTransactions":[{{"refundId":"R","amount":{amount},
                        "transactionTs":1700000600}}]}}"#
                )),
            )
        };
        assert_eq!(one("\"5000\"").unwrap()[1].amount.minor, -5000);
        assert_eq!(one("5000").unwrap()[1].amount.minor, -5000);
        assert_eq!(one("5000.0").unwrap()[1].amount.minor, -5000);
        let err = one("12.5").unwrap_err();
        assert!(
            err.contains("refund R") && err.contains("not a whole number of VND"),
            "{err}"
        );
        assert!(one("\"12.5\"").is_err());
        assert!(one("\"1,000\"").is_err());
        assert!(one("null").unwrap_err().contains("no amount"));
    }

    #[test]
    fn missing_optional_fields_are_fine() {
        let txs = order_transactions(
            "asked",
            data(r#"{"appotapayTransId":"P","amount":1,"transactionTs":1700000000}"#),
        )
        .unwrap();
        assert_eq!(txs.len(), 1);
        assert_eq!(txs[0].order_id, "asked");
        assert_eq!(txs[0].payment_time.timestamp(), 1700000000);
        assert!(order_transactions("x", data(r#"{"amount":1}"#)).is_err());
    }

    /// The seed order with `edit` applied to its JSON.
    fn seed_with(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Vec<Transaction>, String> {
        let mut value: serde_json::Value = serde_json::from_str(SEED).unwrap();
        edit(&mut value);
        order_transactions("61a4919ca5b23", serde_json::from_value(value).unwrap())
    }

    #[test]
    fn a_record_without_its_time_is_refused() {
        for absent in [
            serde_json::Value::Null,
            serde_json::json!(0),
            serde_json::json!(""),
        ] {
            let err = seed_with(|v| v["transactionTs"] = absent.clone()).unwrap_err();
            assert!(
                err.starts_with("payment AP211338083228: transactionTs "),
                "{absent}: {err}"
            );
            let err = seed_with(|v| v["refundTransactions"][0]["transactionTs"] = absent.clone())
                .unwrap_err();
            assert!(
                err.starts_with("refund AP211338083228: transactionTs "),
                "{absent}: {err}"
            );
        }
        let err = seed_with(|v| {
            v.as_object_mut().unwrap().remove("transactionTs");
        })
        .unwrap_err();
        assert_eq!(err, "payment AP211338083228: transactionTs is missing");
    }

    /// The seed payment (10000 VND) with these refunds: `(id, amount, status)`.
    fn with_refunds(refunds: &[(&str, i64, &str)]) -> Result<Vec<Transaction>, String> {
        seed_with(|v| {
            v["refundTransactions"] = refunds
                .iter()
                .map(|(id, amount, status)| {
                    serde_json::json!({"refundId": id, "amount": amount, "status": status,
                        "transactionTs": 1638180805})
                })
                .collect();
        })
    }

    #[test]
    fn refunds_that_do_not_fit_the_payment_are_refused() {
        let err = with_refunds(&[("R1", 10001, "success")]).unwrap_err();
        assert_eq!(
            err,
            "refund R1 of 10001 VND is more than payment AP211338083228 of 10000 VND"
        );
        // Even a failed refund cannot be larger than what was paid.
        assert!(with_refunds(&[("R1", 20000, "error")]).is_err());

        let err = with_refunds(&[("R1", 4000, "success"), ("R1", 3000, "pending")]).unwrap_err();
        assert_eq!(
            err,
            "refund R1 of payment AP211338083228 is listed twice (4000 VND and 3000 VND)"
        );

        let err = with_refunds(&[
            ("R1", 6000, "success"),
            ("R2", 3000, "error"),
            ("R3", 5000, "processing"),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            "refunds R1 (6000 VND), R3 (5000 VND) of payment AP211338083228 total 11000 VND, \
             more than its 10000 VND"
        );
    }

    #[test]
    fn refunds_that_fit_are_kept() {
        // The whole amount in parts, and a failed attempt that moved nothing beside them.
        let txs = with_refunds(&[
            ("R1", 6000, "success"),
            ("R2", 9000, "error"),
            ("R3", 4000, "pending"),
        ])
        .unwrap();
        let refunded: i64 = txs[1..].iter().map(|t| t.amount.minor).sum();
        assert_eq!(refunded, -19000);
        assert_eq!(txs.len(), 4);
    }

    #[test]
    fn another_currency_is_refused() {
        let err = seed_with(|v| v["currency"] = "USD".into()).unwrap_err();
        assert_eq!(err, "payment AP211338083228: currency \"USD\" is not VND");
        let err = seed_with(|v| v["refundTransactions"][0]["currency"] = "USD".into()).unwrap_err();
        assert_eq!(
            err,
            "refund AP211338083228: currency \"USD\" is not VND, the currency of payment \
             AP211338083228"
        );
        // Saying VND, in any case, is the same as saying nothing.
        assert!(seed_with(|v| v["currency"] = "vnd".into()).is_ok());
        assert!(seed_with(|v| v["refundTransactions"][0]["currency"] = "VND".into()).is_ok());
    }

    #[test]
    fn a_negative_payment_is_refused() {
        let err = seed_with(|v| v["amount"] = (-10000).into()).unwrap_err();
        assert_eq!(err, "payment AP211338083228: amount -10000 is negative");
    }
}
