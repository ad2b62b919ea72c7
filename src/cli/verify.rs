//! `recibo verify`: renders each receipt again from the data with the parameters it
//! records ([`Stamp`]) and compares the bytes. A receipt is only ever the bytes recibo
//! made for its refund: any edit, however small, makes it `altered`.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use chrono_tz::Tz;
use rayon::prelude::*;

use super::Outcome;
use super::args::VerifyArgs;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::locale::{Lang, Locales};
use crate::model::{Transaction, TxType};
use crate::output::sha256_hex;
use crate::receipt::bulk::DEFAULT_MAX_MERGED_PAGES;
use crate::receipt::compare::visible_differences;
use crate::receipt::content::{ReceiptInput, build_page};
use crate::receipt::page::ReceiptPage;
use crate::receipt::pdf::{RenderOptions, Renderer};
use crate::receipt::sign::{SignatureCheck, SignedFile};
use crate::receipt::stamp::Stamp;
use crate::receipt::template::Branding;
use crate::receipt::work::{Work, collect};

/// A PDF larger than this is no receipt of recibo's; it is not read whole.
const MAX_PDF_BYTES: u64 = 16 << 20;

/// One file to check: its name, the SHA-256 of its bytes, its stamp and, when it is signed,
/// what its signature says.
struct Claim {
    name: String,
    /// A file the manifest lists that is not there: it has no bytes to check.
    missing: bool,
    sha256: String,
    /// One stamp for a receipt; one per page, in page order, for a merged document.
    stamps: Vec<Stamp>,
    /// The SHA-256 the bulk run's manifest beside it (or in its archive) lists for it.
    listed: Option<String>,
    signed: Option<SignedFile>,
    /// Where its bytes are, to be read again when it is altered (see [`Origin::bytes`]).
    origin: Origin,
}

/// Where a claim's bytes were read from. Only an altered file is read a second time, to
/// say what differs in it, so a run over thousands of receipts holds none of their bytes.
#[derive(Clone, Debug)]
enum Origin {
    None,
    File(std::path::PathBuf),
    /// The entry at `index` of a ZIP archive.
    Entry {
        archive: std::path::PathBuf,
        index: usize,
    },
}

impl Origin {
    /// The bytes read again, when they still have the SHA-256 they were judged by.
    fn bytes(&self, sha256: &str) -> Option<Vec<u8>> {
        let bytes = match self {
            Origin::None => return None,
            Origin::File(path) => {
                read_bounded(std::fs::File::open(path).ok()?, "", MAX_PDF_BYTES).ok()?
            }
            Origin::Entry { archive, index } => {
                let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).ok()?).ok()?;
                let entry = zip.by_index(*index).ok()?;
                read_bounded(entry, "", MAX_PDF_BYTES).ok()?
            }
        };
        (sha256_hex(&bytes) == sha256).then_some(bytes)
    }
}

pub fn run(args: &VerifyArgs) -> Result<Outcome> {
    let branding = Branding::new(&args.templates, None, args.verify_url.as_deref())?;
    let mut claims = Vec::new();
    for path in &args.files {
        gather(path, &mut claims)?;
    }
    if claims.is_empty() {
        return Err(Error::usage("no PDF files to verify"));
    }

    // The refunds the stamps name, looked up by hash: a bulk run's folder names thousands.
    let wanted: HashSet<&str> = claims
        .iter()
        .flat_map(|c| c.stamps.iter().map(|s| s.refund_id.as_str()))
        .collect();
    let work = if wanted.is_empty() {
        Work::default()
    } else {
        let source = args.input.source(Tz::UTC, &Filter::default())?;
        // Payments pass for the refunds' originals; of the refunds only those named.
        collect(&Filter::default(), source.rereadable(), |pass, each| {
            source.read_pass(pass, |tx: &Transaction| {
                if tx.transaction_type != TxType::Refund
                    || wanted.contains(tx.transaction_id.as_str())
                {
                    each(tx)
                } else {
                    Ok(())
                }
            })
        })?
    };
    // Each successful refund by merchant and refund ID, the first of its records.
    let mut refunds: HashMap<(&str, &str), &Transaction> = HashMap::new();
    for r in work.refunds.iter().filter(|r| r.is_successful_refund()) {
        refunds
            .entry((r.customer_id.as_str(), r.transaction_id.as_str()))
            .or_insert(r);
    }
    let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
    let renderer = Renderer::new();

    let signers = signer_fingerprints(&args.signers)?;
    let judge = Judge {
        work: &work,
        branding: &branding,
        locales: &locales,
        renderer: &renderer,
        signers: &signers,
    };
    // Each receipt is rendered again on every core; the report keeps the files' order.
    let verdicts: Vec<String> = claims
        .par_iter()
        .map(|claim| {
            if claim.missing {
                return Ok(
                    "missing: its manifest lists it, the folder or archive has no such file".into(),
                );
            }
            if claim.stamps.is_empty() {
                return Ok("not a receipt: no recibo stamp in its metadata".into());
            }
            let verdict = check(claim, &refunds, &judge)?;
            Ok(match &claim.listed {
                Some(listed) if *listed != claim.sha256 && verdict.starts_with("authentic") => {
                    format!(
                        "not as its manifest says: the data gives these bytes, but the \
                         manifest lists SHA-256 {listed}"
                    )
                }
                _ => verdict,
            })
        })
        .collect::<Result<_>>()?;
    let mut report = String::new();
    let mut failed = 0u64;
    for (claim, verdict) in claims.iter().zip(&verdicts) {
        // Only an authentic receipt's verdict begins with the word.
        if !verdict.starts_with("authentic") {
            failed += 1;
        }
        report.push_str(&format!(
            "{}: {}\n",
            printable(&claim.name),
            printable(verdict)
        ));
    }
    print!("{report}");
    let summary = format!(
        "{} of {} receipts authentic",
        claims.len() as u64 - failed,
        claims.len()
    );
    if failed > 0 {
        return Err(Error::Refused(summary));
    }
    Ok(Outcome {
        summary,
        skipped: 0,
    })
}

/// What every file is judged with.
struct Judge<'a> {
    work: &'a Work,
    branding: &'a Branding,
    locales: &'a Locales,
    renderer: &'a Renderer,
    /// SHA-256 fingerprints of the `--signer` certificates; empty when none was given.
    signers: &'a HashSet<String>,
}

/// Successful refunds by merchant and refund ID.
type Refunds<'t> = HashMap<(&'t str, &'t str), &'t Transaction>;

/// What the data says of one stamped file: a receipt, or a merged document whose pages are
/// rendered again together.
fn check(claim: &Claim, refunds: &Refunds, judge: &Judge) -> Result<String> {
    // Every page is held until the document is rendered, as when it was merged.
    if claim.stamps.len() > DEFAULT_MAX_MERGED_PAGES {
        return Ok(format!(
            "cannot check: {} pages, more than the {} verify lays out at once",
            claim.stamps.len(),
            DEFAULT_MAX_MERGED_PAGES
        ));
    }
    let mut pages = Vec::with_capacity(claim.stamps.len());
    for stamp in &claim.stamps {
        match page_of(stamp, refunds, judge) {
            Ok(page) => pages.push(page),
            Err(verdict) if claim.stamps.len() == 1 => return Ok(verdict),
            Err(verdict) => {
                return Ok(format!(
                    "{verdict} (page {} of the merged document)",
                    pages.len() + 1
                ));
            }
        }
    }
    let first = &claim.stamps[0];
    if claim
        .stamps
        .iter()
        .any(|s| s.generated_at != first.generated_at || s.pdfa != first.pdfa)
    {
        return Ok("not a receipt: its pages name different generation times".into());
    }
    let options = RenderOptions {
        pdfa: first.pdfa,
        creation_date: Some(first.generated_at),
        document_title: None,
        signer: None,
    };
    let pdf = judge
        .renderer
        .render(&pages, &options)
        .map_err(|e| Error::System(e.to_string()))?;
    // What differs, read from the file again only now that it is known to differ.
    let altered = || {
        let what = if let [stamp] = claim.stamps.as_slice() {
            format!(
                "altered: not the receipt the data gives for refund {} ({})",
                stamp.refund_id, stamp.lang
            )
        } else {
            format!(
                "altered: not the merged document the data gives for its {} receipts",
                claim.stamps.len()
            )
        };
        match claim
            .origin
            .bytes(&claim.sha256)
            .and_then(|file| visible_differences(&pdf.bytes, &file, &pages))
        {
            Some(differences) => format!("{what}: {differences}"),
            None => what,
        }
    };
    let signers = judge.signers;
    if sha256_hex(&pdf.bytes) == claim.sha256 {
        return Ok(if claim.stamps.len() == 1 {
            "authentic".to_string()
        } else {
            format!(
                "authentic, a merged document of {} receipts",
                claim.stamps.len()
            )
        });
    }
    let Some(signed) = &claim.signed else {
        return Ok(altered());
    };
    if !signed.is_signed_copy_of(&pdf.bytes, first.generated_at) {
        return Ok(altered());
    }
    let facts = match &signed.signature {
        SignatureCheck::Valid(facts) => facts,
        SignatureCheck::Invalid(why) => return Ok(format!("altered: {why}")),
    };
    let at = first.generated_at;
    let named = format!(
        "{} (certificate SHA-256 {}, issued by {})",
        facts.subject, facts.fingerprint, facts.issuer
    );
    Ok(if at < facts.not_before || at > facts.not_after {
        format!("not trusted: signed by {named} at {at}, outside the certificate's validity")
    } else if !facts.may_sign {
        format!("not trusted: signed by {named}, whose key usage does not allow signing")
    } else if signers.is_empty() {
        format!("authentic, signed by {named}; give --signer to require this signer")
    } else if signers.contains(&facts.fingerprint) {
        format!("authentic, signed by {named}, a --signer certificate")
    } else {
        format!("not trusted: signed by {named}, which is none of the --signer certificates")
    })
}

/// The page a stamp names, laid out again from the data; or why it cannot be.
fn page_of(
    stamp: &Stamp,
    refunds: &Refunds,
    judge: &Judge,
) -> std::result::Result<ReceiptPage, String> {
    let version = env!("CARGO_PKG_VERSION");
    if stamp.version != version {
        return Err(format!(
            "cannot check: rendered by recibo {}, this is {version}",
            stamp.version
        ));
    }
    let Some(refund) = refunds
        .get(&(stamp.merchant_id.as_str(), stamp.refund_id.as_str()))
        .copied()
    else {
        return Err(format!(
            "unknown refund: {:?} is no successful refund of merchant {:?} in the data",
            stamp.refund_id, stamp.merchant_id
        ));
    };
    // The template the receipt names, whoever's merchant it is: a server may have been
    // asked for it by name.
    let Some(branding) = judge.branding.pick(&stamp.template) else {
        return Err(format!(
            "cannot check: rendered with template {:?}; give it with --template",
            stamp.template
        ));
    };
    let (Ok(lang), Ok(zone)) = (stamp.lang.parse::<Lang>(), stamp.zone.parse::<Tz>()) else {
        return Err("not a receipt: its stamp names no known language or zone".into());
    };
    let input = ReceiptInput {
        refund,
        original: judge.work.original_of(refund),
        lang,
        zone,
        generated_at: stamp.generated_at,
        branding: &branding,
    };
    Ok(build_page(judge.locales, &input))
}

/// The SHA-256 fingerprints of every certificate in the `--signer` PEM files.
fn signer_fingerprints(files: &[std::path::PathBuf]) -> Result<HashSet<String>> {
    let mut fingerprints = HashSet::new();
    for file in files {
        let found = crate::receipt::sign::keys::certificate_fingerprints(file)
            .map_err(|e| Error::usage(e.to_string()))?;
        fingerprints.extend(found);
    }
    Ok(fingerprints)
}

/// `text` with control, line-separator and bidirectional-override characters escaped, so
/// that a name from a file (an archive entry, a certificate's subject) cannot forge or
/// disguise a line of the report.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
            )
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.chars().any(hidden) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Files or archive entries whose claims are made together, on every core: a claim hashes
/// the whole file and checks its signature. Bounded, so memory stays flat however many files.
const CLAIMS_AT_ONCE: usize = 256;
/// Most bytes of archive entries held for one batch: receipts are tens of KB, but an entry
/// may be up to [`MAX_PDF_BYTES`].
const MAX_BATCH_BYTES: usize = 64 << 20;

/// The PDFs `path` names: a file, a folder's `.pdf` files in name order, or a ZIP's.
fn gather(path: &Path, claims: &mut Vec<Claim>) -> Result<()> {
    let name = path.display().to_string();
    let fail = |e: std::io::Error| Error::source(&name, e);
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(fail)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
            .collect();
        files.sort();
        // Only a regular file is read: a FIFO or device by that name would hang or flood.
        let manifest_path = path.join("manifest.csv");
        let manifest = if manifest_path.is_file() {
            let manifest_name = manifest_path.display().to_string();
            let file = std::fs::File::open(&manifest_path)
                .map_err(|e| Error::source(&manifest_name, e))?;
            Some(Manifest::read(file, &manifest_name)?)
        } else {
            None
        };
        let first = claims.len();
        for chunk in files.chunks(CLAIMS_AT_ONCE) {
            let made: Vec<Claim> = chunk
                .par_iter()
                .map(|file| {
                    let name = file.display().to_string();
                    let opened = std::fs::File::open(file).map_err(|e| Error::source(&name, e))?;
                    let bytes = read_bounded(opened, &name, MAX_PDF_BYTES)?;
                    Ok(claim(name, &bytes, Origin::File(file.clone())))
                })
                .collect::<Result<_>>()?;
            claims.extend(made);
        }
        if let Some(manifest) = manifest {
            let names: Vec<String> = files
                .iter()
                .map(|f| {
                    f.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            manifest.attach(
                claims,
                first,
                &names,
                &format!("{}/", name.trim_end_matches('/')),
            );
        }
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(fail)?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| Error::source(&name, e.to_string()))?;
        let manifest = match archive.by_name("manifest.csv") {
            Ok(entry) => Some(Manifest::read(entry, &format!("{name}:manifest.csv"))?),
            Err(_) => None,
        };
        let first = claims.len();
        let mut names = Vec::new();
        let mut batch: Vec<(String, Vec<u8>, Origin)> = Vec::with_capacity(CLAIMS_AT_ONCE);
        let mut batch_bytes = 0usize;
        let flush = |batch: &mut Vec<(String, Vec<u8>, Origin)>, claims: &mut Vec<Claim>| {
            let made: Vec<Claim> = batch
                .par_drain(..)
                .map(|(name, bytes, origin)| claim(name, &bytes, origin))
                .collect();
            claims.extend(made);
        };
        for i in 0..archive.len() {
            let entry = archive
                .by_index(i)
                .map_err(|e| Error::source(&name, e.to_string()))?;
            let inner = entry
                .name()
                .map_err(|e| Error::source(&name, e.to_string()))?
                .to_string();
            if !entry.is_file() || !inner.to_ascii_lowercase().ends_with(".pdf") {
                continue;
            }
            let entry_name = format!("{name}:{inner}");
            names.push(inner.clone());
            let bytes = read_bounded(entry, &entry_name, MAX_PDF_BYTES)?;
            batch_bytes += bytes.len();
            let origin = Origin::Entry {
                archive: path.to_path_buf(),
                index: i,
            };
            batch.push((entry_name, bytes, origin));
            if batch.len() == CLAIMS_AT_ONCE || batch_bytes > MAX_BATCH_BYTES {
                flush(&mut batch, claims);
                batch_bytes = 0;
            }
        }
        flush(&mut batch, claims);
        if let Some(manifest) = manifest {
            manifest.attach(claims, first, &names, &format!("{name}:"));
        }
        return Ok(());
    }
    let bytes = read_bounded(file, &name, MAX_PDF_BYTES)?;
    claims.push(claim(name, &bytes, Origin::File(path.to_path_buf())));
    Ok(())
}

/// A bulk run's manifest: the SHA-256 of every file it wrote.
struct Manifest {
    /// File name to SHA-256, for the receipts written (or left unchanged) in files.
    sha256: HashMap<String, String>,
}

/// The largest manifest read: about 120 bytes a receipt.
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

impl Manifest {
    fn read(reader: impl Read, name: &str) -> Result<Manifest> {
        let text = read_bounded(reader, name, MAX_MANIFEST_BYTES)?;
        let mut reader = csv::Reader::from_reader(text.as_slice());
        let headers = reader
            .headers()
            .map_err(|e| Error::source(name, e.to_string()))?
            .clone();
        let column = |key: &str| headers.iter().position(|h| h == key);
        let (Some(file), Some(sha256)) = (column("file"), column("sha256")) else {
            return Err(Error::source(
                name,
                "not a manifest: no file and sha256 columns",
            ));
        };
        let mut listed = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| Error::source(name, e.to_string()))?;
            if let (Some(f), Some(h)) = (record.get(file), record.get(sha256))
                && !f.is_empty()
                && !h.is_empty()
            {
                listed.insert(f.to_string(), h.to_string());
            }
        }
        Ok(Manifest { sha256: listed })
    }

    /// Checks the claims from `first` on (the container's files, named `names` in order)
    /// against the manifest: each gets the SHA-256 listed for it, and every listed file that
    /// is not there (named `prefix` and its name) is added as missing.
    fn attach(&self, claims: &mut Vec<Claim>, first: usize, names: &[String], prefix: &str) {
        for (claim, name) in claims[first..].iter_mut().zip(names) {
            claim.listed = self.sha256.get(name).cloned();
        }
        claims.extend(self.missing(names, prefix));
    }

    fn missing(&self, names: &[String], prefix: &str) -> Vec<Claim> {
        let present: HashSet<&str> = names.iter().map(String::as_str).collect();
        let mut missing: Vec<&String> = self
            .sha256
            .keys()
            .filter(|f| !present.contains(f.as_str()) && f.to_ascii_lowercase().ends_with(".pdf"))
            .collect();
        missing.sort();
        missing
            .into_iter()
            .map(|f| Claim {
                name: format!("{prefix}{f}"),
                missing: true,
                sha256: String::new(),
                stamps: Vec::new(),
                listed: None,
                signed: None,
                origin: Origin::None,
            })
            .collect()
    }
}

/// Everything `reader` holds, up to `limit` bytes: a larger file is none of recibo's.
fn read_bounded(reader: impl Read, name: &str, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::source(name, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::source(
            name,
            format!("larger than {limit} bytes: no file of recibo's"),
        ));
    }
    Ok(bytes)
}

fn claim(name: String, bytes: &[u8], origin: Origin) -> Claim {
    Claim {
        origin,
        name,
        missing: false,
        sha256: sha256_hex(bytes),
        stamps: Stamp::find_all(bytes),
        listed: None,
        signed: crate::receipt::sign::inspect(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn names_cannot_forge_or_disguise_a_report_line() {
        assert_eq!(printable("receipt_en.pdf"), "receipt_en.pdf");
        assert_eq!(
            printable("x.pdf: altered\nreal.pdf: authentic"),
            "x.pdf: altered\\u{a}real.pdf: authentic"
        );
        assert_eq!(printable("CN=\u{202e}fdp"), "CN=\\u{202e}fdp");
        assert_eq!(printable("a\u{2028}b\u{85}"), "a\\u{2028}b\\u{85}");
        assert_eq!(printable("Loja Verde 中文"), "Loja Verde 中文");
    }
}
