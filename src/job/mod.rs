//! Job files: what an unattended run reads, keeps and writes, in TOML.
//!
//! A job names a source, a filter, a window and its outputs. It is validated as a whole
//! before anything runs, with errors that name the key. Filters and tables go through the
//! same validation as the command line's flags.

pub mod window;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::filter::{Filter, Shard};
use crate::locale::Lang;
use crate::model::time::parse_bound;
use crate::receipt::sign::{SignFiles, Signer};
use crate::receipt::template::{Branding, Template};
use crate::request::{FilterRequest, Langs, SourceRequest, TableRequest, TableSpec, Zone};
use window::{Window, WindowSpec};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    name: Option<String>,
    /// IANA zone of the window and of times in outputs.
    zone: Option<String>,
    window: WindowFile,
    source: SourceFile,
    store: Option<StoreFile>,
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
    /// A store's URL; `${NAME}` takes an environment variable, so no password need sit
    /// in the file. A relative `sqlite:` path is relative to the job file.
    db: Option<String>,
    /// A file holding a query over `db`'s own tables (as `--db-query`).
    query: Option<String>,
    sheet: Option<String>,
    #[serde(default)]
    skip_bad: bool,
    #[serde(default)]
    gateway: bool,
    orders: Option<String>,
    orders_from: Option<String>,
    gateway_config: Option<String>,
    concurrency: Option<usize>,
    /// Longest record read, as `--max-record-size` (bytes, or a string such as "4M").
    max_record_size: Option<toml::Value>,
}

/// `[store] db = "..."`: the source is upserted into this store first, and the outputs
/// read the store.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    db: String,
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
    /// Receipt templates, as `--template` takes them: names, or paths from the job's folder.
    #[serde(default)]
    templates: Vec<String>,
    verify_url: Option<String>,
    /// As `--sign-key`, `--sign-cert` and `--sign-chain`, from the job's folder.
    sign_key: Option<String>,
    sign_cert: Option<String>,
    sign_chain: Option<String>,
}

/// A validated job.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub zone: Tz,
    pub window: WindowSpec,
    /// Files, the gateway with its orders, or a store; read when the job runs.
    pub input: SourceRequest,
    /// A store the input is upserted into before the outputs, which then read the store
    /// (`[store] db`): a job that keeps what every run read.
    pub store: Option<String>,
    /// The job's filter; the window and shard are added per run.
    pub filter: Filter,
    pub exports: Vec<ExportJob>,
    pub receipts: Vec<ReceiptsJob>,
}

#[derive(Debug, Clone)]
pub struct ExportJob {
    pub path: String,
    /// Columns, layout and the format if the job names one.
    pub table: TableSpec,
}

#[derive(Debug, Clone)]
pub struct ReceiptsJob {
    pub langs: Vec<Lang>,
    pub out: Option<String>,
    pub zip: Option<String>,
    pub merge: Option<String>,
    pub pdfa: bool,
    /// Its templates, read and checked when the job is loaded.
    pub branding: Branding,
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
        let zone = zone_name
            .parse::<Zone>()
            .map_err(|e| Error::setting(format!("job file {name}: key `zone`"), e))?
            .0;
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
        if source.inputs.is_empty() && !source.gateway && source.db.is_none() {
            return Err(bad(
                "key `source`: give `inputs = [...]`, `db = \"...\"` or `gateway = true`".into(),
            ));
        }
        // `${NAME}` first, so that a password can stay in the environment; then a relative
        // `sqlite:` path (or `sqlite://` path) is taken from the job file's folder.
        let db_url = |key: &str, text: &str| -> Result<String> {
            let url = expand_env(text).map_err(|m| bad(format!("key `{key}`: {m}")))?;
            Ok(match url.strip_prefix("sqlite:") {
                Some(path) => {
                    let path = path.strip_prefix("//").unwrap_or(path);
                    if path.is_empty() {
                        url
                    } else {
                        format!("sqlite:{}", resolve(path))
                    }
                }
                None => url,
            })
        };
        let db = source
            .db
            .as_deref()
            .map(|text| db_url("source.db", text))
            .transpose()?;
        let store = file
            .store
            .as_ref()
            .map(|s| db_url("store.db", &s.db))
            .transpose()?;
        if store.is_some() && db.is_some() {
            return Err(bad(
                "key `store.db`: the source is a store already (`source.db`); a [store] table \
                 keeps files or the gateway's answers"
                    .into(),
            ));
        }
        if source.query.is_some() && db.is_none() {
            return Err(bad(
                "key `source.query`: a query reads the database `source.db` names; give it too"
                    .into(),
            ));
        }
        let input = SourceRequest {
            inputs: source.inputs.iter().map(|p| resolve(p)).collect(),
            db,
            db_query: source.query.as_deref().map(resolve),
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
            max_record_bytes: match &source.max_record_size {
                None => crate::source::DEFAULT_MAX_RECORD_BYTES,
                Some(toml::Value::Integer(n)) if *n > 0 => {
                    usize::try_from(*n).unwrap_or(usize::MAX)
                }
                Some(toml::Value::String(text)) => crate::request::parse_byte_size(text)
                    .map_err(|m| bad(format!("key `source.max_record_size`: {m}")))?,
                Some(other) => {
                    return Err(bad(format!(
                        "key `source.max_record_size`: {other} is not a size (e.g. 1048576 or \"4M\")"
                    )));
                }
            },
        };
        let filter = FilterRequest {
            tz: Some(zone_name.clone()),
            currency: file.filter.currency,
            r#type: file.filter.types,
            method: file.filter.method,
            acquirer: file.filter.acquirer,
            status: file.filter.status,
            id: file.filter.id,
            related: file.filter.related,
            ..FilterRequest::default()
        }
        .validate()
        .map_err(|e| {
            let key = e.setting.key();
            Error::setting(format!("job file {name}: table `filter` key `{key}`"), e)
        })?;
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
                let table = TableRequest {
                    columns: e.columns,
                    templates: None,
                    header_lang: e.header_lang,
                    bom: e.bom,
                    delimiter: e.delimiter,
                    decimal_comma: e.decimal_comma,
                    end_marker: e.end_marker,
                    format: e.format,
                }
                .validate(zone)
                .map_err(|err| {
                    let key = err.setting.key();
                    Error::setting(
                        format!("job file {name}: export #{} key `{key}`", i + 1),
                        err,
                    )
                })?;
                Ok(ExportJob {
                    path: resolve(&e.path),
                    table,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let receipts = file
            .receipts
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let langs = r
                    .langs
                    .join(",")
                    .parse::<Langs>()
                    .map_err(|err| {
                        Error::setting(
                            format!("job file {name}: receipts #{} key `langs`", i + 1),
                            err,
                        )
                    })?
                    .0;
                if r.out.is_none() && r.zip.is_none() && r.merge.is_none() {
                    return Err(bad(format!(
                        "receipts #{}: give `out`, `zip` and/or `merge`",
                        i + 1
                    )));
                }
                // A template named by a path is the job folder's; one named by a name is
                // looked up in the job folder's templates/receipts/.
                let templates: Vec<String> = r
                    .templates
                    .iter()
                    .map(|t| {
                        if Template::names_a_file(t) {
                            resolve(t)
                        } else {
                            t.clone()
                        }
                    })
                    .collect();
                let dir = base.join("templates/receipts");
                let in_receipts = |e: String| bad(format!("receipts #{}: {e}", i + 1));
                if r.sign_key.is_none() && (r.sign_cert.is_some() || r.sign_chain.is_some()) {
                    return Err(in_receipts("sign_cert and sign_chain need sign_key".into()));
                }
                let signer = match &r.sign_key {
                    Some(key) => Some(
                        Signer::load(&SignFiles {
                            key: resolve(key).into(),
                            cert: r.sign_cert.as_deref().map(|c| resolve(c).into()),
                            chain: r.sign_chain.as_deref().map(|c| resolve(c).into()),
                        })
                        .map_err(|e| in_receipts(e.to_string()))?,
                    ),
                    None => None,
                };
                let branding = Branding::new(&templates, Some(&dir), r.verify_url.as_deref())
                    .map_err(|e| in_receipts(e.to_string()))?
                    .with_signer(signer);
                Ok(ReceiptsJob {
                    langs,
                    out: r.out.as_deref().map(resolve),
                    zip: r.zip.as_deref().map(resolve),
                    merge: r.merge.as_deref().map(resolve),
                    pdfa: r.pdfa,
                    branding,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        check_outputs(&exports, &receipts).map_err(bad)?;
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
            store,
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

/// The placeholders an output path template may use.
const PLACEHOLDERS: [&str; 6] = ["date", "from", "to", "month", "job", "shard"];

/// Refuses, before anything runs, the output settings that would lose work: a placeholder
/// recibo does not fill (it would stay in the file name literally), and two outputs of the
/// job on one path, or one inside another's receipts folder (the later would overwrite
/// the earlier). Templates are compared as written, less `.` components: every run fills
/// them with the same values, so equal templates mean equal paths.
fn check_outputs(
    exports: &[ExportJob],
    receipts: &[ReceiptsJob],
) -> std::result::Result<(), String> {
    let mut files: Vec<(String, &str)> = Vec::new();
    let mut folders: Vec<(String, &str)> = Vec::new();
    for (i, e) in exports.iter().enumerate() {
        files.push((format!("export #{} key `path`", i + 1), &e.path));
    }
    for (i, r) in receipts.iter().enumerate() {
        let key = |k: &str| format!("receipts #{} key `{k}`", i + 1);
        if let Some(p) = &r.zip {
            files.push((key("zip"), p));
        }
        if let Some(p) = &r.merge {
            files.push((key("merge"), p));
        }
        if let Some(p) = &r.out {
            folders.push((key("out"), p));
        }
    }
    for (key, template) in files.iter().chain(&folders) {
        let mut rest = *template;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 1..start + len];
            if !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "{key}: {{{name}}} is not a placeholder; use {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ));
            }
            rest = &rest[start + len..];
        }
    }
    let normal = |p: &str| -> PathBuf {
        Path::new(p)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    for (i, (key, path)) in files.iter().enumerate() {
        if let Some((other, _)) = files[..i].iter().find(|(_, p)| normal(p) == normal(path)) {
            return Err(format!("{other} and {key} name the same file {path:?}"));
        }
        if let Some((other, _)) = folders
            .iter()
            .find(|(_, f)| normal(path).starts_with(normal(f)))
        {
            return Err(format!("{key} {path:?} is inside the folder of {other}"));
        }
    }
    for (i, (key, folder)) in folders.iter().enumerate() {
        if let Some((other, _)) = folders[..i]
            .iter()
            .find(|(_, f)| normal(f) == normal(folder))
        {
            return Err(format!("{other} and {key} name the same folder {folder:?}"));
        }
    }
    Ok(())
}

/// `name` as one safe file-name part: it fills `{job}`, and a name such as `../x` must not
/// lead an output out of its folder.
fn file_name_part(name: &str) -> String {
    let mut part: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if part.starts_with('.') || part.is_empty() {
        part.insert(0, '_');
    }
    part
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
            .replace("{job}", &file_name_part(job))
            .replace("{shard}", &shard),
    )
}

/// `text` with every `${NAME}` replaced by that environment variable. An unset variable is
/// an error naming it; its value, which may be a password, is never shown.
fn expand_env(text: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "a `${` without its `}`".to_string())?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`${{{name}}}` is not an environment variable's name"
            ));
        }
        let value = std::env::var(name)
            .map_err(|_| format!("the environment variable {name} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
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

    #[test]
    fn outputs_that_would_overwrite_each_other_or_keep_a_placeholder_are_refused() {
        let err = |text: &str| {
            Job::parse(text, "j.toml", Path::new("."))
                .unwrap_err()
                .to_string()
        };
        let same = err(&NIGHTLY.replace("receipts-{shard}.zip", "transactions-{shard}.csv"));
        assert!(
            same.contains("export #1 key `path` and receipts #1 key `zip`"),
            "{same}"
        );
        let dotted = err(&NIGHTLY
            .replace("zip = \"out/", "zip = \"./out/")
            .replace("receipts-{shard}.zip", "transactions-{shard}.csv"));
        assert!(dotted.contains("same file"), "{dotted}");
        let inside = err(&NIGHTLY.replace(
            "zip = \"out/{date}/receipts-{shard}.zip\"",
            "out = \"out/{date}\"",
        ));
        assert!(
            inside.contains("inside the folder of receipts #1 key `out`"),
            "{inside}"
        );
        let unknown = err(&NIGHTLY.replace("{shard}.csv", "{shrad}.csv"));
        assert!(
            unknown.contains("export #1 key `path`: {shrad}"),
            "{unknown}"
        );
        assert!(unknown.contains("{shard}"), "{unknown}");
    }

    #[test]
    fn a_job_name_cannot_lead_an_output_out_of_its_folder() {
        let text = NIGHTLY
            .replace("name = \"nightly\"", "name = \"../../etc/x\"")
            .replace("transactions-{shard}.csv", "{job}-{shard}.csv");
        let job = Job::parse(&text, "j.toml", Path::new("/srv/jobs")).unwrap();
        let w = job.window_for(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        let path = expand_path(&job.exports[0].path, &job.name, &w, None);
        assert_eq!(
            path,
            PathBuf::from("/srv/jobs/out/2026-11-20/_.._.._etc_x-all.csv")
        );
    }
}
