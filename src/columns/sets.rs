//! Named column sets: TOML files in `templates/columns/`. The shipped ones are built into
//! the binary; more can be added from a folder (`--templates DIR` or `RECIBO_TEMPLATES`),
//! and a path to a `.toml` file works as a set too.

use std::path::Path;

use super::{COLUMNS, Column, HeaderLang, close_matches, find};
use crate::error::{Error, Result};

/// The sets shipped in `templates/columns/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../templates/columns/default.toml"),
    ),
    (
        "accounting",
        include_str!("../../templates/columns/accounting.toml"),
    ),
    (
        "reference",
        include_str!("../../templates/columns/reference.toml"),
    ),
];

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    #[serde(default)]
    description: String,
    /// Header language the set asks for unless the command line says otherwise.
    #[serde(default)]
    header: Option<String>,
    columns: Vec<String>,
}

/// A resolved column selection.
#[derive(Debug, Clone)]
pub struct ColumnSet {
    pub name: String,
    pub description: String,
    pub columns: Vec<&'static Column>,
    pub header: Option<HeaderLang>,
}

impl ColumnSet {
    /// Every column, in registry order.
    pub fn all() -> ColumnSet {
        ColumnSet {
            name: "all".into(),
            description: "every column".into(),
            columns: COLUMNS.iter().collect(),
            header: None,
        }
    }
}

/// Resolves `--columns`: a set name (built in or in `templates_dir`), a path to a `.toml`
/// set, `all`, or a comma-separated list of keys.
pub fn resolve(spec: &str, templates_dir: Option<&Path>) -> Result<ColumnSet> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("all") {
        return Ok(ColumnSet::all());
    }
    if spec.ends_with(".toml") {
        let text = std::fs::read_to_string(spec)
            .map_err(|e| Error::usage(format!("column set {spec}: {e}")))?;
        return parse_set(spec, &text);
    }
    if !spec.contains(',') {
        if let Some(dir) = templates_dir {
            let path = dir.join(format!("{spec}.toml"));
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::usage(format!("column set {}: {e}", path.display())))?;
                return parse_set(spec, &text);
            }
        }
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| n.eq_ignore_ascii_case(spec)) {
            return parse_set(name, text);
        }
        if find(spec).is_none() {
            return Err(Error::usage(format!(
                "{spec:?} is neither a column set ({}) nor a column key{}",
                names(templates_dir).join(", "),
                suggestion(spec)
            )));
        }
    }
    let keys: Vec<String> = spec
        .split(',')
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    Ok(ColumnSet {
        name: "ad hoc".into(),
        description: String::new(),
        columns: lookup(&keys, None)?,
        header: None,
    })
}

fn parse_set(name: &str, text: &str) -> Result<ColumnSet> {
    let file: SetFile = toml::from_str(text)
        .map_err(|e| Error::usage(format!("column set {name}: {}", e.message())))?;
    let header = match file.header.as_deref() {
        None => None,
        Some(h) => Some(HeaderLang::parse(h).ok_or_else(|| {
            Error::usage(format!(
                "column set {name}: header {h:?} must be key, en, zh-CN or pt-BR"
            ))
        })?),
    };
    Ok(ColumnSet {
        name: name.to_string(),
        description: file.description,
        columns: lookup(&file.columns, Some(&format!("column set {name}")))?,
        header,
    })
}

/// The columns `keys` name; `context` (a set file) prefixes the messages.
fn lookup(keys: &[String], context: Option<&str>) -> Result<Vec<&'static Column>> {
    let prefix = context.map(|c| format!("{c}: ")).unwrap_or_default();
    if keys.is_empty() {
        return Err(Error::usage(format!("{prefix}no columns given")));
    }
    keys.iter()
        .map(|k| {
            find(k).ok_or_else(|| {
                Error::usage(format!(
                    "{prefix}unknown column {k:?}{} (`recibo columns` lists them all)",
                    suggestion(k)
                ))
            })
        })
        .collect()
}

fn suggestion(key: &str) -> String {
    let close = close_matches(key);
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(" or "))
    }
}

/// Names of every set available: built in, then the folder's.
pub fn names(templates_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(dir) = templates_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut extra: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".toml"))
                    .map(str::to_string)
            })
            .filter(|n| !names.contains(n))
            .collect();
        extra.sort();
        names.extend(extra);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_sets_resolve() {
        for (name, _) in BUILT_IN {
            let set = resolve(name, None).unwrap();
            assert!(!set.columns.is_empty());
        }
        let reference = resolve("reference", None).unwrap();
        assert_eq!(reference.header, Some(HeaderLang::Key));
        assert_eq!(reference.columns.len(), 23);
    }

    #[test]
    fn ad_hoc_lists_and_errors() {
        let set = resolve("transactionId, transactionAmountValue", None).unwrap();
        assert_eq!(
            set.columns.iter().map(|c| c.key).collect::<Vec<_>>(),
            ["transactionId", "transactionAmountValue"]
        );
        assert_eq!(
            resolve("transactionid", None).unwrap().columns[0].key,
            "transactionId"
        );
        let err = resolve("transactionId,transactionAmount", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown column \"transactionAmount\""),
            "{err}"
        );
        assert!(err.contains("did you mean transactionAmountValue"), "{err}");
        let err = resolve("acounting", None).unwrap_err().to_string();
        assert!(err.contains("accounting"), "{err}");
    }
}
