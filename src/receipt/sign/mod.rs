//! Signed receipts (PAdES baseline B-B): a CMS SignedData over the whole file, added to the
//! rendered PDF as an incremental update ([`update`]), and its check for `recibo verify`.
//!
//! The signature is deterministic: PKCS#1 v1.5 RSA signatures are, ECDSA uses RFC 6979 nonces,
//! the CMS has no signing-time attribute (PAdES puts the time in the signature dictionary's
//! `/M`, which is the receipt's generation time), and the update takes nothing from the clock.
//! A rerun with the same key and certificate writes the same bytes.
//!
//! The private key is held only here; no error, log line or `Debug` output shows any of it.

pub mod keys;
pub mod pkcs12;
pub mod update;

use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Encode, Sequence};
use sha2::{Digest, Sha256};
use spki_types::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

pub use keys::{SignFiles, SigningKey};

/// `x509-cert` re-exports `spki`; named once here.
mod spki_types {
    pub use x509_cert::spki::AlgorithmIdentifierOwned;
}

pub(crate) const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub(crate) const ID_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const SHA256_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Why signing failed, or why a key or certificate cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Update(#[from] update::UpdateError),
    #[error("the signature could not be made: {0}")]
    Crypto(&'static str),
}

/// A key with its certificate (and the chain to send along), ready to sign receipts.
pub struct Signer {
    key: SigningKey,
    /// DER, the signer's own first.
    certificates: Vec<Certificate>,
    /// SHA-256 of the signer's certificate, for the signing-certificate-v2 attribute.
    certificate_hash: [u8; 32],
    /// The largest CMS this signer makes: the size of every receipt's placeholder.
    contents_len: usize,
    subject: String,
    valid: (DateTime<Utc>, DateTime<Utc>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &self.subject)
            .field("key", &"(hidden)")
            .finish()
    }
}

impl Signer {
    /// Reads the key and certificates `files` name (see [`SignFiles`]).
    pub fn load(files: &SignFiles) -> Result<Signer, SignError> {
        let (key, certificates) = keys::load(files)?;
        Signer::new(key, certificates)
    }

    fn new(key: SigningKey, certificates: Vec<Certificate>) -> Result<Signer, SignError> {
        let own = certificates
            .first()
            .ok_or_else(|| SignError::Setup("no signing certificate".into()))?;
        let spki = &own.tbs_certificate.subject_public_key_info;
        if spki.subject_public_key.raw_bytes() != key.public_key() {
            return Err(SignError::Setup(
                "the signing key does not belong to the signing certificate".into(),
            ));
        }
        let der = own
            .to_der()
            .map_err(|_| SignError::Setup("the signing certificate cannot be encoded".into()))?;
        let mut signer = Signer {
            key,
            certificate_hash: Sha256::digest(&der).into(),
            subject: own.tbs_certificate.subject.to_string(),
            valid: validity(own),
            certificates,
            contents_len: 0,
        };
        let longest = vec![0xff; signer.key.max_signature_len()];
        signer.contents_len = signer.cms(&[0; 32], &longest)?.len();
        Ok(signer)
    }

    /// `pdf` signed, with `signed_at` (the receipt's generation time) as the signing time.
    pub fn sign(&self, pdf: &[u8], signed_at: DateTime<Utc>) -> Result<Vec<u8>, SignError> {
        self.check_time(signed_at)?;
        let prepared = update::prepare(pdf, signed_at, self.contents_len)?;
        let digest = prepared.digest();
        let attributes = signed_attributes(&digest, &self.certificate_hash)?;
        let to_sign = attributes
            .to_der()
            .map_err(|_| SignError::Crypto("the signed attributes cannot be encoded"))?;
        let signature = self.key.sign(&to_sign)?;
        let cms = self.cms_with(attributes, &signature)?;
        Ok(prepared.fill(&cms))
    }

    /// Checks a start time before any receipt is rendered: a run whose receipts would all
    /// fail stops at once.
    pub fn check_time(&self, signed_at: DateTime<Utc>) -> Result<(), SignError> {
        if signed_at < self.valid.0 || signed_at > self.valid.1 {
            return Err(SignError::Setup(format!(
                "the signing certificate is valid from {} to {}, not at the receipts' generation time {}",
                self.valid.0.format("%Y-%m-%dT%H:%M:%SZ"),
                self.valid.1.format("%Y-%m-%dT%H:%M:%SZ"),
                signed_at.format("%Y-%m-%dT%H:%M:%SZ")
            )));
        }
        Ok(())
    }

    fn cms(&self, digest: &[u8; 32], signature: &[u8]) -> Result<Vec<u8>, SignError> {
        self.cms_with(
            signed_attributes(digest, &self.certificate_hash)?,
            signature,
        )
    }

    fn cms_with(
        &self,
        signed_attrs: SetOfVec<Attribute>,
        signature: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        encode_cms(
            &self.certificates,
            &self.certificates[0],
            signed_attrs,
            self.key.signature_algorithm(),
            signature,
        )
    }
}

/// The CMS SignedData recibo writes: one signer named by issuer and serial, SHA-256,
/// detached id-data content, `certificates` as given (DER sorts them).
fn encode_cms(
    certificates: &[Certificate],
    signer: &Certificate,
    signed_attrs: SetOfVec<Attribute>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: &[u8],
) -> Result<Vec<u8>, SignError> {
    let fail = |_| SignError::Crypto("the CMS structure cannot be encoded");
    let own = &signer.tbs_certificate;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: own.issuer.clone(),
            serial_number: own.serial_number.clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature.to_vec()).map_err(fail)?,
        unsigned_attrs: None,
    };
    let certificates = certificates
        .iter()
        .cloned()
        .map(CertificateChoices::Certificate)
        .collect::<Vec<_>>();
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()]).map_err(fail)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet::try_from(certificates).map_err(fail)?),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(fail)?,
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(fail)?,
    }
    .to_der()
    .map_err(fail)
}

/// The instants a certificate is valid from and to.
fn validity(certificate: &Certificate) -> (DateTime<Utc>, DateTime<Utc>) {
    let instant = |t: x509_cert::time::Time| {
        DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
            .unwrap_or_default()
    };
    let validity = &certificate.tbs_certificate.validity;
    (instant(validity.not_before), instant(validity.not_after))
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, ... }`:
/// SHA-256 is the default, so DER leaves the algorithm out.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }`
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The three attributes PAdES B-B signs: content type, message digest, signing certificate.
fn signed_attributes(
    digest: &[u8; 32],
    certificate_hash: &[u8; 32],
) -> Result<SetOfVec<Attribute>, SignError> {
    let fail = |_| SignError::Crypto("the signed attributes cannot be encoded");
    let attribute = |oid, value: Any| -> Result<Attribute, SignError> {
        Ok(Attribute {
            oid,
            values: SetOfVec::try_from(vec![value]).map_err(fail)?,
        })
    };
    let attributes = vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA).map_err(fail)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec()).map_err(fail)?).map_err(fail)?,
        )?,
        attribute(
            ID_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&SigningCertificateV2 {
                certs: vec![EssCertIdV2 {
                    cert_hash: OctetString::new(certificate_hash.to_vec()).map_err(fail)?,
                }],
            })
            .map_err(fail)?,
        )?,
    ];
    SetOfVec::try_from(attributes).map_err(fail)
}

/// What a signed receipt's signature says, as `recibo verify` reports it.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature covers the whole file and verifies with the signer's certificate.
    Valid(SignerFacts),
    /// The signature does not match the file or its certificate: why.
    Invalid(&'static str),
}

/// What `verify` reports of a valid signature's certificate, and judges it by.
#[derive(Debug, PartialEq, Eq)]
pub struct SignerFacts {
    pub subject: String,
    pub issuer: String,
    /// SHA-256 of the certificate, lower-case hex.
    pub fingerprint: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// The certificate allows signing (digitalSignature or nonRepudiation), or says nothing.
    pub may_sign: bool,
}

/// What `recibo verify` keeps of a signed file: enough to tell later, from the receipt
/// rendered again, whether the file is exactly that receipt with recibo's signature update,
/// without holding the file.
#[derive(Debug)]
pub struct SignedFile {
    /// SHA-256 of the file with its signature value's hex digits all `0`: what
    /// [`update::prepare`] writes before the signature is filled in.
    pub placeholder_sha256: [u8; 32],
    /// Bytes the placeholder holds.
    pub contents_len: usize,
    /// The signature checked against the file's own bytes.
    pub signature: SignatureCheck,
}

/// A file's signature, if it has one: its digest, its signature and its certificate
/// checked against the file's bytes.
pub fn inspect(file: &[u8]) -> Option<SignedFile> {
    let at = memchr::memmem::rfind(file, b"/SubFilter/ETSI.CAdES.detached/ByteRange[")?;
    let contents = update::contents_in(file, at)?;
    let mut hash = Sha256::new();
    hash.update(&file[..contents.start]);
    const ZEROS: [u8; 4096] = [b'0'; 4096];
    let mut left = contents.len();
    while left > 0 {
        let n = left.min(ZEROS.len());
        hash.update(&ZEROS[..n]);
        left -= n;
    }
    hash.update(&file[contents.end..]);
    let signature = if contents.len() % 2 != 0 {
        SignatureCheck::Invalid("its signature value is malformed")
    } else if !update::declared_ranges_match(file, &contents) {
        SignatureCheck::Invalid("its byte ranges do not cover the file")
    } else {
        let mut digest = Sha256::new();
        digest.update(&file[..contents.start - 1]);
        digest.update(&file[contents.end + 1..]);
        match unhex(&file[contents.clone()]) {
            Some(cms) => check_cms(&cms, &digest.finalize().into()),
            None => SignatureCheck::Invalid("its signature value is not hexadecimal"),
        }
    };
    Some(SignedFile {
        placeholder_sha256: hash.finalize().into(),
        contents_len: contents.len() / 2,
        signature,
    })
}

impl SignedFile {
    /// Whether this file is `unsigned` with the signature update recibo writes for it at
    /// `signed_at` (the signature value aside, which [`SignedFile::signature`] judges).
    pub fn is_signed_copy_of(&self, unsigned: &[u8], signed_at: DateTime<Utc>) -> bool {
        update::prepare(unsigned, signed_at, self.contents_len)
            .is_ok_and(|prepared| Sha256::digest(&prepared.bytes)[..] == self.placeholder_sha256)
    }
}

fn unhex(hex: &[u8]) -> Option<Vec<u8>> {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    hex.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn check_cms(cms: &[u8], digest: &[u8; 32]) -> SignatureCheck {
    use SignatureCheck::Invalid;
    let Ok(mut reader) = der::SliceReader::new(cms) else {
        return Invalid("its signature is not DER");
    };
    let Ok(info) = <ContentInfo as der::Decode>::decode(&mut reader) else {
        return Invalid("its signature is not a CMS structure");
    };
    let consumed = u32::from(der::Reader::position(&reader)) as usize;
    if cms[consumed..].iter().any(|&b| b != 0) || info.content_type != ID_SIGNED_DATA {
        return Invalid("its signature is not a CMS SignedData");
    }
    let Ok(signed) = info.content.decode_as::<SignedData>() else {
        return Invalid("its signature is not a CMS SignedData");
    };
    let [signer_info] = signed.signer_infos.0.as_slice() else {
        return Invalid("its signature does not have exactly one signer");
    };
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer_info.sid else {
        return Invalid("its signer is not named by issuer and serial number");
    };
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let Some(certificate) = certificates.iter().find(|c| {
        c.tbs_certificate.issuer == sid.issuer
            && c.tbs_certificate.serial_number == sid.serial_number
    }) else {
        return Invalid("its signer's certificate is not in the signature");
    };
    let Ok(certificate_der) = certificate.to_der() else {
        return Invalid("its signer's certificate cannot be encoded");
    };
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let (algorithm, verification): (_, &dyn ring::signature::VerificationAlgorithm) =
        match (spki.algorithm.oid, curve) {
            (RSA_ENCRYPTION, _) => (
                keys::rsa_signature_algorithm(),
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            ),
            (EC_PUBLIC_KEY, Some(PRIME256V1)) => (
                keys::ecdsa_signature_algorithm(),
                &ring::signature::ECDSA_P256_SHA256_ASN1,
            ),
            _ => return Invalid("its signer's key is neither RSA nor ECDSA P-256"),
        };
    // recibo's CMS is fixed but for its certificates and the signature value: rebuilt from
    // those, with this file's digest, it must be these bytes exactly. That pins every field
    // a reader might weigh (digest algorithms, content type, the attributes and their
    // order, the signing certificate's hash), so nothing the signature leaves uncovered can
    // be changed unseen.
    let Ok(attributes) = signed_attributes(digest, &Sha256::digest(&certificate_der).into()) else {
        return Invalid("its signed attributes cannot be encoded");
    };
    let expected = encode_cms(
        &certificates,
        certificate,
        attributes.clone(),
        algorithm,
        signer_info.signature.as_bytes(),
    );
    if expected.ok().as_deref() != Some(&cms[..consumed]) {
        return Invalid("its signature is not the CMS recibo writes for this file");
    }
    let Ok(signed_bytes) = attributes.to_der() else {
        return Invalid("its signed attributes cannot be encoded");
    };
    let key =
        ring::signature::UnparsedPublicKey::new(verification, spki.subject_public_key.raw_bytes());
    if key
        .verify(&signed_bytes, signer_info.signature.as_bytes())
        .is_err()
    {
        return Invalid("its signature does not verify with its certificate");
    }
    let tbs = &certificate.tbs_certificate;
    let (not_before, not_after) = validity(certificate);
    let may_sign = match tbs.get::<x509_cert::ext::pkix::KeyUsage>() {
        Ok(Some((_, usage))) => usage.digital_signature() || usage.non_repudiation(),
        Ok(None) => true,
        Err(_) => false,
    };
    SignatureCheck::Valid(SignerFacts {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        fingerprint: crate::output::sha256_hex(&certificate_der),
        not_before,
        not_after,
        may_sign,
    })
}
