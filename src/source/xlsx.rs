//! XLSX reports (in progress).

use super::{RecordReader, SourceOptions};
use crate::error::{Error, Result};
use crate::model::Transaction;

pub struct XlsxReader;

impl XlsxReader {
    pub fn open(name: &str, _options: &SourceOptions) -> Result<XlsxReader> {
        Err(Error::source(name, "XLSX input is not supported yet"))
    }
}

impl RecordReader for XlsxReader {
    fn read_into(&mut self, _tx: &mut Transaction) -> Result<bool> {
        Ok(false)
    }
}
