//! Reading a signing key and its certificates: PEM files (PKCS#8, PKCS#1 RSA or SEC1 EC keys,
//! a password-protected PKCS#8 key) or one PKCS#12 file. Passwords come from
//! `RECIBO_SIGN_PASSWORD`. Every error names the file and what is wrong with it, never a byte
//! of the key.

use std::path::{Path, PathBuf};

use der::asn1::Any;
use der::{Decode, Encode};
use p256::pkcs8::DecodePrivateKey;
use x509_cert::Certificate;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::{EC_PUBLIC_KEY, PRIME256V1, RSA_ENCRYPTION, SignError, pkcs12};

/// The environment variable holding the password of a PKCS#12 file or an encrypted key.
pub const PASSWORD_VARIABLE: &str = "RECIBO_SIGN_PASSWORD";

/// Largest key, certificate or chain file read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Where the signing key and certificates are: `--sign-key`, `--sign-cert`, `--sign-chain`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignFiles {
    /// A PEM private key, or a PKCS#12 file holding the key and its certificates.
    pub key: PathBuf,
    /// The signer's certificate (PEM), perhaps followed by its chain; needed with a PEM key.
    pub cert: Option<PathBuf>,
    /// More certificates (PEM) sent along so readers can build the chain.
    pub chain: Option<PathBuf>,
}

/// A private key recibo signs with.
pub enum SigningKey {
    Rsa(ring::signature::RsaKeyPair),
    P256(p256::ecdsa::SigningKey),
}

impl SigningKey {
    /// The public key as a certificate's `subjectPublicKey` holds it.
    pub(super) fn public_key(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        match self {
            SigningKey::Rsa(key) => key.public_key().as_ref().to_vec(),
            SigningKey::P256(key) => key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        }
    }

    pub(super) fn max_signature_len(&self) -> usize {
        match self {
            SigningKey::Rsa(key) => key.public().modulus_len(),
            // A DER ECDSA-Sig-Value of two 33-byte integers.
            SigningKey::P256(_) => 72,
        }
    }

    pub(super) fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self {
            SigningKey::Rsa(_) => rsa_signature_algorithm(),
            SigningKey::P256(_) => ecdsa_signature_algorithm(),
        }
    }

    /// The signature over `message` (SHA-256 inside).
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            SigningKey::Rsa(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| SignError::Crypto("RSA signing failed"))?;
                Ok(signature)
            }
            SigningKey::P256(key) => {
                use p256::ecdsa::signature::Signer;
                let signature: p256::ecdsa::Signature = key.sign(message);
                Ok(signature.to_der().as_bytes().to_vec())
            }
        }
    }
}

/// sha256WithRSAEncryption, with the NULL parameters RFC 4055 asks for.
pub(super) fn rsa_signature_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: super::SHA256_WITH_RSA,
        parameters: Some(Any::null()),
    }
}

/// ecdsa-with-SHA256, without parameters (RFC 5758).
pub(super) fn ecdsa_signature_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: super::ECDSA_WITH_SHA256,
        parameters: None,
    }
}

/// The key and the certificates, the signer's own first.
pub(super) fn load(files: &SignFiles) -> Result<(SigningKey, Vec<Certificate>), SignError> {
    let password = std::env::var(PASSWORD_VARIABLE).ok();
    let key_name = files.key.display().to_string();
    let setup = |file: &str, why: String| SignError::Setup(format!("--sign-key {file}: {why}"));
    let bytes = read(&files.key, "--sign-key")?;

    let (key, mut certificates) = if is_pem(&bytes) {
        let mut key = None;
        let mut certificates = Vec::new();
        for (label, der) in pem_blocks(&bytes).map_err(|why| setup(&key_name, why))? {
            match label.as_str() {
                "CERTIFICATE" => certificates.push(certificate(&der, &key_name, "--sign-key")?),
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
                    if key.is_some() =>
                {
                    return Err(setup(&key_name, "holds more than one private key".into()));
                }
                "PRIVATE KEY" => key = Some(from_pkcs8(&der).map_err(|why| setup(&key_name, why))?),
                "RSA PRIVATE KEY" => {
                    key = Some(SigningKey::Rsa(
                        ring::signature::RsaKeyPair::from_der(&der)
                            .map_err(|e| setup(&key_name, rsa_rejected(e)))?,
                    ))
                }
                "EC PRIVATE KEY" => {
                    let secret = p256::SecretKey::from_sec1_der(&der).map_err(|_| {
                        setup(
                            &key_name,
                            "is not an ECDSA P-256 key (only P-256 is supported)".into(),
                        )
                    })?;
                    key = Some(SigningKey::P256(secret.into()))
                }
                "ENCRYPTED PRIVATE KEY" => {
                    let password = password.as_deref().ok_or_else(|| {
                        setup(
                            &key_name,
                            format!("is encrypted: set its password in {PASSWORD_VARIABLE}"),
                        )
                    })?;
                    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
                        .map_err(|_| setup(&key_name, "is not a readable encrypted key".into()))?;
                    pkcs12::check_cost(&encrypted.encryption_algorithm)
                        .map_err(|why| setup(&key_name, why))?;
                    let plain = encrypted.decrypt(password).map_err(|_| {
                        setup(
                            &key_name,
                            format!("cannot be decrypted: is {PASSWORD_VARIABLE} its password?"),
                        )
                    })?;
                    key = Some(from_pkcs8(plain.as_bytes()).map_err(|why| setup(&key_name, why))?)
                }
                _ => {}
            }
        }
        let key = key.ok_or_else(|| setup(&key_name, "holds no private key".into()))?;
        (key, certificates)
    } else {
        let password = password.unwrap_or_default();
        let (pkcs8, certificates) =
            pkcs12::read(&bytes, &password).map_err(|why| setup(&key_name, why))?;
        let key = from_pkcs8(&pkcs8).map_err(|why| setup(&key_name, why))?;
        let certificates = certificates
            .iter()
            .map(|der| certificate(der, &key_name, "--sign-key"))
            .collect::<Result<Vec<_>, _>>()?;
        (key, certificates)
    };

    for (flag, path) in [("--sign-cert", &files.cert), ("--sign-chain", &files.chain)] {
        let Some(path) = path else { continue };
        let name = path.display().to_string();
        let bytes = read(path, flag)?;
        let blocks =
            pem_blocks(&bytes).map_err(|why| SignError::Setup(format!("{flag} {name}: {why}")))?;
        let before = certificates.len();
        for (label, der) in blocks {
            if label == "CERTIFICATE" {
                certificates.push(certificate(&der, &name, flag)?);
            } else if label.contains("PRIVATE KEY") {
                return Err(SignError::Setup(format!(
                    "{flag} {name}: holds a private key; give it to --sign-key and keep certificates apart"
                )));
            }
        }
        if certificates.len() == before {
            return Err(SignError::Setup(format!(
                "{flag} {name}: holds no PEM certificate"
            )));
        }
    }

    // The signer's certificate is the one with the key's public key, wherever it was found.
    let public = key.public_key();
    let own = certificates
        .iter()
        .position(|c| {
            c.tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes()
                == public
        })
        .ok_or_else(|| {
            SignError::Setup(if certificates.is_empty() {
                format!("--sign-key {key_name}: no certificate: give the signer's with --sign-cert")
            } else {
                format!("--sign-key {key_name}: no certificate given belongs to this key")
            })
        })?;
    let own = certificates.remove(own);
    certificates.insert(0, own);
    Ok((key, certificates))
}

/// The SHA-256 fingerprint (lower-case hex) of every certificate in a PEM file.
pub fn certificate_fingerprints(path: &Path) -> Result<Vec<String>, SignError> {
    let name = path.display().to_string();
    let bytes = read(path, "--signer")?;
    let blocks =
        pem_blocks(&bytes).map_err(|why| SignError::Setup(format!("--signer {name}: {why}")))?;
    let mut found = Vec::new();
    for (label, der) in blocks {
        if label == "CERTIFICATE" {
            certificate(&der, &name, "--signer")?;
            found.push(crate::output::sha256_hex(&der));
        }
    }
    if found.is_empty() {
        return Err(SignError::Setup(format!(
            "--signer {name}: holds no PEM certificate"
        )));
    }
    Ok(found)
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, SignError> {
    crate::receipt::template::read_small(path, MAX_FILE_BYTES)
        .map_err(|why| SignError::Setup(format!("{flag} {}: {why}", path.display())))
}

fn certificate(der: &[u8], file: &str, flag: &str) -> Result<Certificate, SignError> {
    let certificate = Certificate::from_der(der).map_err(|_| {
        SignError::Setup(format!("{flag} {file}: a certificate in it is not X.509"))
    })?;
    // The certificate travels re-encoded: one that is not strict DER would then no longer be
    // the bytes its issuer signed, and every reader would reject the chain.
    if certificate.to_der().ok().as_deref() != Some(der) {
        return Err(SignError::Setup(format!(
            "{flag} {file}: the certificate for {} is not in strict DER (a default value \
             written out, or a set out of order); have it issued again",
            certificate.tbs_certificate.subject
        )));
    }
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let supported = spki.algorithm.oid == RSA_ENCRYPTION
        || (spki.algorithm.oid == EC_PUBLIC_KEY
            && spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
                == Some(PRIME256V1));
    if !supported {
        return Err(SignError::Setup(format!(
            "{flag} {file}: certificate for {} has a key that is neither RSA nor ECDSA P-256",
            certificate.tbs_certificate.subject
        )));
    }
    Ok(certificate)
}

fn from_pkcs8(der: &[u8]) -> Result<SigningKey, String> {
    let info = pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|_| "is not a PKCS#8 private key".to_string())?;
    if info.algorithm.oid == RSA_ENCRYPTION {
        return ring::signature::RsaKeyPair::from_pkcs8(der)
            .map(SigningKey::Rsa)
            .map_err(rsa_rejected);
    }
    if info.algorithm.oid == EC_PUBLIC_KEY
        && info.algorithm.parameters_oid().ok() == Some(PRIME256V1)
    {
        return p256::SecretKey::from_pkcs8_der(der)
            .map(|secret| SigningKey::P256(secret.into()))
            .map_err(|_| "is not a readable ECDSA P-256 key".to_string());
    }
    Err("is neither an RSA nor an ECDSA P-256 key".into())
}

fn rsa_rejected(e: ring::error::KeyRejected) -> String {
    format!("is not an RSA key recibo can sign with (2048 to 4096 bits): {e}")
}

fn is_pem(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"-----BEGIN ").is_some()
}

/// Every PEM block in `bytes`, with its label; text around the blocks is ignored.
fn pem_blocks(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = bytes;
    while let Some(start) = memchr::memmem::find(rest, BEGIN) {
        let block = &rest[start..];
        let label_end = memchr::memmem::find(&block[BEGIN.len()..], b"-----")
            .ok_or("has a PEM block without its label's end")?;
        let label = &block[BEGIN.len()..BEGIN.len() + label_end];
        let end_line = [b"-----END ".as_slice(), label, b"-----"].concat();
        let end = memchr::memmem::find(block, &end_line)
            .ok_or("has a PEM block without its END line")?
            + end_line.len();
        let (label, der) = pem_rfc7468::decode_vec(&block[..end])
            .map_err(|_| "has a PEM block that is not valid base64")?;
        blocks.push((label.to_string(), der));
        rest = &block[end..];
    }
    if blocks.is_empty() {
        return Err("is not PEM".into());
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_read_with_their_labels_and_text_around_them_ignored() {
        let text = b"Bag Attributes\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\nsubject=x\n-----BEGIN PRIVATE KEY-----\nAwQ=\n-----END PRIVATE KEY-----\n";
        let blocks = pem_blocks(text).unwrap();
        assert_eq!(
            blocks,
            vec![
                ("CERTIFICATE".to_string(), vec![0, 1, 2]),
                ("PRIVATE KEY".to_string(), vec![3, 4])
            ]
        );
        assert!(pem_blocks(b"-----BEGIN CERTIFICATE-----\nAAEC\n").is_err());
        assert!(pem_blocks(b"plain text").is_err());
    }

    #[test]
    fn errors_never_show_key_material() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        // A PKCS#8 header around bytes that are no key: the error names the file only.
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let files = SignFiles {
            key: key.clone(),
            ..SignFiles::default()
        };
        let message = load(&files).err().unwrap().to_string();
        assert!(message.contains("key.pem"), "{message}");
        assert!(
            !message.contains("c2VjcmV0") && !message.contains("secret"),
            "{message}"
        );
    }
}
