//! Key pairs: SSH public keys (or x509 certificates) a user keeps for
//! injecting into instances; below microversion 2.92 the server can also
//! generate one and hand back its private key, once.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::models::KeyPairRow;
use crate::store::{self, Conn};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

pub struct NewKeyPair {
    pub row: KeyPairRow,
    /// Only for a generated key pair.
    pub private_key: Option<String>,
}

/// Names: 1-255 characters; before 2.92 letters, digits, `_`, `-` and
/// spaces; from 2.92 also `@` and `.`.
fn check_name(name: &str, extended: bool) -> Result<()> {
    let allowed = |ch: char| {
        ch.is_ascii_alphanumeric() || "_- ".contains(ch) || (extended && "@.".contains(ch))
    };
    if name.is_empty() || name.chars().count() > 255 || name.trim().is_empty() {
        return Err(Error::bad_request(
            "Keypair data is invalid: Keypair name must be string and between 1 and 255 characters long",
        ));
    }
    if !name.chars().all(allowed) {
        return Err(Error::bad_request(
            "Keypair data is invalid: Keypair name contains unsafe characters",
        ));
    }
    Ok(())
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// nova's fingerprint of an OpenSSH public key: md5 of the key blob.
pub fn ssh_fingerprint(public_key: &str) -> Result<String> {
    let invalid = || Error::bad_request("Keypair data is invalid: failed to generate fingerprint");
    let mut parts = public_key.split_whitespace();
    let kind = parts.next().ok_or_else(invalid)?;
    let blob = B64
        .decode(parts.next().ok_or_else(invalid)?)
        .map_err(|_| invalid())?;
    // The blob starts with its own key type, which must agree.
    let len = blob
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(invalid)?;
    if blob.get(4..4 + len) != Some(kind.as_bytes()) {
        return Err(invalid());
    }
    Ok(colon_hex(&Md5::digest(&blob)))
}

/// The fingerprint of a PEM certificate: sha1 of its DER, as nova.
pub fn x509_fingerprint(pem: &str) -> Result<String> {
    let invalid = || Error::bad_request("Keypair data is invalid: failed to generate fingerprint");
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(invalid());
    }
    let der = B64.decode(body.trim()).map_err(|_| invalid())?;
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    Ok(colon_hex(digest.as_ref()))
}

fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A new Ed25519 key pair: the OpenSSH public key line and the private
/// key in OpenSSH's own format (what `ssh-keygen -t ed25519` writes).
pub fn generate(comment: &str) -> Result<(String, String)> {
    let rng = SystemRandom::new();
    let mut seed = [0u8; 32];
    rng.fill(&mut seed)
        .map_err(|_| Error::Unavailable("no randomness for key generation".into()))?;
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
        .map_err(|_| Error::Unavailable("key generation failed".into()))?;
    let public = pair.public_key().as_ref();
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, public);
    let public_line = format!("ssh-ed25519 {} {comment}", B64.encode(&blob));

    let mut check = [0u8; 4];
    rng.fill(&mut check)
        .map_err(|_| Error::Unavailable("no randomness for key generation".into()))?;
    let mut private = Vec::new();
    private.extend_from_slice(&check);
    private.extend_from_slice(&check);
    ssh_string(&mut private, b"ssh-ed25519");
    ssh_string(&mut private, public);
    let mut secret = seed.to_vec();
    secret.extend_from_slice(public);
    ssh_string(&mut private, &secret);
    ssh_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut file = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut file, b"none");
    ssh_string(&mut file, b"none");
    ssh_string(&mut file, b"");
    file.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut file, &blob);
    ssh_string(&mut file, &private);
    let encoded = B64.encode(&file);
    let mut pem = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for chunk in encoded.as_bytes().chunks(70) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    Ok((public_line, pem))
}

/// The owner of a key pair a request names: the caller, or for an admin
/// any user given with `user_id` (2.10).
pub fn owner(ctx: &Context, user_id: Option<String>) -> Result<String> {
    match user_id {
        Some(u) if u != ctx.user_id => {
            ctx.require_admin("os_compute_api:os-keypairs:create")?;
            Ok(u)
        }
        _ => Ok(ctx.user_id.clone()),
    }
}

pub struct KeyPairCreate {
    pub name: String,
    pub key_type: String,
    pub public_key: Option<String>,
    pub user_id: String,
    /// 2.92: names may hold `@` and `.`.
    pub extended_names: bool,
}

/// A new key and a self-signed certificate for it (the x509 key pairs
/// nova generates, for Windows guests): (certificate PEM, private key PEM).
pub fn generate_x509(user_id: &str) -> Result<(String, String)> {
    let failed =
        |e: rcgen::Error| Error::Unavailable(format!("cannot generate a certificate: {e}"));
    let pair = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, user_id);
    let cert = params.self_signed(&pair).map_err(failed)?;
    Ok((cert.pem(), pair.serialize_pem()))
}

pub fn create(c: &mut Conn, quota: i64, req: KeyPairCreate) -> Result<NewKeyPair> {
    check_name(&req.name, req.extended_names)?;
    if store::keypairs::get(c, &req.user_id, &req.name)?.is_some() {
        return Err(Error::conflict(format!(
            "Key pair '{}' already exists.",
            req.name
        )));
    }
    if quota >= 0 && store::keypairs::count_of_user(c, &req.user_id)? >= quota {
        return Err(Error::OverQuota(
            "Quota exceeded, too many key pairs.".into(),
        ));
    }
    let (public_key, private_key) = match req.public_key {
        Some(k) => (k.trim().to_owned(), None),
        None if req.key_type == "x509" => {
            let (certificate, private) = generate_x509(&req.user_id)?;
            (certificate, Some(private))
        }
        None => {
            let (public, private) = generate("Generated-by-Nova")?;
            (public, Some(private))
        }
    };
    let fingerprint = match req.key_type.as_str() {
        "x509" => x509_fingerprint(&public_key)?,
        _ => ssh_fingerprint(&public_key)?,
    };
    let row = KeyPairRow {
        user_id: req.user_id,
        name: req.name,
        fingerprint,
        public_key,
        key_type: req.key_type,
        created_at: compat_api::time::now_us(),
    };
    store::keypairs::insert(c, &row)?;
    Ok(NewKeyPair { row, private_key })
}

pub fn get(c: &mut Conn, user_id: &str, name: &str) -> Result<KeyPairRow> {
    store::keypairs::get(c, user_id, name)?.ok_or_else(|| Error::keypair_not_found(name, user_id))
}

pub fn delete(c: &mut Conn, user_id: &str, name: &str) -> Result<()> {
    if store::keypairs::delete(c, user_id, name)? == 0 {
        return Err(Error::keypair_not_found(name, user_id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_a_checkable_fingerprint() {
        let (public, private) = generate("me").unwrap();
        assert!(public.starts_with("ssh-ed25519 "));
        assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        let fp = ssh_fingerprint(&public).unwrap();
        assert_eq!(fp.len(), 47);
    }

    #[test]
    fn refuses_garbage_keys_and_names() {
        assert!(ssh_fingerprint("ssh-rsa not-base64!").is_err());
        assert!(ssh_fingerprint("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIE").is_err());
        assert!(check_name("a/b", false).is_err());
        assert!(check_name("a@b.c", false).is_err());
        assert!(check_name("a@b.c", true).is_ok());
        assert!(check_name("ok name_1-2", false).is_ok());
    }
}
