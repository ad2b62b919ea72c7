//! The types each pipeline stage hands to the next: transactions, money, time.

pub mod money;
pub mod time;
pub mod transaction;

pub use money::{Currency, Money, MoneyError};
pub use transaction::{Transaction, TxStatus, TxType};
