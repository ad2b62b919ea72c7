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
use crate::receipt::content::ReceiptInput;
use crate::receipt::pdf::Renderer;
use crate::receipt::work::{NoReceipt, Work, collect, receipt_refund};
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
    let branding = super::receipts::branding(&args.render)?;
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
        ids: [id.clone()].into(),
        ..Filter::default()
    };
    let mut matches: Vec<Transaction> = Vec::new();
    let (work, place) = if args.input.gateway {
        let config = args.input.gateway_config()?;
        let transactions = match fetch_refund(&config, &id) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(Error::source(&config.base_url, e)),
        };
        // The gateway answers with the payment first, then its refunds: all of them carry
        // the ID, as in the server's lookup.
        let mut work = Work::default();
        for tx in &transactions {
            if tx.transaction_type != TxType::Refund {
                // The first record of a payment is its original (see `is_original_of`).
                work.originals
                    .entry(tx.transaction_id.clone())
                    .or_insert_with(|| tx.clone());
            }
        }
        matches = transactions;
        (work, "at the gateway")
    } else {
        let source = args.input.source(zone, &Filter::default())?;
        // The ID filter picks the refunds; every record still passes through, so that the
        // second pass finds the payment the refund refers to.
        let work = collect(&filter, source.rereadable(), |pass, each| {
            source.read_pass(pass, |tx| {
                if matches.len() < 64 && filter.matches(tx) && !matches.contains(tx) {
                    matches.push(tx.clone());
                }
                each(tx)
            })
        })?;
        (work, "in the inputs")
    };
    let refund = receipt_refund(&id, &matches).map_err(|e| match e {
        NoReceipt::NotFound { .. } => Error::usage(format!("{e} {place}")),
        NoReceipt::Ambiguous { .. } => Error::usage(e.to_string()),
        NoReceipt::NotARefund { .. } | NoReceipt::NotSuccessful { .. } => {
            Error::Refused(e.to_string())
        }
    })?;

    let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
    let input = ReceiptInput {
        refund,
        original: work.original_of(refund),
        lang,
        zone,
        generated_at,
        branding: &branding,
    };
    let target = match &args.output {
        Some(o) => Target::parse(o),
        None => Target::File(safe_file_name(&refund.transaction_id, lang).into()),
    };
    let pdf = Renderer::new()
        .receipt(&locales, &input, args.render.pdfa)
        .1
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
