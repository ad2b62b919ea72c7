//! The command line: [`args`] defines the flags, [`config`] validates them into typed
//! configuration, and each subcommand has its own file. Exit codes, logging and broken
//! pipes are decided here, once.

pub mod args;
pub mod columns;
pub mod config;
pub mod db;
pub mod export;
pub mod fetch;
pub mod import;
pub mod merge;
pub mod receipt;
pub mod receipts;
pub mod run;
pub mod sample;
pub mod serve;
pub mod verify;

use std::io::IsTerminal;

use clap::Parser;

use crate::error::{Error, ExitCode};
use args::{Cli, Command};

/// What a finished subcommand reports: a one-line summary and how many things it skipped.
#[derive(Debug, Default)]
pub struct Outcome {
    pub summary: String,
    /// Records, orders or receipts skipped or failed; non-zero makes the exit code 1.
    pub skipped: u64,
}

/// Writes a command's JSON summary to `target`: a file, replaced atomically, or standard
/// output for `-`.
pub fn write_summary(target: &str, summary: &impl serde::Serialize) -> crate::error::Result<()> {
    let mut json = serde_json::to_vec_pretty(summary).map_err(|e| Error::output(target, e))?;
    json.push(b'\n');
    match crate::output::Target::parse(target) {
        crate::output::Target::File(path) => crate::output::write_atomically(&path, &json),
        _ => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&json)
                .map_err(|e| Error::output_io("<stdout>", e))
        }
    }
}

/// Parses the command line, runs one subcommand, and returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitCode::Usage as u8
            } else {
                0
            };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    init_logging(&cli);
    let result = match &cli.command {
        Command::Export(a) => export::run(a, cli.quiet),
        Command::Columns(a) => columns::run(a),
        Command::Receipt(a) => receipt::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Receipts(a) => receipts::run(a, cli.quiet),
        Command::Serve(a) => serve::run(a),
        Command::Run(a) => run::run(a, cli.quiet),
        Command::Fetch(a) => fetch::run(a, cli.quiet),
        Command::Merge(a) => merge::run(a),
        Command::Import(a) => import::run(a, cli.quiet),
        Command::Db(a) => db::run(a),
        Command::Sample(a) => sample::run(a),
    };
    let code = match result {
        Ok(outcome) => {
            // With something skipped the summary (and its count) is a warning, so that it
            // shows even when logging is quiet.
            if !outcome.summary.is_empty() {
                if outcome.skipped > 0 {
                    tracing::warn!("{}", outcome.summary);
                } else {
                    tracing::info!("{}", outcome.summary);
                }
            }
            if outcome.skipped > 0 {
                ExitCode::Partial
            } else {
                ExitCode::Ok
            }
        }
        Err(Error::BrokenPipe) => ExitCode::Ok,
        Err(e) => {
            if cli.log_format == "json" {
                match e.code() {
                    Some(code) => tracing::error!(code, "{e}"),
                    None => tracing::error!("{e}"),
                }
            } else {
                eprintln!("recibo: error: {e}");
            }
            e.exit_code()
        }
    };
    std::process::ExitCode::from(code as u8)
}

/// Logs go to stderr. The default level is `info` on a terminal and `warn` otherwise, so a
/// cron job stays quiet unless something needs a look; `RUST_LOG` overrides both.
fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    // A server's request log is its record of what it did: on by default.
    let serving = matches!(cli.command, Command::Serve(_));
    let default = if cli.quiet {
        "error"
    } else if serving || std::io::stderr().is_terminal() {
        "info"
    } else {
        "warn"
    };
    // The certificate verifier logs a refused certificate itself; recibo's error names the
    // store and says the same, once.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default},rustls_platform_verifier=off")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    if cli.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.without_time().with_level(true).try_init();
    }
}

/// A progress line on stderr, shown only on a terminal.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A spinner counting rows with a rate.
    pub fn rows(quiet: bool, what: &str) -> Progress {
        Progress::new(quiet, None, what)
    }

    /// A bar of `len` items with a rate and ETA.
    pub fn items(quiet: bool, len: u64, what: &str) -> Progress {
        Progress::new(quiet, Some(len), what)
    }

    fn new(quiet: bool, len: Option<u64>, what: &str) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = match len {
            Some(n) => indicatif::ProgressBar::new(n).with_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} rows {per_sec}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(what.to_string());
        Progress { bar: Some(bar) }
    }

    /// Counts one item; redraws are rate-limited by indicatif.
    pub fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
