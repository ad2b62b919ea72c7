//! JSON Lines exports of the model: every field, exact minor units; what `recibo fetch`
//! saves and every source re-reads.

use std::io::Write;

use super::Sink;
use crate::error::{Error, Result};
use crate::model::Transaction;
use crate::output::{OutputStream, Target};

pub struct JsonlSink {
    stream: OutputStream,
    rows: u64,
}

impl JsonlSink {
    pub fn open(target: &Target) -> Result<JsonlSink> {
        Ok(JsonlSink::new(OutputStream::open(target)?))
    }

    /// A JSONL sink on a stream the caller opened (an HTTP response body).
    pub fn new(stream: OutputStream) -> JsonlSink {
        JsonlSink { stream, rows: 0 }
    }
}

impl Sink for JsonlSink {
    fn write(&mut self, tx: &Transaction) -> Result<()> {
        let fail = |e: std::io::Error, t: &Target| Error::output_io(t, e);
        super::check_time(self.stream.target(), tx, "paymentTime", tx.payment_time)?;
        serde_json::to_writer(&mut self.stream, tx)
            .map_err(|e| fail(e.into(), &self.stream.target().clone()))?;
        self.stream
            .write_all(b"\n")
            .map_err(|e| fail(e, &self.stream.target().clone()))?;
        self.rows += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        self.stream.commit()?;
        Ok(self.rows)
    }
}
