//! `recibo receipt`: one refund's receipt, on demand.

use std::io::Write;

use super::Outcome;
use super::args::ReceiptArgs;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::locale::Locales;
use crate::model::{Transaction, TxType};
use crate::output::{Target, write_atomically};
use crate::receipt::bulk::safe_file_name;
use crate::receipt::content::{ReceiptInput, build_page};
use crate::receipt::pdf::{RenderOptions, Renderer};
use crate::receipt::work::{RefundMatch, Work, collect, ineligible_reason, pick_refund};
use crate::source::gateway::fetch_refund;

pub fn run(args: &ReceiptArgs) -> Result<Outcome> {
    let id = args
        .id
        .as_deref()
        .or(args.refund_id.as_deref())
        .unwrap_or_default()
        .trim()
        .to_string();
    let spec = super::receipts::receipt_spec(&args.render, &args.lang, &args.tz)?;
    let (zone, generated_at) = (spec.zone, spec.generated_at);
    let lang = match spec.langs.as_slice() {
        [one] => *one,
        _ => {
            return Err(Error::usage(format!(
                "--lang {:?}: a receipt is in one language (use `recibo receipts` for several)",
                args.lang
            )));
        }
    };
    // Every transaction carrying the ID, so a refusal can say what the ID really is.
    let filter = Filter {
        ids: vec![id.clone()],
        ..Filter::default()
    };
    let mut matches: Vec<Transaction> = Vec::new();
    let work = if args.input.gateway {
        let config = args.input.gateway_config()?;
        let transactions = match fetch_refund(&config, &id) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => {
                return Err(Error::usage(format!(
                    "the gateway has no refund or order {id:?}"
                )));
            }
            Err(e) => return Err(Error::source(&config.base_url, e)),
        };
        let mut work = Work::default();
        for tx in transactions {
            if tx.transaction_type == TxType::Refund {
                matches.push(tx);
            } else {
                work.originals.insert(tx.transaction_id.clone(), tx);
            }
        }
        work
    } else {
        let source = args.input.validate(zone)?;
        // The ID filter picks the refunds; every record still passes through, so that the
        // second pass finds the payment the refund refers to.
        collect(&filter, source.rereadable(), |each| {
            source.read(|tx| {
                if matches.len() < 64 && filter.matches(tx) && !matches.contains(tx) {
                    matches.push(tx.clone());
                }
                each(tx)
            })
        })?
    };
    let refund = pick(&id, &matches)?;
    if let Some(reason) = ineligible_reason(refund) {
        return Err(Error::Refused(format!(
            "no receipt for {id}: refund {} is a {reason}",
            refund.transaction_id
        )));
    }

    let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
    let page = build_page(
        &locales,
        &ReceiptInput {
            refund,
            original: work.original_of(refund),
            lang,
            zone,
            generated_at,
        },
    );
    let options = RenderOptions {
        pdfa: args.render.pdfa,
        creation_date: Some(generated_at),
        document_title: None,
    };
    let target = match &args.output {
        Some(o) => Target::parse(o),
        None => Target::File(safe_file_name(&refund.transaction_id, lang).into()),
    };
    let pdf = Renderer::new()
        .render(std::slice::from_ref(&page), &options)
        .map_err(|e| Error::output(&target, e))?;
    for missing in &pdf.missing_glyphs {
        tracing::warn!(
            "refund {}: no shipped font has U+{:04X}; a replacement mark is printed",
            missing.refund_id,
            u32::from(missing.character)
        );
    }
    match &target {
        Target::Stdout | Target::Stream(_) => {
            let mut out = std::io::stdout().lock();
            out.write_all(&pdf.bytes)
                .and_then(|_| out.flush())
                .map_err(|e| Error::output_io(&target, e))?;
        }
        Target::File(path) => write_atomically(path, &pdf.bytes)?,
    }
    Ok(Outcome {
        summary: format!(
            "receipt for refund {} ({}) written to {target}",
            refund.transaction_id,
            lang.tag()
        ),
        skipped: 0,
    })
}

/// The one refund an ID names (see [`pick_refund`]), or why there is none.
fn pick<'a>(id: &str, matches: &'a [Transaction]) -> Result<&'a Transaction> {
    match pick_refund(id, matches) {
        RefundMatch::Refund(refund) => Ok(refund),
        RefundMatch::Unknown => Err(Error::usage(format!(
            "no transaction has the ID {id:?} in the inputs"
        ))),
        RefundMatch::NotARefund(tx) => Err(Error::Refused(format!(
            "no receipt: {id} is a {} (transaction {}), not a refund",
            tx.kind_and_status(),
            tx.transaction_id
        ))),
        RefundMatch::Ambiguous(refunds) => Err(Error::usage(format!(
            "{id} matches {} refunds ({}); name one by its refund ID",
            refunds.len(),
            refunds
                .iter()
                .map(|r| r.transaction_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
