//! One transaction: every field of the gateway's details report plus the gateway API's.

use chrono::{DateTime, Utc};

use super::money::Money;

/// Declares an enum of known upper-case values that keeps any other value verbatim, so a
/// report with a type or status recibo has not heard of still reads, filters and exports.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($variant,)+
            /// A value outside the known set, kept as written (upper-cased).
            Other(String),
            /// No value given.
            #[default]
            Unknown,
        }

        impl $name {
            /// Matches case-insensitively; anything else is kept as `Other`.
            pub fn parse(text: &str) -> Self {
                let t = text.trim();
                // Reports write the upper-case names: one match finds those.
                match t {
                    $($text => return Self::$variant,)+
                    _ => {}
                }
                $(if t.eq_ignore_ascii_case($text) { return Self::$variant; })+
                if t.is_empty() { Self::Unknown } else { Self::Other(t.to_ascii_uppercase()) }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                    Self::Unknown => "",
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum!(
    /// What a transaction is: the report's `transactionType`.
    TxType {
        Payment = "PAYMENT",
        Refund = "REFUND",
        Capture = "CAPTURE",
        Cancel = "CANCEL",
        Authorization = "AUTHORIZATION",
        Void = "VOID",
        Dispute = "DISPUTE",
    }
);

open_enum!(
    /// Where a transaction stands: the report's `status`.
    TxStatus {
        Success = "SUCCESS",
        Fail = "FAIL",
        Processing = "PROCESSING",
        Cancelled = "CANCELLED",
        Pending = "PENDING",
    }
);

/// "REFUND with status FAIL": a transaction's kind as messages describe it.
pub fn kind_and_status(tx_type: &TxType, status: &TxStatus) -> String {
    let status = match status.as_str() {
        "" => "(none)",
        s => s,
    };
    format!("{tx_type} with status {status}")
}

/// One row of a transaction details report, or one payment or refund from the gateway API.
///
/// Text fields are empty when unknown. A source refills one `Transaction` per record so the
/// row loop reuses the strings' buffers instead of allocating.
///
/// Its serde form (camelCase keys, money as `{"minor", "currency"}`, times in RFC 3339) is
/// the JSONL format recibo reads and writes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub acquirer: String,
    #[serde(default)]
    pub acquirer_reference_no: String,
    #[serde(default)]
    pub reference_merchant_id: String,
    #[serde(default)]
    pub reference_store_id: String,
    /// paymentId, captureId, refundId or disputeId, by type.
    pub transaction_id: String,
    /// For REFUND, CAPTURE, VOID, DISPUTE: the original payment's ID.
    #[serde(default)]
    pub original_transaction_id: String,
    /// The merchant's paymentRequestId / refundRequestId.
    #[serde(default)]
    pub transaction_request_id: String,
    /// The merchant's order ID.
    #[serde(default)]
    pub reference_transaction_id: String,
    #[serde(default)]
    pub order_description: String,
    #[serde(default)]
    pub payment_method_type: String,
    #[serde(default)]
    pub psp_name: String,
    pub transaction_type: TxType,
    /// When the transaction was created (the report's `paymentTime`).
    #[serde(with = "super::time::serde_instant")]
    pub payment_time: DateTime<Utc>,
    #[serde(default)]
    pub product_code: String,
    /// Signed as in the report: refunds are negative.
    pub amount: Money,
    #[serde(default)]
    pub settlement: Option<Money>,
    #[serde(default)]
    pub fee: Option<Money>,
    #[serde(default)]
    pub status: TxStatus,
    #[serde(default)]
    pub reason: String,
    // Fields the gateway API adds.
    /// The gateway's order ID (`orderId`).
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub bank_code: String,
    /// `total` or `partial`, for refunds.
    #[serde(default)]
    pub refund_type: String,
    #[serde(default)]
    pub reject_reason: String,
    #[serde(default)]
    pub merchant_name: String,
}

impl Transaction {
    /// An empty transaction to be filled by a source.
    pub fn blank(currency: super::money::Currency) -> Transaction {
        Transaction {
            customer_id: String::new(),
            acquirer: String::new(),
            acquirer_reference_no: String::new(),
            reference_merchant_id: String::new(),
            reference_store_id: String::new(),
            transaction_id: String::new(),
            original_transaction_id: String::new(),
            transaction_request_id: String::new(),
            reference_transaction_id: String::new(),
            order_description: String::new(),
            payment_method_type: String::new(),
            psp_name: String::new(),
            transaction_type: TxType::Unknown,
            payment_time: DateTime::<Utc>::UNIX_EPOCH,
            product_code: String::new(),
            amount: Money::new(0, currency),
            settlement: None,
            fee: None,
            status: TxStatus::Unknown,
            reason: String::new(),
            order_id: String::new(),
            bank_code: String::new(),
            refund_type: String::new(),
            reject_reason: String::new(),
            merchant_name: String::new(),
        }
    }

    /// A refund that a receipt may be issued for: type REFUND and status SUCCESS.
    pub fn is_successful_refund(&self) -> bool {
        self.transaction_type == TxType::Refund && self.status == TxStatus::Success
    }

    /// Its type and status for messages: `REFUND with status PROCESSING`.
    pub fn kind_and_status(&self) -> String {
        kind_and_status(&self.transaction_type, &self.status)
    }

    /// The ID that groups a payment with everything that refers to it (its refunds,
    /// captures, disputes): the original transaction's ID, or the transaction's own.
    pub fn group_id(&self) -> &str {
        if self.original_transaction_id.is_empty() {
            &self.transaction_id
        } else {
            &self.original_transaction_id
        }
    }

    /// Every ID a user may look this transaction up by.
    pub fn ids(&self) -> [&str; 6] {
        [
            &self.transaction_id,
            &self.original_transaction_id,
            &self.transaction_request_id,
            &self.reference_transaction_id,
            &self.acquirer_reference_no,
            &self.order_id,
        ]
    }
}
