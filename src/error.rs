//! One error type for the whole run, and the exit code each kind of failure maps to.
//!
//! Every message names where the problem is: the file, the row (data rows counted from 1,
//! with the physical line), and the field by its column key.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The process exit codes, documented in `--help` and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Everything was done.
    Ok = 0,
    /// Done, but some records, orders or receipts were skipped or failed (each reported).
    Partial = 1,
    /// Bad usage, a bad job file, or a bad input record when not skipping bad rows.
    Usage = 2,
    /// A source could not be read or reached.
    Source = 3,
    /// An output could not be produced or written.
    Output = 4,
    /// The system refused what recibo needs to run: a port, threads, signal handlers.
    System = 5,
}

/// Where in the input a record came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The input's name as the user gave it (`-` is standard input).
    pub input: String,
    /// Data row, counted from 1 after the header (or record number for JSONL / API).
    pub row: u64,
    /// Physical line in a text file, where known (rows may span lines).
    pub line: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: row {}", self.input, self.row)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags, column sets, job files: what the user asked for does not make sense.
    #[error("{0}")]
    Usage(String),
    /// A setting's value refused ([`crate::request::SettingError`]), named as the front end
    /// that took it names it (`--tz`, a job file's key, a query parameter).
    #[error("{name}: {message}")]
    Setting {
        name: String,
        code: &'static str,
        message: String,
    },
    /// One bad record: the run may skip it with `--skip-bad`.
    #[error("{location}{}: {message}", field.map(|f| format!(", field {f}")).unwrap_or_default())]
    Record {
        location: Location,
        field: Option<&'static str>,
        message: String,
    },
    /// A whole input is unusable: missing, unreadable, missing a required column.
    #[error("{input}: {message}")]
    Source { input: String, message: String },
    /// An output could not be created or written.
    #[error("{target}: {message}")]
    Output { target: String, message: String },
    /// A request that was understood but cannot be granted: a receipt for a refund that
    /// did not succeed, or for a transaction that is not a refund.
    #[error("{0}")]
    Refused(String),
    /// The system refused a resource recibo needs (a port to listen on, threads, signal
    /// handlers), or a resource built into recibo failed to load.
    #[error("{0}")]
    System(String),
    /// Standard output was closed by the reader (`recibo export -o - | head`): not a failure.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// A refused setting, named `name` by the front end.
    pub fn setting(name: impl fmt::Display, e: crate::request::SettingError) -> Error {
        Error::Setting {
            name: name.to_string(),
            code: e.code(),
            message: e.message,
        }
    }

    /// The stable code of a refused setting, for logs and HTTP bodies.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::Setting { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn source(input: impl fmt::Display, message: impl fmt::Display) -> Error {
        Error::Source {
            input: input.to_string(),
            message: message.to_string(),
        }
    }

    /// An I/O failure while writing `target`; a closed stdout becomes [`Error::BrokenPipe`].
    pub fn output(target: impl fmt::Display, err: impl fmt::Display) -> Error {
        Error::Output {
            target: target.to_string(),
            message: err.to_string(),
        }
    }

    pub fn output_io(target: impl fmt::Display, err: std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::output(target, err)
        }
    }

    /// True when the run can go on past this error by skipping one record.
    pub fn is_record(&self) -> bool {
        matches!(self, Error::Record { .. })
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Setting { .. } | Error::Record { .. } => ExitCode::Usage,
            Error::Source { .. } => ExitCode::Source,
            Error::Output { .. } => ExitCode::Output,
            Error::System(_) => ExitCode::System,
            Error::Refused(_) => ExitCode::Partial,
            Error::BrokenPipe => ExitCode::Ok,
        }
    }
}
