//! The types each pipeline stage hands to the next: transactions, their fields, money, time.

pub mod field;
pub mod money;
pub mod time;
pub mod transaction;

pub use field::{Field, FieldSet};
pub use money::{Currency, Money, MoneyError};
pub use transaction::{Transaction, TxStatus, TxType};
