//! Reading a PKCS#12 file (RFC 7292) as OpenSSL 3 writes it by default: the key in a PBES2
//! shrouded bag, the certificates in PBES2-encrypted or plain contents, and an HMAC-SHA-256
//! integrity MAC keyed by the PKCS#12 key derivation. Legacy RC2 and 3DES files are refused
//! with how to write a current one.

use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::{ID_DATA, ID_SHA256};

const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");

const LEGACY: &str = "uses legacy PKCS#12 encryption; write it again with OpenSSL 3's defaults \
                      (openssl pkcs12 -export, without -legacy), which use AES and SHA-256";

#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: ContentInfo,
    #[asn1(optional = "true")]
    mac_data: Option<MacData>,
}

#[derive(Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    #[asn1(default = "one")]
    iterations: u32,
}

fn one() -> u32 {
    1
}

#[derive(Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

#[derive(Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: Any,
    #[asn1(optional = "true")]
    bag_attributes: Option<Any>,
}

#[derive(Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

/// The private key (PKCS#8 DER) and every certificate (DER) in a PKCS#12 file.
pub fn read(file: &[u8], password: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    let pfx = Pfx::from_der(file).map_err(|_| "is neither PEM nor a PKCS#12 file".to_string())?;
    if pfx.version != 3 || pfx.auth_safe.content_type != ID_DATA {
        return Err("is not a password-protected PKCS#12 file".into());
    }
    let auth_safe = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|_| "is a damaged PKCS#12 file".to_string())?;
    let Some(mac) = pfx.mac_data else {
        return Err("has no integrity MAC, so its password cannot be checked".into());
    };
    if mac.mac.algorithm.oid != ID_SHA256 {
        return Err(LEGACY.into());
    }
    if mac.iterations == 0 || mac.iterations > MAX_ITERATIONS {
        return Err("has an implausible MAC iteration count".into());
    }
    let key = derive(password, mac.mac_salt.as_bytes(), mac.iterations, 3);
    let mut hmac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    hmac.update(auth_safe.as_bytes());
    if hmac.verify_slice(mac.mac.digest.as_bytes()).is_err() {
        return Err(format!(
            "cannot be opened: is {} its password?",
            super::keys::PASSWORD_VARIABLE
        ));
    }

    let damaged = |_| "is a damaged PKCS#12 file".to_string();
    let mut key = None;
    let mut certificates = Vec::new();
    for info in Vec::<ContentInfo>::from_der(auth_safe.as_bytes()).map_err(damaged)? {
        let contents = if info.content_type == ID_DATA {
            info.content
                .decode_as::<OctetString>()
                .map_err(damaged)?
                .into_bytes()
        } else if info.content_type == ID_ENCRYPTED_DATA {
            let encrypted = info.content.decode_as::<EncryptedData>().map_err(damaged)?;
            let data = encrypted
                .enc_content_info
                .encrypted_content
                .ok_or("is a damaged PKCS#12 file")?;
            decrypt(
                &encrypted.enc_content_info.content_enc_alg,
                data.as_bytes(),
                password,
            )?
        } else {
            continue;
        };
        for bag in Vec::<SafeBag>::from_der(&contents).map_err(damaged)? {
            if bag.bag_id == SHROUDED_KEY_BAG || bag.bag_id == KEY_BAG {
                if key.is_some() {
                    return Err("holds more than one private key".into());
                }
                let der = bag.bag_value.to_der().map_err(damaged)?;
                key = Some(if bag.bag_id == KEY_BAG {
                    der
                } else {
                    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
                        .map_err(|_| LEGACY.to_string())?;
                    check_cost(&encrypted.encryption_algorithm)?;
                    encrypted
                        .decrypt(password)
                        .map_err(|_| "its key cannot be decrypted".to_string())?
                        .as_bytes()
                        .to_vec()
                });
            } else if bag.bag_id == CERT_BAG {
                let cert = bag.bag_value.decode_as::<CertBag>().map_err(damaged)?;
                if cert.cert_id == X509_CERTIFICATE {
                    certificates.push(cert.cert_value.into_bytes());
                }
            }
        }
    }
    let key = key.ok_or("holds no private key")?;
    Ok((key, certificates))
}

fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    data: &[u8],
    password: &str,
) -> Result<Vec<u8>, String> {
    let der = algorithm.to_der().map_err(|_| LEGACY.to_string())?;
    let scheme =
        pkcs8::pkcs5::EncryptionScheme::try_from(der.as_slice()).map_err(|_| LEGACY.to_string())?;
    check_cost(&scheme)?;
    scheme
        .decrypt(password, data)
        .map_err(|_| "its certificates cannot be decrypted".to_string())
}

/// Most PBKDF2 iterations an encrypted key or bag may ask for; files written today use
/// 2,048 to 600,000.
pub(super) const MAX_ITERATIONS: u32 = 10_000_000;

/// Refuses a scheme whose key derivation would take minutes or all memory before the password
/// is even checked: PBES2 with PBKDF2 of at most [`MAX_ITERATIONS`]; scrypt and PBES1 are
/// refused (neither is what current tools write by default).
pub(super) fn check_cost(scheme: &pkcs8::pkcs5::EncryptionScheme) -> Result<(), String> {
    use pkcs8::pkcs5::pbes2::Kdf;
    match scheme.pbes2().map(|p| &p.kdf) {
        Some(Kdf::Pbkdf2(params)) if (1..=MAX_ITERATIONS).contains(&params.iteration_count) => {
            Ok(())
        }
        Some(Kdf::Pbkdf2(_)) => Err(format!(
            "asks for more than {MAX_ITERATIONS} key derivation iterations"
        )),
        Some(_) => Err("is encrypted with scrypt; recibo reads PBKDF2 only".into()),
        None => Err(LEGACY.into()),
    }
}

/// The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256, for the MAC key
/// (`id` 3). The password is taken as a NUL-terminated UTF-16BE string.
fn derive(password: &str, salt: &[u8], iterations: u32, id: u8) -> [u8; 32] {
    const V: usize = 64;
    let mut password_bytes: Vec<u8> = password
        .encode_utf16()
        .chain(std::iter::once(0))
        .flat_map(u16::to_be_bytes)
        .collect();
    let fill = |source: &[u8]| -> Vec<u8> {
        if source.is_empty() {
            return Vec::new();
        }
        let len = V * source.len().div_ceil(V);
        source.iter().copied().cycle().take(len).collect()
    };
    let mut input = fill(salt);
    input.extend(fill(&password_bytes));
    password_bytes.fill(0);

    let mut digest = Sha256::new();
    digest.update([id; V]);
    digest.update(&input);
    let mut a: [u8; 32] = digest.finalize().into();
    for _ in 1..iterations {
        a = Sha256::digest(a).into();
    }
    input.fill(0);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_derivation_gives_openssl_s_mac_key() {
        // The MAC key OpenSSL derives for password "recibo", salt 01..08, 2048 iterations
        // (`openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt
        // hexpass:00720065006300690062006f0000 -kdfopt hexsalt:0102030405060708 -kdfopt
        // iter:2048 -kdfopt id:3 PKCS12KDF`, the password as the NUL-terminated BMPString).
        let key = derive("recibo", &[1, 2, 3, 4, 5, 6, 7, 8], 2048, 3);
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(
            hex,
            "81F97D13A2ACFE18BE88ADC5AA4456E918F0CCCCFDE3DA1007DA1666EECC89D0"
        );
        assert_ne!(key, derive("recibO", &[1, 2, 3, 4, 5, 6, 7, 8], 2048, 3));
    }

    #[test]
    fn what_is_not_pkcs12_is_refused() {
        assert!(read(b"not a pfx", "x").is_err());
        assert!(read(&[0x30, 0x03, 0x02, 0x01, 0x03], "x").is_err());
    }
}
