//! XLSX exports (in progress).

use super::{ExportOptions, Sink};
use crate::error::{Error, Result};
use crate::model::Transaction;
use crate::output::Target;

pub struct XlsxSink;

impl XlsxSink {
    pub fn open(target: &Target, _options: &ExportOptions) -> Result<XlsxSink> {
        Err(Error::output(target, "XLSX output is not supported yet"))
    }
}

impl Sink for XlsxSink {
    fn write(&mut self, _tx: &Transaction) -> Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        Ok(0)
    }
}
