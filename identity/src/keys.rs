//! The token signing key repository.
//!
//! Keys are ECDSA P-256 (ES256), generated with ring and kept as PKCS#8 files
//! `<n>.pk8` (mode 0600) in `[token] key_repository`. The highest number
//! signs; older keys only verify. `rotate` adds a key and removes retired
//! keys once every token they signed has expired, so rotation never
//! invalidates a live token.

use crate::error::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::EncodingKey;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

struct Key {
    index: u64,
    kid: String,
    /// Uncompressed SEC1 point (65 bytes).
    public: Vec<u8>,
    encoding: EncodingKey,
    certificate_pem: String,
    modified: SystemTime,
}

pub struct KeyRepository {
    dir: PathBuf,
    token_lifetime: Duration,
    keys: RwLock<Vec<Key>>,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("{what} {}: {e}", path.display()))
}

fn key_id(public: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, public);
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

fn load_key(index: u64, path: &Path) -> Result<Key, Error> {
    let pkcs8 = fs::read(path).map_err(|e| io_err("cannot read key", path, e))?;
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|e| Error::Internal(format!("invalid key {}: {e}", path.display())))?;
    let public = pair.public_key().as_ref().to_vec();
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| io_err("cannot stat key", path, e))?;
    Ok(Key {
        index,
        kid: key_id(&public),
        encoding: EncodingKey::from_ec_der(&pkcs8),
        certificate_pem: self_signed_certificate(&pkcs8)?,
        public,
        modified,
    })
}

/// A self-signed X.509 certificate for a key, as OS-SIMPLE-CERT publishes.
fn self_signed_certificate(pkcs8: &[u8]) -> Result<String, Error> {
    let pair = rcgen::KeyPair::try_from(pkcs8)
        .map_err(|e| Error::Internal(format!("cannot load key for certificate: {e}")))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| Error::Internal(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ferrostack token signing");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "ferrostack");
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2100, 1, 1);
    let cert = params
        .self_signed(&pair)
        .map_err(|e| Error::Internal(format!("cannot sign certificate: {e}")))?;
    Ok(cert.pem())
}

fn generate(path: &Path) -> Result<(), Error> {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|e| Error::Internal(format!("cannot generate key: {e}")))?;
    let tmp = path.with_extension("tmp");
    write_private(&tmp, pkcs8.as_ref())?;
    fs::rename(&tmp, path).map_err(|e| io_err("cannot install key", path, e))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err("cannot create key", path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err("cannot write key", path, e))
}

fn indexes(dir: &Path) -> Result<Vec<u64>, Error> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_err("cannot list", dir, e))? {
        let entry = entry.map_err(|e| io_err("cannot list", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".pk8").and_then(|n| n.parse().ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn key_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index}.pk8"))
}

impl KeyRepository {
    /// Opens the repository, creating it with one key if it is empty.
    pub fn open(dir: &Path, token_lifetime_s: u64) -> Result<KeyRepository, Error> {
        fs::create_dir_all(dir).map_err(|e| io_err("cannot create", dir, e))?;
        if indexes(dir)?.is_empty() {
            generate(&key_path(dir, 0))?;
        }
        let repo = KeyRepository {
            dir: dir.to_owned(),
            token_lifetime: Duration::from_secs(token_lifetime_s),
            keys: RwLock::new(Vec::new()),
        };
        repo.reload()?;
        Ok(repo)
    }

    /// Re-reads the directory; true when the key set changed.
    pub fn reload(&self) -> Result<bool, Error> {
        let found = indexes(&self.dir)?;
        {
            let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
            if keys.iter().map(|k| k.index).eq(found.iter().copied()) {
                return Ok(false);
            }
        }
        let loaded = found
            .iter()
            .map(|i| load_key(*i, &key_path(&self.dir, *i)))
            .collect::<Result<Vec<_>, _>>()?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = loaded;
        Ok(true)
    }

    /// Adds a new signing key and drops keys retired longer than a token lives.
    /// Returns the new key's id.
    pub fn rotate(&self) -> Result<String, Error> {
        let next = indexes(&self.dir)?.last().map_or(0, |n| n + 1);
        generate(&key_path(&self.dir, next))?;
        self.prune()?;
        self.reload()?;
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        Ok(keys.last().map(|k| k.kid.clone()).unwrap_or_default())
    }

    fn prune(&self) -> Result<(), Error> {
        let found = indexes(&self.dir)?;
        // A key retires when its successor appears; it must verify for one
        // more token lifetime (plus a minute of clock slack).
        let grace = self.token_lifetime + Duration::from_secs(60);
        for pair in found.windows(2) {
            let successor = key_path(&self.dir, pair[1]);
            let retired = fs::metadata(&successor)
                .and_then(|m| m.modified())
                .map_err(|e| io_err("cannot stat", &successor, e))?;
            if retired.elapsed().unwrap_or_default() > grace {
                let old = key_path(&self.dir, pair[0]);
                fs::remove_file(&old).map_err(|e| io_err("cannot remove", &old, e))?;
            }
        }
        Ok(())
    }

    /// The key id and key that sign new tokens.
    pub fn signer(&self) -> Result<(String, EncodingKey), Error> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys
            .last()
            .ok_or_else(|| Error::Internal("no signing key".into()))?;
        Ok((key.kid.clone(), key.encoding.clone()))
    }

    pub fn public_keys(&self) -> Vec<(String, Vec<u8>)> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .map(|k| (k.kid.clone(), k.public.clone()))
            .collect()
    }

    /// Every key's certificate, newest first, PEM-concatenated.
    pub fn certificates_pem(&self) -> String {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .rev()
            .map(|k| k.certificate_pem.as_str())
            .collect()
    }

    /// The public keys as a JSON Web Key Set.
    pub fn jwks(&self) -> Value {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let list: Vec<Value> = keys
            .iter()
            .rev()
            .map(|k| {
                json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "alg": "ES256",
                    "use": "sig",
                    "kid": k.kid,
                    "x": URL_SAFE_NO_PAD.encode(&k.public[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&k.public[33..65]),
                })
            })
            .collect();
        json!({"keys": list})
    }

    /// When the current signing key was created.
    pub fn signing_key_created(&self) -> Option<SystemTime> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.last().map(|k| k.modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrostack-keys-{name}-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn rotation_keeps_old_keys_verifying() {
        let dir = tempdir("rotate");
        let repo = KeyRepository::open(&dir, 3600).unwrap();
        let (first, _) = repo.signer().unwrap();
        let second = repo.rotate().unwrap();
        assert_ne!(first, second);
        let kids: Vec<String> = repo.public_keys().into_iter().map(|(k, _)| k).collect();
        assert!(kids.contains(&first) && kids.contains(&second));
        assert_eq!(repo.signer().unwrap().0, second);
        assert!(repo.certificates_pem().matches("BEGIN CERTIFICATE").count() == 2);
        assert_eq!(repo.jwks()["keys"][0]["kid"], second);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_drops_keys_retired_longer_than_a_token_lives() {
        let dir = tempdir("prune");
        let repo = KeyRepository::open(&dir, 0).unwrap();
        let (first, _) = repo.signer().unwrap();
        repo.rotate().unwrap();
        // Age the successor past the grace period.
        let old = SystemTime::now() - Duration::from_secs(120);
        let f = fs::File::options()
            .write(true)
            .open(key_path(&dir, 1))
            .unwrap();
        f.set_modified(old).unwrap();
        repo.rotate().unwrap();
        let kids: Vec<String> = repo.public_keys().into_iter().map(|(k, _)| k).collect();
        assert!(!kids.contains(&first));
        assert_eq!(kids.len(), 2);
        fs::remove_dir_all(dir).unwrap();
    }
}
