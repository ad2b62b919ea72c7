//! Signed receipts through the real binary, judged by tools that are not recibo's own: the
//! signatures by pyHanko against a test CA that openssl makes for each test, the files by
//! qpdf, and the keys and PKCS#12 files are written by openssl too.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{Run, example_template, recibo_with, samples, successful_refunds};

const RECEIPT_KEY: &str = "test-receipt-key-0123456789abcdef";
/// The shipped example template's merchant in the samples.
const LOJA_VERDE: &str = "2188120000002468";
const PASSWORD: &str = "correct horse battery staple";

fn run(dir: &Path, args: &[&str], password: Option<&str>) -> Run {
    recibo_with(dir, args, b"", |c| {
        c.env("RECIBO_RECEIPT_KEY", RECEIPT_KEY);
        if let Some(password) = password {
            c.env("RECIBO_SIGN_PASSWORD", password);
        }
    })
}

fn tool(name: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .env("PASSWORD", PASSWORD)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{name}` ({e}): tests/run.sh installs openssl, qpdf and pyHanko")
        })
}

#[track_caller]
fn tool_ok(name: &str, args: &[&str], dir: &Path) -> String {
    let out = tool(name, args, dir);
    assert!(
        out.status.success(),
        "`{name} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Inside the test signers' validity (2026 to 2030), which `openssl ca` backdates.
const GENERATED_AT: &str = "2026-11-01T00:00:00Z";

/// A test CA (`ca.pem`) and, for each kind, a signer's key and certificate issued by it
/// (`ec.key`/`ec.pem`, `rsa.key`/`rsa.pem`), valid through 2026 to 2030, with the key usage
/// PAdES signers carry.
fn make_pki(dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n\
         [test]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = any\nunique_subject = no\n\
         [any]\norganizationName = optional\ncommonName = supplied\n\
         [authority]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\n\
         [signer]\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "1000\n").unwrap();
    let o = |args: &[&str]| tool_ok("openssl", args, dir);
    o(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ca.key",
    ]);
    o(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=recibo test CA",
        "-config",
        "ca.cnf",
        "-extensions",
        "authority",
    ]);
    for (kind, generate) in [
        (
            "ec",
            ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "rsa",
            ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ),
    ] {
        let key = format!("{kind}.key");
        let csr = format!("{kind}.csr");
        let cert = format!("{kind}.pem");
        let mut args = vec!["genpkey"];
        args.extend(generate);
        args.extend(["-out", &key]);
        o(&args);
        o(&[
            "req",
            "-new",
            "-key",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/O=Loja Verde/CN=Loja Verde receipts {kind}"),
        ]);
        o(&[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-startdate",
            "20260101000000Z",
            "-enddate",
            "20300101000000Z",
            "-extensions",
            "signer",
            "-notext",
            "-in",
            &csr,
            "-out",
            &cert,
        ]);
    }
}

/// pyHanko's judgement of each file's first signature, one line per file:
/// `intact valid trusted coverage attributes`, the last the signed CMS attributes by name.
fn pyhanko(dir: &Path, files: &[&str]) -> Vec<String> {
    let script = r#"
import sys
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
ca = x509.Certificate.load(pem.unarmor(open(sys.argv[1], 'rb').read())[2])
for name in sys.argv[2:]:
    try:
        with open(name, 'rb') as f:
            signatures = PdfFileReader(f).embedded_signatures
            if not signatures:
                print("unsigned")
                continue
            signature = signatures[0]
            status = validate_pdf_signature(signature, ValidationContext(trust_roots=[ca]))
            attributes = sorted(a['type'].native for a in signature.signer_info['signed_attrs'])
            print(status.intact, status.valid, status.trusted, status.coverage.name,
                  ','.join(attributes))
    except Exception as e:
        print("error", type(e).__name__, str(e).replace('\n', ' '))
"#;
    let mut args = vec!["-c", script, "ca.pem"];
    args.extend(files);
    tool_ok("python3", &args, dir)
        .lines()
        .map(str::to_string)
        .collect()
}

const GOOD: &str = "True True True ENTIRE_FILE content_type,message_digest,signing_certificate_v2";

/// A successful refund of the example template's merchant.
fn loja_verde_refund(dir: &Path) -> String {
    successful_refunds(dir)
        .into_iter()
        .find_map(|(merchant, refund)| (merchant == LOJA_VERDE).then_some(refund))
        .expect("the samples have a successful refund of the example merchant")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".pdf"))
        .collect();
    files.sort();
    files
}

#[test]
fn signed_receipts_are_valid_for_pyhanko_stay_pdf_a_and_a_changed_byte_breaks_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    let refund = loja_verde_refund(d);
    let at = GENERATED_AT;
    for kind in ["ec", "rsa"] {
        let key = format!("{kind}.key");
        let cert = format!("{kind}.pem");
        let bulk = |out: &str, merge: &str| {
            run(
                d,
                &[
                    "receipts",
                    "-i",
                    &samples(),
                    "--id",
                    &refund,
                    "--lang",
                    "all",
                    "--template",
                    &example_template(),
                    "--pdfa",
                    "--generated-at",
                    at,
                    "--sign-key",
                    &key,
                    "--sign-cert",
                    &cert,
                    "--sign-chain",
                    "ca.pem",
                    "--out",
                    out,
                    "--merge",
                    merge,
                ],
                None,
            )
            .assert_code(0);
        };
        let out = format!("{kind}-1");
        bulk(&out, &format!("{kind}-all.pdf"));
        let mut files = files_in(&d.join(&out));
        assert_eq!(files.len(), 3, "{files:?}");
        files.push(d.join(format!("{kind}-all.pdf")).display().to_string());
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        let verdicts = pyhanko(d, &names);
        assert_eq!(verdicts.len(), 4);
        for (file, verdict) in files.iter().zip(&verdicts) {
            assert_eq!(verdict, GOOD, "{file}");
            tool_ok("qpdf", &["--check", file], d);
            let info = tool_ok("pdfinfo", &[file], d);
            assert!(info.contains("Form:            AcroForm"), "{info}");
            // The PDF/A identification survives the update.
            let bytes = std::fs::read(file).unwrap();
            assert!(
                memchr_find(&bytes, b"<pdfaid:part>2</pdfaid:part>")
                    || memchr_find(&bytes, b"pdfaid:part=\"2\""),
                "{file} keeps its PDF/A metadata"
            );
        }

        // A rerun writes the same bytes: the signature is deterministic for both kinds.
        let again = format!("{kind}-2");
        bulk(&again, &format!("{kind}-all-2.pdf"));
        for (a, b) in files_in(&d.join(&out))
            .iter()
            .zip(files_in(&d.join(&again)))
        {
            assert_eq!(std::fs::read(a).unwrap(), std::fs::read(&b).unwrap(), "{a}");
        }

        // One byte of the page changed, and one of the signature value.
        let mut bytes = std::fs::read(&files[0]).unwrap();
        let middle = bytes.len() / 3;
        bytes[middle] ^= 1;
        std::fs::write(d.join(format!("{kind}-flipped.pdf")), &bytes).unwrap();
        bytes[middle] ^= 1;
        let contents = memchr_rfind(&bytes, b"/Contents<").unwrap() + 20;
        bytes[contents] = if bytes[contents] == b'1' { b'2' } else { b'1' };
        std::fs::write(d.join(format!("{kind}-badsig.pdf")), &bytes).unwrap();
        let broken = pyhanko(
            d,
            &[
                &format!("{kind}-flipped.pdf"),
                &format!("{kind}-badsig.pdf"),
            ],
        );
        assert!(broken[0].starts_with("False"), "{}", broken[0]);
        assert_ne!(broken[1], GOOD);

        // recibo verify: every untouched receipt authentic and signed, the others altered.
        let ok = run(
            d,
            &[
                "verify",
                &out,
                "-i",
                &samples(),
                "--template",
                &example_template(),
            ],
            None,
        );
        ok.assert_code(0);
        let report = ok.stdout_text();
        assert_eq!(report.lines().count(), 3, "{report}");
        assert!(
            report.lines().all(|l| l.contains(": authentic, signed by ")
                && l.contains(&format!("CN=Loja Verde receipts {kind}"))),
            "{report}"
        );
        // The signed merged document too.
        let merged = run(
            d,
            &[
                "verify",
                &format!("{kind}-all.pdf"),
                "-i",
                &samples(),
                "--template",
                &example_template(),
            ],
            None,
        );
        merged.assert_code(0);
        assert!(
            merged.stdout_text().contains(": authentic, signed by "),
            "{}",
            merged.stdout_text()
        );
        let bad = run(
            d,
            &[
                "verify",
                &format!("{kind}-flipped.pdf"),
                &format!("{kind}-badsig.pdf"),
                "-i",
                &samples(),
                "--template",
                &example_template(),
            ],
            None,
        );
        bad.assert_code(1);
        let report = bad.stdout_text();
        assert_eq!(
            report.lines().filter(|l| l.contains(": altered")).count(),
            2,
            "{report}"
        );

        // Fields the signature does not cover: the digest algorithm named as SHA-512 in the
        // CMS (both places). pyHanko refuses it, and so must verify.
        let mut bytes = std::fs::read(&files[0]).unwrap();
        let start = memchr_rfind(&bytes, b"/Contents<").unwrap() + 10;
        let end = start + bytes[start..].iter().position(|&b| b == b'>').unwrap();
        let hex = String::from_utf8(bytes[start..end].to_vec()).unwrap();
        let sha256_oid = "0609608648016503040201";
        assert_eq!(
            hex.matches(sha256_oid).count(),
            2,
            "two digest algorithm fields"
        );
        let forged = hex.replace(sha256_oid, "0609608648016503040203");
        bytes[start..end].copy_from_slice(forged.as_bytes());
        std::fs::write(d.join(format!("{kind}-sha512.pdf")), &bytes).unwrap();
        assert_ne!(pyhanko(d, &[&format!("{kind}-sha512.pdf")]), vec![GOOD]);
        let out = run(
            d,
            &[
                "verify",
                &format!("{kind}-sha512.pdf"),
                "-i",
                &samples(),
                "--template",
                &example_template(),
            ],
            None,
        );
        out.assert_code(1);
        assert!(
            out.stdout_text().contains(": altered"),
            "{}",
            out.stdout_text()
        );
    }

    // --signer pins the signer: the EC receipts pass with the EC certificate, and fail with
    // the RSA one, as would a receipt re-signed by anyone under the same name.
    let pinned = run(
        d,
        &[
            "verify",
            "ec-1",
            "-i",
            &samples(),
            "--template",
            &example_template(),
            "--signer",
            "ec.pem",
        ],
        None,
    );
    pinned.assert_code(0);
    assert!(
        pinned
            .stdout_text()
            .lines()
            .all(|l| l.ends_with("a --signer certificate"))
    );
    let other = run(
        d,
        &[
            "verify",
            "ec-1",
            "-i",
            &samples(),
            "--template",
            &example_template(),
            "--signer",
            "rsa.pem",
        ],
        None,
    );
    other.assert_code(1);
    assert!(
        other
            .stdout_text()
            .lines()
            .all(|l| l.contains(": not trusted: signed by")),
        "{}",
        other.stdout_text()
    );
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn memchr_rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn a_pkcs12_file_or_an_encrypted_key_signs_with_the_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    let refund = loja_verde_refund(d);
    let at = GENERATED_AT;
    let o = |args: &[&str]| tool_ok("openssl", args, d);
    // OpenSSL 3's defaults: PBES2 with AES-256-CBC, HMAC-SHA-256 MAC.
    o(&[
        "pkcs12",
        "-export",
        "-inkey",
        "ec.key",
        "-in",
        "ec.pem",
        "-certfile",
        "ca.pem",
        "-out",
        "signer.p12",
        "-passout",
        "env:PASSWORD",
    ]);
    o(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "rsa.key",
        "-out",
        "rsa-encrypted.key",
        "-passout",
        "env:PASSWORD",
    ]);
    // A MAC by SHA-1, as older tools write them.
    o(&[
        "pkcs12",
        "-export",
        "-inkey",
        "ec.key",
        "-in",
        "ec.pem",
        "-macalg",
        "sha1",
        "-out",
        "old.p12",
        "-passout",
        "env:PASSWORD",
    ]);
    let receipt = |key_args: &[&str], out: &str, password: Option<&str>| {
        let samples = samples();
        let mut args = vec![
            "receipt",
            &refund,
            "-i",
            &samples,
            "--generated-at",
            at,
            "-o",
            out,
        ];
        args.extend(key_args);
        run(d, &args, password)
    };

    receipt(&["--sign-key", "signer.p12"], "p12.pdf", Some(PASSWORD)).assert_code(0);
    receipt(
        &["--sign-key", "rsa-encrypted.key", "--sign-cert", "rsa.pem"],
        "pkcs8.pdf",
        Some(PASSWORD),
    )
    .assert_code(0);
    assert_eq!(pyhanko(d, &["p12.pdf", "pkcs8.pdf"]), vec![GOOD, GOOD]);

    // A wrong password, none, and a legacy file: clear errors, nothing written, and
    // neither the password nor key bytes in them.
    for (key_args, password, says) in [
        (
            &["--sign-key", "signer.p12"][..],
            Some("wrong"),
            "RECIBO_SIGN_PASSWORD",
        ),
        (
            &["--sign-key", "rsa-encrypted.key", "--sign-cert", "rsa.pem"][..],
            None,
            "RECIBO_SIGN_PASSWORD",
        ),
        (&["--sign-key", "old.p12"][..], Some(PASSWORD), "legacy"),
    ] {
        let out = receipt(key_args, "refused.pdf", password);
        out.assert_code(2);
        assert!(out.stderr.contains(says), "{}", out.stderr);
        assert!(
            out.stderr.contains(key_args[1]),
            "names the file: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("wrong") && !out.stderr.contains(PASSWORD));
        assert!(!d.join("refused.pdf").exists());
    }

    // An encrypted key asking for more key derivation than any tool writes is refused at
    // once, before the derivation: its iteration count rewritten to 2^31 - 1.
    let rewrite = r#"
import sys
from asn1crypto import keys, pem
name, _, der = pem.unarmor(open('rsa-encrypted.key', 'rb').read())
info = keys.EncryptedPrivateKeyInfo.load(der)
info['encryption_algorithm']['parameters']['key_derivation_func']['parameters']['iteration_count'] = 2**31 - 1
open('costly.key', 'wb').write(pem.armor(name, info.dump(force=True)))
"#;
    tool_ok("python3", &["-c", rewrite], d);
    let out = receipt(
        &["--sign-key", "costly.key", "--sign-cert", "rsa.pem"],
        "refused.pdf",
        Some(PASSWORD),
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("key derivation iterations"),
        "{}",
        out.stderr
    );

    // The same signer from a job file, its paths from the job's folder.
    std::fs::write(
        d.join("nightly.toml"),
        format!(
            "window = \"last-month\"\nzone = \"UTC\"\n[source]\ninputs = [{:?}]\n[filter]\nid = [{refund:?}]\n\
             [[receipts]]\nlangs = [\"pt-BR\"]\nout = \"job-out\"\n\
             sign_key = \"ec.key\"\nsign_cert = \"ec.pem\"\nsign_chain = \"ca.pem\"\n",
            samples()
        ),
    )
    .unwrap();
    // Its receipts are dated at the window's end, 2026-11-01T00:00Z.
    let job = run(d, &["run", "nightly.toml", "--date", "2026-10-31"], None);
    job.assert_code(0);
    let files = files_in(&d.join("job-out"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(pyhanko(d, &[&files[0]]), vec![GOOD]);
}

#[test]
fn a_key_not_of_its_certificate_or_a_time_outside_its_validity_stops_before_any_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    let at = GENERATED_AT;
    let bulk = |extra: &[&str], at: &str| {
        let samples = samples();
        let mut args = vec![
            "receipts",
            "-i",
            &samples,
            "--lang",
            "all",
            "--generated-at",
            at,
            "--out",
            "out",
        ];
        args.extend(extra);
        run(d, &args, None)
    };
    let mismatched = bulk(&["--sign-key", "rsa.key", "--sign-cert", "ec.pem"], at);
    mismatched.assert_code(2);
    assert!(
        mismatched
            .stderr
            .contains("no certificate given belongs to this key"),
        "{}",
        mismatched.stderr
    );
    let expired = bulk(
        &["--sign-key", "ec.key", "--sign-cert", "ec.pem"],
        "2025-12-31T23:59:59Z",
    );
    expired.assert_code(2);
    assert!(
        expired.stderr.contains("is valid from"),
        "{}",
        expired.stderr
    );
    let no_cert = bulk(&["--sign-key", "ec.key"], at);
    no_cert.assert_code(2);
    assert!(no_cert.stderr.contains("--sign-cert"), "{}", no_cert.stderr);
    let cert_only = bulk(&["--sign-cert", "ec.pem"], at);
    cert_only.assert_code(2);
    let not_a_key = bulk(&["--sign-key", "ca.pem", "--sign-cert", "ec.pem"], at);
    not_a_key.assert_code(2);
    assert!(
        not_a_key.stderr.contains("holds no private key"),
        "{}",
        not_a_key.stderr
    );
    assert!(!d.join("out").exists(), "nothing was rendered");

    // The key file's contents never reach an error, even when the file is the wrong kind.
    let key = std::fs::read_to_string(d.join("ec.key")).unwrap();
    let body: String = key.lines().nth(1).unwrap().chars().take(24).collect();
    let wrong = bulk(&["--sign-key", "ec.key", "--sign-cert", "ec.key"], at);
    wrong.assert_code(2);
    assert!(!wrong.stderr.contains(&body), "{}", wrong.stderr);
}
