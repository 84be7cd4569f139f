//! Instance actions (`os-instance-actions`): what was asked of an instance,
//! by whom, and the events of carrying it out.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::models::InstanceActionRow;
use crate::store::{self, Conn};
use crate::ComputeService;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event: String,
    pub start_time: i64,
    pub finish_time: Option<i64>,
    /// `Success`, `Error`, or None while running.
    pub result: Option<String>,
    pub host: String,
}

/// Records that `action` (`create`, `stop`, `reboot`, ...) was asked.
pub fn record(c: &mut Conn, ctx: &Context, instance_id: &str, action: &str) -> Result<()> {
    let now = compat_api::time::now_us();
    store::actions::insert(
        c,
        &InstanceActionRow {
            id: uuid::Uuid::new_v4().to_string(),
            instance_id: instance_id.to_owned(),
            action: action.to_owned(),
            request_id: ctx.request_id.clone(),
            user_id: ctx.user_id.clone(),
            project_id: ctx.project_id.clone(),
            message: None,
            events: "[]".into(),
            start_time: now,
            updated_at: now,
        },
    )?;
    Ok(())
}

pub fn events(row: &InstanceActionRow) -> Vec<Event> {
    serde_json::from_str(&row.events).unwrap_or_default()
}

/// Starts (result None) or finishes an event of the latest action.
fn mark(
    c: &mut Conn,
    instance_id: &str,
    name: &str,
    host: &str,
    result: Option<&str>,
) -> Result<()> {
    let Some(mut action) = store::actions::latest(c, instance_id)? else {
        return Ok(());
    };
    let mut list = events(&action);
    let now = compat_api::time::now_us();
    match (
        list.iter_mut()
            .find(|e| e.event == name && e.finish_time.is_none()),
        result,
    ) {
        (Some(e), Some(r)) => {
            e.finish_time = Some(now);
            e.result = Some(r.to_owned());
        }
        (None, r) => list.push(Event {
            event: name.to_owned(),
            start_time: now,
            finish_time: r.map(|_| now),
            result: r.map(str::to_owned),
            host: host.to_owned(),
        }),
        (Some(_), None) => {}
    }
    if result == Some("Error") {
        action.message = Some("Error".into());
    }
    action.events = crate::instances::to_json(&list);
    action.updated_at = now;
    store::actions::update(c, &action)?;
    Ok(())
}

impl ComputeService {
    /// Best effort: a lost event must not fail the operation it describes.
    pub async fn record_event(
        &self,
        instance_id: &str,
        name: &str,
        host: &str,
        result: Option<&str>,
    ) {
        let (id, name2, host, result) = (
            instance_id.to_owned(),
            name.to_owned(),
            host.to_owned(),
            result.map(str::to_owned),
        );
        if let Err(e) = self
            .write(move |c| mark(c, &id, &name2, &host, result.as_deref()))
            .await
        {
            tracing::warn!("cannot record event {name} of {instance_id}: {e}");
        }
    }
}

/// The actions of an instance the caller may see (deleted ones included).
pub fn list(c: &mut Conn, ctx: &Context, instance_id: &str) -> Result<Vec<InstanceActionRow>> {
    match store::instances::get(c, instance_id)? {
        Some(row) if ctx.owns(&row.project_id) => Ok(store::actions::of_instance(c, instance_id)?),
        _ => Err(Error::instance_not_found(instance_id)),
    }
}

pub fn show(
    c: &mut Conn,
    ctx: &Context,
    instance_id: &str,
    request_id: &str,
) -> Result<InstanceActionRow> {
    list(c, ctx, instance_id)?;
    store::actions::by_request(c, instance_id, request_id)?
        .ok_or_else(|| Error::NotFound(format!("Action {request_id} could not be found.")))
}
