//! Identity (Keystone v3).
//!
//! `api/` is the HTTP surface, one file per resource; the modules beside it
//! hold the rules (tokens, passwords, role resolution, policy, catalog), and
//! `store/` the tables. [`Identity`] ties them together and is what the API
//! handlers and the binary hold.

pub mod api;
pub mod app_creds;
pub mod assignment;
pub mod bootstrap;
pub mod catalog;
pub mod config;
pub mod error;
pub mod keys;
pub mod password;
pub mod policy;
pub mod resource;
pub mod roles;
pub mod store;
pub mod tokens;
pub mod users;

use actix_web::web;
use compat_api::auth::{RevocationEvent, TokenVerifier};
use std::sync::Arc;

pub use config::IdentityConfig;
pub use error::Error;

/// The identity service: configuration, database, signing keys, the token
/// verifier (shared with every API of this process) and the catalog cache.
pub struct Identity {
    pub conf: IdentityConfig,
    pub db: store::Db,
    pub keys: keys::KeyRepository,
    pub verifier: web::Data<TokenVerifier>,
    pub catalog: Arc<catalog::CatalogCache>,
}

impl Identity {
    /// Opens the database (migrating it), loads the signing keys and the
    /// revocation events still in force.
    pub fn open(conf: IdentityConfig) -> Result<Arc<Identity>, Error> {
        let db = store::Db::open(&conf.database_url, conf.max_db_connections)?;
        db.run_sync(store::migrations::run)?;
        let keys = keys::KeyRepository::open(&conf.key_repository, conf.token_expiration_s)?;
        let verifier = web::Data::new(TokenVerifier::new());
        verifier.set_keys(keys.public_keys());
        let identity = Identity {
            conf,
            db,
            keys,
            verifier,
            catalog: Arc::default(),
        };
        identity.load_revocations()?;
        Ok(Arc::new(identity))
    }

    fn load_revocations(&self) -> Result<(), Error> {
        let horizon = compat_api::time::now_us() - self.conf.token_lifetime_us();
        let rows = self.db.run_sync(|c| store::revoke::since(c, horizon))?;
        for row in rows {
            self.verifier.revocations().add(tokens::event_from_row(row));
        }
        Ok(())
    }

    /// Records a revocation event and applies it to this process at once.
    pub(crate) fn revoke(
        &self,
        c: &mut store::AnyConnection,
        event: RevocationEvent,
    ) -> Result<(), Error> {
        store::revoke::insert(c, &tokens::row_from_event(&event))?;
        self.verifier.revocations().add(event);
        Ok(())
    }

    /// Picks up keys rotated by `ferrostack manage token-rotate` while running.
    pub fn reload_keys(&self) -> Result<(), Error> {
        if self.keys.reload()? {
            self.verifier.set_keys(self.keys.public_keys());
            tracing::info!("token signing keys reloaded");
        }
        Ok(())
    }
}
