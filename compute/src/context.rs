//! Who is asking, as the compute domain sees it: taken from the verified
//! token by the API, carried on the bus with every message (oslo's
//! `_context_*` keys), so the conductor and host agents act for the same
//! user and log the same request id.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub request_id: String,
    pub user_id: String,
    pub project_id: String,
    pub is_admin: bool,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Context {
    /// The services' own context, for periodic tasks and start-up.
    pub fn service() -> Context {
        Context {
            request_id: format!("req-{}", uuid::Uuid::new_v4()),
            is_admin: true,
            roles: vec!["admin".into()],
            ..Default::default()
        }
    }

    /// May act on what `project_id` owns.
    pub fn owns(&self, project_id: &str) -> bool {
        self.is_admin || self.project_id == project_id
    }

    pub fn require_admin(&self, rule: &str) -> crate::error::Result<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(crate::error::Error::policy(rule))
        }
    }

    /// Only a reader: may look, not change.
    pub fn is_reader_only(&self) -> bool {
        !self.is_admin
            && self.roles.iter().any(|r| r.eq_ignore_ascii_case("reader"))
            && !self
                .roles
                .iter()
                .any(|r| r.eq_ignore_ascii_case("member") || r.eq_ignore_ascii_case("admin"))
    }

    /// The context as the bus carries it.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_value(v: &serde_json::Value) -> Context {
        serde_json::from_value(v.clone()).unwrap_or_else(|_| Context::service())
    }
}
