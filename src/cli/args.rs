//! The raw command line: flag definitions only. Nothing here is validated beyond what clap
//! does; [`super::config`] turns these into the typed configuration the pipeline reads.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  everything was done
  1  done, but some records, orders or receipts were skipped or failed (each reported on stderr)
  2  bad usage, a bad job file, or a bad input record (without --skip-bad)
  3  a source could not be read or reached
  4  an output could not be produced or written
  5  the system refused what recibo needs: a port, threads, signal handlers
A closed standard output (e.g. `recibo export -o - | head`) is not an error.";

#[derive(Debug, Parser)]
#[command(
    name = "recibo",
    version,
    about = "Transaction detail reports (CSV, XLSX) and localized refund receipts (PDF) for payment operations",
    long_about = "recibo reads transactions from gateway report files (CSV, XLSX), JSON Lines or the gateway's \
HTTP API, filters them the way a gateway dashboard does, and writes detail reports with the columns you \
choose or renders refund receipts in English, Simplified Chinese and Brazilian Portuguese.\n\n\
Every command that reads transactions takes them from files (-i FILE), from the gateway \
(--gateway --orders FILE), or from a transaction store (--db sqlite:PATH or \
postgres://USER@HOST:PORT/DB, or RECIBO_DB), which `recibo import` and `recibo fetch --db` fill \
and which keeps one row per transaction, its filters answered by the database.\n\n\
Money is exact (integer minor units with the ISO 4217 exponent); times are stored in UTC and shown in \
the IANA zone given by --tz. Outputs appear whole or not at all.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr: text, or json for log collectors. RUST_LOG sets the level.
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Only errors on stderr (no progress, no summary line).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a transaction detail report (CSV, XLSX or JSONL) with the columns you choose.
    #[command(after_help = concat!("Examples:
  recibo export -i samples/transactions.csv --columns accounting --format xlsx -o out.xlsx
  recibo export -i a.csv -i b.xlsx --from 2026-10-01 --to 2026-11-01 --tz Asia/Shanghai \\
      --type REFUND --status SUCCESS --currency BRL,CNY -o refunds.csv
  recibo export -i a.csv --id 2026110100001 --columns transactionId,transactionAmountValue -o -

", "Exit codes: 0 done, 1 some rows skipped (--skip-bad), 2 bad usage or bad row, 3 input unreadable, 4 output unwritable."))]
    Export(ExportArgs),

    /// Render one refund receipt (PDF), finding the refund by any of its IDs.
    #[command(after_help = "Examples:
  recibo receipt 2026110100042 -i samples/transactions.csv --lang zh-CN -o receipt.pdf
  recibo receipt 2026110100042 -i samples/transactions.csv --lang pt-BR --tz America/Sao_Paulo -o - > r.pdf

Only a successful refund (type REFUND, status SUCCESS) gets a receipt; for anything else the
command prints the transaction's actual type and status and exits with 1.
Exit codes: 0 written, 1 not a successful refund, 2 bad usage or no transaction with that ID,
3 input unreadable, 4 output unwritable.")]
    Receipt(ReceiptArgs),

    /// Check receipts: render each again from the data and compare the bytes, and check
    /// their signatures.
    #[command(after_help = "Examples:
  recibo verify branded.pdf -i samples/transactions.csv --template loja-verde
  recibo verify receipts/ october.zip merged.pdf --db sqlite:store.db
  recibo verify signed.pdf -i samples/transactions.csv --signer signer.pem

Each receipt records what it was rendered from (refund, language, zone, generation time,
template, recibo version) in its metadata; a merged document records it for every page.
Each file is reported as authentic, altered, unknown refund, not a receipt, not trusted (a
signer --signer does not name, or a certificate not valid then), missing or not as its
manifest says (a bulk run's folder or archive checked against its manifest.csv), or cannot
check (another recibo version, a template not given with --template). A signed receipt must
be the receipt plus recibo's signature for it, and its signature must verify. A template's
QR code needs RECIBO_RECEIPT_KEY as when rendered.
Exit codes: 0 every file authentic, 1 any other answer, 2 bad usage, 3 input unreadable.")]
    Verify(VerifyArgs),

    /// Render receipts for every successful refund the filters select, in parallel.
    #[command(after_help = "Examples:
  recibo receipts -i samples/transactions.csv --from 2026-10-01 --to 2026-11-01 --acquirer Antom \\
      --lang en,zh-CN,pt-BR --tz America/Sao_Paulo --out receipts/
  recibo receipts -i big.csv --lang pt-BR --zip october.zip
  recibo receipts -i big.csv --lang en --merge october.pdf

Files are named <refundId>_<lang>.pdf. A manifest.csv (refund, language, file, bytes, SHA-256,
status, reason) lists every selected refund, including those without a receipt and why. A rerun
leaves identical receipts untouched (--force rewrites them).
Exit codes: 0 done, 1 some receipts failed or bad rows were skipped, 2 bad usage or bad row,
3 input unreadable, 4 output unwritable.")]
    Receipts(ReceiptsArgs),

    /// Run a job file unattended (cron, Kubernetes): export and/or receipts for one window.
    #[command(after_help = concat!("Examples:
  recibo run samples/jobs/nightly.toml                     # yesterday in the job's zone
  recibo run samples/jobs/nightly.toml --date 2026-11-20   # re-run one day
  recibo run jobs/monthly.toml --shard 3/8                 # one of 8 parallel workers
  crontab: 15 2 * * *  recibo run /etc/recibo/nightly.toml --summary /var/log/recibo/last.json

Every output is written atomically: a rerun of the same job and window replaces outputs whole
and leaves identical receipts untouched; a killed run leaves no half-written file.

", "Exit codes:
  0  everything was done
  1  done, but some records, orders or receipts were skipped or failed (see the summary)
  2  bad usage or job file (or a bad input record without skip_bad)
  3  a source could not be read or reached
  4  an output could not be produced or written
  5  the system refused what recibo needs: a port, threads, signal handlers"))]
    Run(RunArgs),

    /// Join the outputs of sharded runs: CSV parts (one header), XLSX parts, manifests, summaries.
    #[command(after_help = "Examples:
  recibo merge out/parts/ -o out/october.csv
  recibo merge part-1-of-3.csv part-2-of-3.csv part-3-of-3.csv -o all.csv
  recibo merge out/summaries/ -o summary.json
  recibo merge out/xlsx-parts/ -o october.xlsx --tz Asia/Shanghai")]
    Merge(MergeArgs),

    /// Pull orders and their refunds from the gateway's API and keep them as a file or in a store.
    #[command(after_help = "Examples:
  export RECIBO_GATEWAY_URL=https://gateway.example RECIBO_PARTNER_CODE=... RECIBO_API_KEY=... RECIBO_SECRET_KEY=...
  recibo fetch --orders orders.txt -o refunds.jsonl
  recibo fetch --orders-from samples/transactions.csv --type REFUND -o refunds.jsonl
  recibo fetch --orders orders.txt --db sqlite:recibo.db

JSONL keeps every field exactly and is read back by every command (-i refunds.jsonl).
With --db the transactions are upserted into a store instead: a refund fetched again after
it went from PROCESSING to SUCCESS is updated, and the store keeps one row per transaction.
Exit codes: 0 all orders fetched, 1 some orders failed (each reported), 2 bad usage,
3 the gateway could not be reached, 4 output or store unwritable.")]
    Fetch(FetchArgs),

    /// Load report files into a transaction store: an upsert by transaction ID, in batches.
    #[command(after_help = "Examples:
  recibo db init --db sqlite:recibo.db
  recibo import -i samples/transactions.csv -i october.xlsx --db sqlite:recibo.db
  RECIBO_DB=sqlite:recibo.db recibo import -i refunds.jsonl --skip-bad
  recibo export --db sqlite:recibo.db --type REFUND --from 2026-10-01 -o refunds.csv

A rerun changes nothing; a later report where a transaction changed (a refund gone from
PROCESSING to SUCCESS) updates it. Each batch is one database transaction: an import that
stops leaves the store as it was after the last whole batch, and a rerun completes it.
Exit codes: 0 done, 1 bad rows skipped (--skip-bad), 2 bad usage or bad row, 3 input or store
unreadable, 4 the store could not be written.")]
    Import(ImportArgs),

    /// Create, migrate or inspect a transaction store.
    #[command(subcommand)]
    Db(DbCommand),

    /// Serve receipts and exports over HTTP, with a web page for support and finance teams.
    Serve(super::serve::ServeArgs),

    /// List every column key with its type and headers, and the named column sets.
    Columns(ColumnsArgs),

    /// Write deterministic synthetic transactions (payments, refunds, captures, failures).
    #[command(after_help = "Examples:
  recibo sample --rows 100000 --seed 7 -o samples/big.csv
  recibo sample --rows 1000 --format xlsx -o small.xlsx")]
    Sample(SampleArgs),
}

/// Where transactions come from.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Input file: .csv, .xlsx or .jsonl (the format follows the extension); `-` reads CSV
    /// from standard input. Repeat to concatenate several inputs.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub inputs: Vec<String>,

    /// Read a transaction store instead of files: sqlite:PATH or
    /// postgres://USER@HOST:PORT/DB. Without -i, --db or --gateway, RECIBO_DB names it.
    /// Filters become the query's WHERE; rows come in payment time, then ID order.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,

    /// With --db: read the database's own tables through the SELECT (or view) in this
    /// file, whose column names are the field keys (`recibo columns`); every row is checked
    /// as a CSV row is. The query runs read-only.
    #[arg(long, value_name = "FILE.sql")]
    pub db_query: Option<String>,

    /// Format of every input, overriding the extension (csv, xlsx, jsonl).
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,

    /// XLSX sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// Skip bad rows instead of stopping: each is reported on stderr, a count at the end,
    /// and the exit code is 1.
    #[arg(long)]
    pub skip_bad: bool,

    /// Read from the gateway's API (for `serve`: as well as files). Credentials come from
    /// RECIBO_GATEWAY_URL, RECIBO_PARTNER_CODE, RECIBO_API_KEY and RECIBO_SECRET_KEY, or
    /// from --gateway-config (the environment wins).
    #[arg(long)]
    pub gateway: bool,

    /// With --gateway: a file of order IDs, one per line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub orders: Option<String>,

    /// With --gateway: look up the distinct order IDs of this report file (after the
    /// filters).
    #[arg(long, value_name = "REPORT")]
    pub orders_from: Option<String>,

    /// Gateway settings in TOML (url, partner_code, api_key, secret_key, language).
    #[arg(long, value_name = "FILE", env = "RECIBO_GATEWAY_CONFIG")]
    pub gateway_config: Option<PathBuf>,

    /// With --gateway: orders fetched at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,

    /// Longest record read: a CSV record, a JSONL line, an XLSX shared string (whose
    /// whole table may take 1024 times this). Bytes, or with K, M or G.
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = crate::request::parse_byte_size)]
    pub max_record_size: usize,
}

/// Which transactions are kept. Lists are comma-separated and match any of their values.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Created at or after this time: a date (midnight in --tz) or an ISO 8601 time.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Created before this time (exclusive): a date (midnight in --tz) or an ISO 8601 time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// IANA time zone for bare dates in --from/--to, times in outputs and spreadsheet
    /// date cells read without an offset (e.g. Asia/Shanghai, America/Sao_Paulo).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    /// Transaction currencies (ISO 4217), e.g. BRL,CNY.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub currency: Vec<String>,

    /// Transaction types, e.g. PAYMENT,REFUND,CAPTURE.
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,

    /// Payment method types, e.g. CARD,PIX,ALIPAY_CN.
    #[arg(long, value_name = "METHODS", value_delimiter = ',')]
    pub method: Vec<String>,

    /// Acquirers, e.g. Antom,Adyen.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub acquirer: Vec<String>,

    /// Statuses, e.g. SUCCESS,PROCESSING.
    #[arg(long, value_name = "STATUSES", value_delimiter = ',')]
    pub status: Vec<String>,

    /// Any of a transaction's IDs: transaction, original transaction, request, merchant
    /// order (reference), acquirer and gateway order ID.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub id: Vec<String>,

    /// A payment ID: keep the payment and every transaction that refers to it.
    #[arg(long, value_name = "PAYMENT_ID")]
    pub related: Option<String>,

    /// Keep only shard K of N (e.g. 3/8): a stable partition by payment, so N workers
    /// together cover everything exactly once.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    #[command(flatten, next_help_heading = "Filters")]
    pub filter: FilterArgs,

    #[command(flatten, next_help_heading = "Columns and layout")]
    pub table: TableArgs,

    /// Output file, or `-` for standard output (CSV and JSONL only).
    #[arg(short = 'o', long, value_name = "FILE", default_value = "-")]
    pub output: String,

    /// Output format: csv, xlsx or jsonl (default: from the output's extension, else csv).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// How a table is laid out: columns, headers, CSV details.
#[derive(Debug, Args, Clone, Default)]
pub struct TableArgs {
    /// A column set (default, accounting, reference, or one in --templates), a path to a
    /// .toml set, `all`, or a comma-separated list of column keys.
    #[arg(long, value_name = "SET|KEYS", default_value = "default")]
    pub columns: String,

    /// Folder of extra column sets (NAME.toml).
    #[arg(long, value_name = "DIR", env = "RECIBO_TEMPLATES")]
    pub templates: Option<PathBuf>,

    /// Header language: key (the column keys, re-importable), en, zh-CN or pt-BR.
    #[arg(long, value_name = "LANG")]
    pub header_lang: Option<String>,

    /// CSV: start with a UTF-8 byte order mark, so Excel shows accents and Chinese right.
    #[arg(long)]
    pub bom: bool,

    /// CSV field separator (one character; default `,`, or `;` with --decimal-comma).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// CSV: write amounts with a decimal comma, for Brazilian spreadsheets (implies `;`).
    #[arg(long)]
    pub decimal_comma: bool,

    /// CSV: end with the gateway's `<END>` line.
    #[arg(long)]
    pub end_marker: bool,
}

/// A store named by `--db` or `RECIBO_DB`.
#[derive(Debug, Args, Clone, Default)]
pub struct DbArgs {
    /// The store: sqlite:PATH (one file, no server) or postgres://USER@HOST:PORT/DB.
    /// Default: RECIBO_DB. A password in it is never printed.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Input file: .csv, .xlsx or .jsonl (the format follows the extension); `-` reads CSV
    /// from standard input. Repeat to load several, in order (a later one wins).
    #[arg(short = 'i', long = "input", value_name = "FILE", required = true)]
    pub inputs: Vec<String>,

    #[command(flatten)]
    pub db: DbArgs,

    /// Format of every input, overriding the extension (csv, xlsx, jsonl).
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,

    /// XLSX sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// IANA time zone of spreadsheet date cells that carry no offset.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    /// Skip bad rows instead of stopping: each is reported on stderr, a count at the end,
    /// and the exit code is 1.
    #[arg(long)]
    pub skip_bad: bool,

    /// Rows per database transaction.
    #[arg(long, value_name = "N", default_value_t = crate::store::DEFAULT_BATCH_ROWS)]
    pub batch_rows: usize,

    /// Longest record read (bytes, or with K, M or G), as for export.
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = crate::request::parse_byte_size)]
    pub max_record_size: usize,

    /// Write a JSON summary here (`-` for standard output): rows read, skipped, added,
    /// updated, and the store's row count.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the store's tables, or migrate them to this recibo's schema. A store written
    /// by a newer recibo is refused and left untouched.
    #[command(after_help = "Examples:
  recibo db init --db sqlite:recibo.db
  RECIBO_DB=sqlite:/var/lib/recibo/store.db recibo db init")]
    Init(DbArgs),

    /// Show a store's schema version, row counts and the time its payments span.
    Status(DbStatusArgs),

    /// Show the SQL a read with these filters runs, its parameters, and the database's
    /// plan for it (which index it uses).
    #[command(after_help = "Examples:
  recibo db explain --db sqlite:recibo.db --from 2026-10-15 --to 2026-10-16
  recibo db explain --db sqlite:recibo.db --id 2026110100042")]
    Explain(Box<DbExplainArgs>),
}

#[derive(Debug, Args)]
pub struct DbExplainArgs {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten, next_help_heading = "Filters")]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct DbStatusArgs {
    #[command(flatten)]
    pub db: DbArgs,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ColumnsArgs {
    /// Folder of extra column sets (NAME.toml).
    #[arg(long, value_name = "DIR", env = "RECIBO_TEMPLATES")]
    pub templates: Option<PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of transactions.
    #[arg(long, default_value_t = 1000)]
    pub rows: u64,

    /// Seed: the same seed gives the same file.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Output file, or `-` for standard output.
    #[arg(short = 'o', long, value_name = "FILE", default_value = "-")]
    pub output: String,

    /// Output format: csv, xlsx or jsonl (default: from the extension, else csv).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// Write the gateway's `<END>` line at the end of a CSV, as its own reports do.
    #[arg(long)]
    pub end_marker: bool,
}

/// How receipts are rendered.
#[derive(Debug, Args, Clone, Default)]
pub struct RenderArgs {
    /// The generation time printed on receipts (ISO 8601, or a date in --tz); default now.
    /// Fix it to get byte-identical receipts across runs.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<String>,

    /// Produce PDF/A-2b (archival), validated while writing.
    #[arg(long)]
    pub pdfa: bool,

    /// Receipt template (issuer, logo, address, tax ID, colour, paper, footer): `default`,
    /// a NAME in templates/receipts/, or a FILE.toml. Repeat it for several: one with a
    /// `merchants` list is used for those merchants, the first without one for the rest.
    #[arg(long = "template", value_name = "NAME|FILE")]
    pub templates: Vec<String>,

    /// Put a QR code of this URL on each receipt, `{code}` standing for the receipt's
    /// verification code (e.g. https://receipts.example.com/v/{code}); a template's
    /// `verify_url` wins. The codes are made with the secret in RECIBO_RECEIPT_KEY.
    #[arg(long, value_name = "URL")]
    pub verify_url: Option<String>,

    #[command(flatten)]
    pub sign: SignArgs,
}

/// The key and certificates that sign receipts.
#[derive(Debug, Args, Clone, Default)]
pub struct SignArgs {
    /// Sign every receipt (PAdES B-B, at its generation time) with this private key: PEM
    /// (PKCS#8, RSA or EC; encrypted with its password in RECIBO_SIGN_PASSWORD), or a
    /// PKCS#12 file holding key and certificates (password in RECIBO_SIGN_PASSWORD).
    /// RSA 2048 to 4096 bits, or ECDSA P-256.
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,

    /// The signer's certificate (PEM), needed with a PEM key; certificates after it in the
    /// file go along as its chain.
    #[arg(long, value_name = "FILE", requires = "sign_key")]
    pub sign_cert: Option<PathBuf>,

    /// More certificates (PEM) sent in each signature so readers can build the chain to
    /// their trusted root.
    #[arg(long, value_name = "FILE", requires = "sign_key")]
    pub sign_chain: Option<PathBuf>,
}

impl SignArgs {
    /// The signer the flags name, read and checked now (before any receipt is rendered).
    pub fn signer(&self) -> crate::error::Result<Option<crate::receipt::sign::Signer>> {
        let Some(key) = &self.sign_key else {
            return Ok(None);
        };
        let files = crate::receipt::sign::SignFiles {
            key: key.clone(),
            cert: self.sign_cert.clone(),
            chain: self.sign_chain.clone(),
        };
        crate::receipt::sign::Signer::load(&files)
            .map(Some)
            .map_err(|e| crate::error::Error::usage(e.to_string()))
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Receipt PDFs, merged documents, folders of them (not descending), or ZIP archives of
    /// a bulk run.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    /// The templates the receipts were rendered with, as given to `--template` then.
    #[arg(long = "template", value_name = "NAME|FILE")]
    pub templates: Vec<String>,

    /// The `--verify-url` the receipts were rendered with.
    #[arg(long, value_name = "URL")]
    pub verify_url: Option<String>,

    /// Certificates (PEM) a signed receipt must be signed with: its signer's certificate must
    /// be one of them, else it is `not trusted`. Repeat for several files.
    #[arg(long = "signer", value_name = "CERT.pem")]
    pub signers: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// Any ID of the refund: refund ID, refund request ID, merchant order ID, acquirer ID.
    #[arg(value_name = "REFUND_ID", required_unless_present = "refund_id")]
    pub id: Option<String>,

    /// The refund's ID (same as the positional REFUND_ID).
    #[arg(long = "refund-id", value_name = "REFUND_ID", conflicts_with = "id")]
    pub refund_id: Option<String>,

    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    /// Language: en, zh-CN or pt-BR (also zh, pt, en-US).
    #[arg(long, value_name = "LANG", default_value = "en")]
    pub lang: String,

    /// IANA time zone the receipt's times are shown in (and named).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    #[command(flatten, next_help_heading = "Rendering")]
    pub render: RenderArgs,

    /// Output file, or `-` for standard output (default: <refundId>_<lang>.pdf).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    #[command(flatten, next_help_heading = "Filters")]
    pub filter: FilterArgs,

    /// Languages, comma-separated: en, zh-CN, pt-BR. One receipt per refund per language.
    #[arg(long, value_name = "LANGS", default_value = "en")]
    pub lang: String,

    #[command(flatten, next_help_heading = "Rendering")]
    pub render: RenderArgs,

    /// Folder for one PDF per refund per language.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// One ZIP archive of the receipts (with manifest.csv inside).
    #[arg(long, value_name = "FILE")]
    pub zip: Option<PathBuf>,

    /// One PDF with a page per refund per language.
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,

    /// Most pages of a --merge document, which is assembled in memory (about 65 KB a
    /// page); past this the run stops before rendering. --zip has no such limit.
    #[arg(long, value_name = "N", default_value_t = crate::receipt::bulk::DEFAULT_MAX_MERGED_PAGES)]
    pub max_merged_pages: usize,

    /// Where to write manifest.csv (default: in --out, else beside --merge).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Threads rendering receipts (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Rewrite receipts even when an identical file is already there.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job file (TOML).
    #[arg(value_name = "JOB")]
    pub job: PathBuf,

    /// Run for this day (YYYY-MM-DD) as the job would have the morning after; default:
    /// yesterday in the job's zone.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,

    /// Do shard K of N of the work (e.g. 3/8): a stable partition by payment.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Write a JSON summary here (`-` for standard output): window, rows in and out,
    /// receipts rendered/skipped/failed with reasons, files with bytes and SHA-256.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Part files, or folders whose parts are taken in name order.
    #[arg(value_name = "PART", required = true)]
    pub parts: Vec<PathBuf>,

    /// The merged file (`-` for standard output); its extension says what is merged:
    /// .csv (CSV parts or manifests), .xlsx (XLSX exports) or .json (summaries).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: String,

    /// XLSX parts: the zone their times were written in.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
}

#[derive(Debug, Args)]
#[command(mut_arg("db", |a| a.help(
    "Write into this transaction store instead of a file (sqlite:PATH or \
     postgres://USER@HOST:PORT/DB): an upsert by transaction ID, as `recibo import`, so a \
     nightly fetch accumulates"
)))]
pub struct FetchArgs {
    #[command(flatten, next_help_heading = "Gateway")]
    pub input: InputArgs,

    #[command(flatten, next_help_heading = "Filters")]
    pub filter: FilterArgs,

    #[command(flatten, next_help_heading = "Columns and layout (CSV/XLSX)")]
    pub table: TableArgs,

    /// Output file, or `-` for standard output (the default without --db).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// Output format: jsonl (default), csv or xlsx.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// With --db: rows per database transaction.
    #[arg(long, value_name = "N", default_value_t = crate::store::DEFAULT_BATCH_ROWS)]
    pub batch_rows: usize,

    /// Write a JSON summary here (`-` for standard output): orders asked, found, failed,
    /// refunds pulled (and with --db, rows added and updated).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,
}
