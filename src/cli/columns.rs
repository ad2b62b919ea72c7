//! `recibo columns`: every column key, its type and headers, and the named sets.

use std::io::Write;

use super::Outcome;
use super::args::ColumnsArgs;
use crate::columns::{COLUMNS, sets};
use crate::error::{Error, Result};

pub fn run(args: &ColumnsArgs) -> Result<Outcome> {
    let mut out = String::new();
    let set_names = sets::names(args.templates.as_deref());
    if args.json {
        let columns: Vec<_> = COLUMNS
            .iter()
            .map(|c| {
                serde_json::json!({
                    "key": c.key, "type": c.kind, "description": c.description,
                    "headers": {"en": c.headers[0], "zh-CN": c.headers[1], "pt-BR": c.headers[2]},
                })
            })
            .collect();
        let sets: Vec<_> = set_names
            .iter()
            .filter_map(|n| sets::resolve(n, args.templates.as_deref()).ok())
            .map(|s| {
                serde_json::json!({"name": s.name, "description": s.description,
                "columns": s.columns.iter().map(|c| c.key).collect::<Vec<_>>()})
            })
            .collect();
        out = serde_json::to_string_pretty(&serde_json::json!({"columns": columns, "sets": sets}))
            .map_err(|e| Error::output("<stdout>", e))?;
        out.push('\n');
    } else {
        out.push_str(&format!(
            "{:<24} {:<8} {:<26} {:<22} {}\n",
            "KEY", "TYPE", "EN", "ZH-CN", "PT-BR"
        ));
        for c in COLUMNS {
            let kind = serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<24} {:<8} {:<26} {:<22} {}\n",
                c.key, kind, c.headers[0], c.headers[1], c.headers[2]
            ));
        }
        out.push_str("\nColumn sets (--columns NAME):\n");
        for name in &set_names {
            match sets::resolve(name, args.templates.as_deref()) {
                Ok(s) => out.push_str(&format!(
                    "  {:<12} {}\n  {:<12} {}\n",
                    s.name,
                    s.description,
                    "",
                    s.columns
                        .iter()
                        .map(|c| c.key)
                        .collect::<Vec<_>>()
                        .join(",")
                )),
                Err(e) => out.push_str(&format!("  {name:<12} (invalid: {e})\n")),
            }
        }
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| Error::output_io("<stdout>", e))?;
    Ok(Outcome::default())
}
