//! Image tasks: the record kept of each interoperable import (glance's
//! `api_image_import` task), shown by `GET /v2/images/{id}/tasks` (Image
//! API 2.12). A task is `pending` when the import is accepted,
//! `processing` while the data comes in, then `success` or `failure`;
//! finished tasks expire after `[task] task_time_to_live` hours.

use crate::error::Error;
use crate::images::load_visible;
use crate::policy::Viewer;
use crate::store::models::TaskRow;
use crate::store::tasks as q;
use crate::store::AnyConnection;
use crate::ImageService;
use compat_api::time::now_us;
use serde_json::{json, Value};

/// glance's type for the task of an interoperable import.
pub const IMPORT_TASK: &str = "api_image_import";

/// Who asked for an import, recorded on its task.
#[derive(Debug, Clone, Default)]
pub struct TaskOrigin {
    pub user_id: Option<String>,
    pub request_id: Option<String>,
}

/// A task as the domain sees it: its row with `input` and `result` parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub row: TaskRow,
    pub input: Value,
    pub result: Value,
}

impl Task {
    fn from_row(row: TaskRow) -> Task {
        let parse = |text: Option<&str>| {
            text.and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null)
        };
        Task {
            input: parse(Some(&row.input)),
            result: parse(row.result.as_deref()),
            row,
        }
    }
}

/// Records a new `pending` import task, in the transaction that moves the
/// image to `importing`. Its input is what glance keeps: the image, the
/// import request as sent, and the target stores (`null` for the default).
pub(crate) fn record_import(
    c: &mut AnyConnection,
    viewer: &Viewer,
    origin: &TaskOrigin,
    image_id: &str,
    request: &Value,
    store: Option<&str>,
) -> Result<String, Error> {
    let now = now_us();
    // Finished tasks past their time to live go as new ones come.
    q::delete_expired(c, now)?;
    let row = TaskRow {
        id: uuid::Uuid::new_v4().to_string(),
        image_id: image_id.to_owned(),
        task_type: IMPORT_TASK.into(),
        status: "pending".into(),
        owner: viewer.project_id.clone(),
        user_id: origin.user_id.clone(),
        request_id: origin.request_id.clone(),
        input: json!({
            "image_id": image_id,
            "import_req": request,
            "backend": [store],
        })
        .to_string(),
        result: None,
        message: String::new(),
        expires_at: None,
        created_at: now,
        updated_at: now,
    };
    q::insert(c, &row)?;
    Ok(row.id)
}

/// glance's task visibility: admins see every task, others the tasks of
/// their project and tasks without an owner.
fn visible(viewer: &Viewer, task: &TaskRow) -> bool {
    viewer.is_admin || task.owner.is_none() || task.owner == viewer.project_id
}

impl ImageService {
    /// `GET /v2/images/{id}/tasks`: the unexpired tasks of an image the
    /// viewer may see (a 404 otherwise), oldest first.
    pub async fn image_tasks(&self, viewer: &Viewer, image_id: &str) -> Result<Vec<Task>, Error> {
        let (viewer, image_id) = (viewer.clone(), image_id.to_owned());
        self.db
            .read(move |c| {
                load_visible(c, &viewer, &image_id)
                    .map_err(|_| Error::NotFound("The resource could not be found.".into()))?;
                Ok(q::of_image(c, &image_id, now_us())?
                    .into_iter()
                    .filter(|t| visible(&viewer, t))
                    .map(Task::from_row)
                    .collect())
            })
            .await
    }

    /// Moves a task on: to `processing`, or to its end (`Ok`: `success`
    /// with the image as result; `Err`: `failure` with the error as
    /// message), when it expires from then on.
    pub(crate) async fn advance_task(&self, id: &str, outcome: Option<Result<(), String>>) {
        let task_id = id.to_owned();
        let ttl_us = (self.conf.task_time_to_live_h as i64).saturating_mul(3_600_000_000);
        let saved = self
            .db
            .write(move |c| {
                let Some(mut row) = q::get(c, &task_id)? else {
                    return Ok::<_, Error>(());
                };
                let now = now_us();
                match outcome {
                    None => row.status = "processing".into(),
                    Some(Ok(())) => {
                        row.status = "success".into();
                        row.result = Some(json!({ "image_id": row.image_id }).to_string());
                        row.expires_at = Some(now.saturating_add(ttl_us));
                    }
                    Some(Err(message)) => {
                        row.status = "failure".into();
                        row.message = message;
                        row.expires_at = Some(now.saturating_add(ttl_us));
                    }
                }
                row.updated_at = now;
                q::update(c, &row)?;
                Ok(())
            })
            .await;
        if let Err(e) = saved {
            tracing::error!("cannot save the state of task {id}: {e}");
        }
    }
}
