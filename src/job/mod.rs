//! Job files: what an unattended run reads, keeps and writes, in TOML.
//!
//! A job names a source, a filter, a window and its outputs. It is validated as a whole
//! before anything runs, with errors that name the key. Filters and tables go through the
//! same validation as the command line's flags.

pub mod window;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::cli::args::{FilterArgs, InputArgs, TableArgs};
use crate::error::{Error, Result};
use crate::filter::Shard;
use crate::model::time::{parse_bound, parse_zone};
use window::{Window, WindowSpec};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    name: Option<String>,
    /// IANA zone of the window and of times in outputs.
    zone: Option<String>,
    window: WindowFile,
    source: SourceFile,
    #[serde(default)]
    filter: FilterFile,
    #[serde(default)]
    export: Vec<ExportFile>,
    #[serde(default)]
    receipts: Vec<ReceiptsFile>,
}

/// `window = "yesterday"` or `window = { from = "...", to = "..." }`.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum WindowFile {
    Named(String),
    Explicit(toml::Table),
}

#[derive(Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    #[serde(default)]
    inputs: Vec<String>,
    sheet: Option<String>,
    #[serde(default)]
    skip_bad: bool,
    #[serde(default)]
    gateway: bool,
    orders: Option<String>,
    orders_from: Option<String>,
    gateway_config: Option<String>,
    concurrency: Option<usize>,
}

#[derive(Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilterFile {
    #[serde(default)]
    currency: Vec<String>,
    #[serde(default, rename = "type")]
    types: Vec<String>,
    #[serde(default)]
    method: Vec<String>,
    #[serde(default)]
    acquirer: Vec<String>,
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    id: Vec<String>,
    related: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFile {
    path: String,
    columns: Option<String>,
    format: Option<String>,
    header_lang: Option<String>,
    #[serde(default)]
    bom: bool,
    delimiter: Option<String>,
    #[serde(default)]
    decimal_comma: bool,
    #[serde(default)]
    end_marker: bool,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptsFile {
    langs: Vec<String>,
    out: Option<String>,
    zip: Option<String>,
    merge: Option<String>,
    #[serde(default)]
    pdfa: bool,
}

/// A validated job.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub zone: Tz,
    pub window: WindowSpec,
    /// The source as flags: files, or the gateway with its orders.
    pub input: InputArgs,
    /// The job's filter as flags; the window and shard are added per run.
    pub filter: FilterArgs,
    pub exports: Vec<ExportJob>,
    pub receipts: Vec<ReceiptsJob>,
}

#[derive(Debug, Clone)]
pub struct ExportJob {
    pub path: String,
    pub format: Option<String>,
    pub table: TableArgs,
}

#[derive(Debug, Clone)]
pub struct ReceiptsJob {
    pub langs: String,
    pub out: Option<String>,
    pub zip: Option<String>,
    pub merge: Option<String>,
    pub pdfa: bool,
}

impl Job {
    /// Reads and validates a job file. Relative paths in it are relative to the file's
    /// folder, so a job runs the same from cron as from its own directory.
    pub fn load(path: &Path) -> Result<Job> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("job file {}: {e}", path.display())))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Job::parse(&text, &path.display().to_string(), &base)
    }

    pub fn parse(text: &str, name: &str, base: &Path) -> Result<Job> {
        let bad = |msg: String| Error::usage(format!("job file {name}: {msg}"));
        let file: JobFile =
            toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().replace('\n', " ")))?;
        let zone_name = file.zone.unwrap_or_else(|| "UTC".into());
        let zone = parse_zone(&zone_name).map_err(|e| bad(format!("key `zone`: {e}")))?;
        let window = match file.window {
            WindowFile::Named(n) => WindowSpec::parse(&n).ok_or_else(|| {
                bad(format!("key `window`: {n:?} is not yesterday, last-7-days, last-month or {{ from, to }}"))
            })?,
            WindowFile::Explicit(table) => {
                if let Some(unknown) = table.keys().find(|k| *k != "from" && *k != "to") {
                    return Err(bad(format!("key `window.{unknown}` is not known: a window table has `from` and `to`")));
                }
                let bound = |key: &str| -> Result<_> {
                    let text = table
                        .get(key)
                        .and_then(|v| v.as_str())
                        .ok_or_else(|| bad(format!("key `window.{key}`: give a date or time as a string")))?;
                    parse_bound(text, zone).map_err(|e| bad(format!("key `window.{key}`: {e}")))
                };
                let (from, to) = (bound("from")?, bound("to")?);
                if from >= to {
                    return Err(bad("key `window`: from must be before to".into()));
                }
                WindowSpec::Explicit { from, to }
            }
        };
        let resolve = |p: &str| -> String {
            if p == "-" || Path::new(p).is_absolute() {
                p.to_string()
            } else {
                base.join(p).display().to_string()
            }
        };
        let source = file.source;
        if source.inputs.is_empty() && !source.gateway {
            return Err(bad(
                "key `source`: give `inputs = [...]` or `gateway = true`".into(),
            ));
        }
        let input = InputArgs {
            inputs: source.inputs.iter().map(|p| resolve(p)).collect(),
            input_format: None,
            sheet: source.sheet,
            skip_bad: source.skip_bad,
            gateway: source.gateway,
            orders: source.orders.as_deref().map(resolve),
            orders_from: source.orders_from.as_deref().map(resolve),
            gateway_config: source
                .gateway_config
                .as_deref()
                .map(|p| PathBuf::from(resolve(p))),
            concurrency: source.concurrency.unwrap_or(8),
        };
        let filter = FilterArgs {
            tz: zone_name.clone(),
            currency: file.filter.currency,
            types: file.filter.types,
            method: file.filter.method,
            acquirer: file.filter.acquirer,
            status: file.filter.status,
            id: file.filter.id,
            related: file.filter.related,
            ..FilterArgs::default()
        };
        filter
            .validate()
            .map_err(|e| bad(format!("table `filter`: {e}")))?;
        if file.export.is_empty() && file.receipts.is_empty() {
            return Err(bad(
                "no outputs: add an [[export]] and/or a [[receipts]] table".into(),
            ));
        }
        let exports = file
            .export
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let table = TableArgs {
                    columns: e.columns.unwrap_or_else(|| "default".into()),
                    templates: None,
                    header_lang: e.header_lang,
                    bom: e.bom,
                    delimiter: e.delimiter,
                    decimal_comma: e.decimal_comma,
                    end_marker: e.end_marker,
                };
                table
                    .validate(zone)
                    .map_err(|err| bad(format!("export #{}: {err}", i + 1)))?;
                if let Some(f) = &e.format
                    && crate::sink::Format::parse(f).is_none()
                {
                    return Err(bad(format!(
                        "export #{} key `format`: {f:?} is not csv, xlsx or jsonl",
                        i + 1
                    )));
                }
                Ok(ExportJob {
                    path: resolve(&e.path),
                    format: e.format,
                    table,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let receipts = file
            .receipts
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let langs = r.langs.join(",");
                crate::locale::Lang::parse_list(&langs)
                    .map_err(|err| bad(format!("receipts #{} key `langs`: {err}", i + 1)))?;
                if r.out.is_none() && r.zip.is_none() && r.merge.is_none() {
                    return Err(bad(format!(
                        "receipts #{}: give `out`, `zip` and/or `merge`",
                        i + 1
                    )));
                }
                Ok(ReceiptsJob {
                    langs,
                    out: r.out.as_deref().map(resolve),
                    zip: r.zip.as_deref().map(resolve),
                    merge: r.merge.as_deref().map(resolve),
                    pdfa: r.pdfa,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Job {
            name: file.name.unwrap_or_else(|| {
                Path::new(name)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "job".into())
            }),
            zone,
            window,
            input,
            filter,
            exports,
            receipts,
        })
    }

    /// The window for a run whose reference day is `day`.
    pub fn window_for(&self, day: NaiveDate) -> Window {
        window::resolve(&self.window, day, self.zone)
    }
}

/// Fills an output path template: `{date}` (first day, YYYY-MM-DD), `{from}`, `{to}`
/// (first and last day), `{month}` (YYYY-MM of the first day), `{job}` and `{shard}`
/// (`3-of-8`, or `all` when not sharded).
pub fn expand_path(template: &str, job: &str, window: &Window, shard: Option<Shard>) -> PathBuf {
    let shard = shard.map_or_else(
        || "all".to_string(),
        |s| format!("{}-of-{}", s.index, s.count),
    );
    PathBuf::from(
        template
            .replace("{date}", &window.first_day.format("%Y-%m-%d").to_string())
            .replace("{from}", &window.first_day.format("%Y-%m-%d").to_string())
            .replace("{to}", &window.last_day.format("%Y-%m-%d").to_string())
            .replace("{month}", &window.first_day.format("%Y-%m").to_string())
            .replace("{job}", job)
            .replace("{shard}", &shard),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIGHTLY: &str = r#"
name = "nightly"
zone = "Asia/Shanghai"
window = "yesterday"
[source]
inputs = ["../samples/transactions.csv"]
[filter]
currency = ["BRL", "CNY"]
[[export]]
path = "out/{date}/transactions-{shard}.csv"
columns = "accounting"
[[receipts]]
langs = ["en", "pt-BR"]
zip = "out/{date}/receipts-{shard}.zip"
"#;

    #[test]
    fn a_valid_job_parses() {
        let job = Job::parse(NIGHTLY, "nightly.toml", Path::new("/etc/recibo")).unwrap();
        assert_eq!(job.name, "nightly");
        assert_eq!(
            job.input.inputs,
            ["/etc/recibo/../samples/transactions.csv"]
        );
        let w = job.window_for(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        let path = expand_path(
            &job.exports[0].path,
            &job.name,
            &w,
            Some(Shard { index: 3, count: 8 }),
        );
        assert_eq!(
            path,
            PathBuf::from("/etc/recibo/out/2026-11-20/transactions-3-of-8.csv")
        );
    }

    #[test]
    fn errors_name_the_key() {
        let err = |text: &str| {
            Job::parse(text, "j.toml", Path::new("."))
                .unwrap_err()
                .to_string()
        };
        assert!(err(&NIGHTLY.replace("Asia/Shanghai", "Mars/Olympus")).contains("key `zone`"));
        assert!(err(&NIGHTLY.replace("\"yesterday\"", "\"fortnight\"")).contains("key `window`"));
        assert!(
            err(&NIGHTLY.replace("columns = \"accounting\"", "columns = \"acounting\""))
                .contains("export #1")
        );
        assert!(err(&NIGHTLY.replace("\"pt-BR\"]", "\"fr\"]")).contains("key `langs`"));
        let unknown = err(&NIGHTLY.replace("[filter]", "[filter]\ncolour = 1"));
        assert!(unknown.contains("colour"), "{unknown}");
        assert!(err(&NIGHTLY.replace("BRL", "XYZ")).contains("table `filter`"));
    }
}
