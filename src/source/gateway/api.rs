//! The gateway's JSON as it comes over the wire. Every field is optional and unknown
//! fields are ignored: what is required is decided when mapping to the model, where the
//! error can say which field of which record is missing.

use serde::Deserialize;

/// `{errorCode, message, data}`; errors carry no `data`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(rename = "errorCode", default)]
    pub error_code: Option<WireInt>,
    #[serde(default)]
    pub message: Option<serde_json::Value>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

impl Envelope {
    pub fn message_text(&self) -> String {
        match &self.message {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
}

/// The payment of one order with its refunds.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PaymentData {
    pub appotapay_trans_id: Option<String>,
    pub order_id: Option<String>,
    pub order_info: Option<String>,
    pub partner_code: Option<String>,
    pub amount: Option<WireAmount>,
    pub bank_code: Option<String>,
    pub payment_method: Option<String>,
    pub refund_type: Option<String>,
    /// Not documented (the amounts are VND); read so that another currency is refused
    /// rather than taken for VND.
    pub currency: Option<String>,
    pub transaction_ts: Option<WireInt>,
    pub refund_transactions: Option<Vec<RefundData>>,
}

/// One entry of `refundTransactions`. The documentation spells `reject_reason` in snake
/// case while every other field is camel case; both spellings are read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct RefundData {
    pub appotapay_trans_id: Option<String>,
    pub refund_id: Option<String>,
    pub refund_original_id: Option<String>,
    pub amount: Option<WireAmount>,
    pub reason: Option<String>,
    #[serde(rename = "reject_reason", alias = "rejectReason")]
    pub reject_reason: Option<String>,
    pub status: Option<String>,
    /// As on the payment: absent means the payment's currency.
    pub currency: Option<String>,
    pub transaction_ts: Option<WireInt>,
}

/// An integer the gateway may send as a JSON number or as a string of digits.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum WireInt {
    Number(i64),
    Text(String),
}

impl WireInt {
    pub fn value(&self) -> Option<i64> {
        match self {
            WireInt::Number(n) => Some(*n),
            WireInt::Text(s) => s.trim().parse().ok(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            WireInt::Number(n) => n.to_string(),
            WireInt::Text(s) => format!("{s:?}"),
        }
    }
}

/// An amount in major units: documented as a string for refunds and an integer for
/// payments, sent as either in practice.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum WireAmount {
    Number(serde_json::Number),
    Text(String),
}

impl WireAmount {
    /// The decimal text, as `Money::parse_major` reads it.
    pub fn as_text(&self) -> String {
        match self {
            WireAmount::Number(n) => n.to_string(),
            WireAmount::Text(s) => s.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example_and_ignores_unknown_fields() {
        let env: Envelope = serde_json::from_str(
            r#"{"errorCode":0,"message":"Thành công","extra":true,"data":{
                "appotapayTransId":"AP1","orderId":"O1","amount":"10000","transactionTs":"1638175132",
                "newField":{"x":1},
                "refundTransactions":[{"refundId":"R1","amount":5000,"rejectReason":"no"}]}}"#,
        )
        .unwrap();
        assert_eq!(env.error_code.as_ref().unwrap().value(), Some(0));
        assert_eq!(env.message_text(), "Thành công");
        let data: PaymentData = serde_json::from_value(env.data.unwrap()).unwrap();
        assert_eq!(data.amount.unwrap().as_text(), "10000");
        assert_eq!(data.transaction_ts.unwrap().value(), Some(1638175132));
        let refunds = data.refund_transactions.unwrap();
        assert_eq!(refunds[0].amount.as_ref().unwrap().as_text(), "5000");
        assert_eq!(refunds[0].reject_reason.as_deref(), Some("no"));
    }

    #[test]
    fn nulls_are_absent_values() {
        let data: PaymentData =
            serde_json::from_str(r#"{"bankCode":null,"refundTransactions":null}"#).unwrap();
        assert!(data.bank_code.is_none() && data.refund_transactions.is_none());
    }
}
