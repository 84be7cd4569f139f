//! Image sharing: the owner offers a `shared` image to other projects, each
//! of which accepts or rejects it for itself.

use crate::error::Error;
use crate::images::load_visible;
use crate::policy::{refusal, Viewer};
use crate::store::models::MemberRow;
use crate::store::{members as q, AnyConnection};
use crate::ImageService;
use compat_api::time::now_us;

pub const STATUSES: &[&str] = &["pending", "accepted", "rejected"];

fn member_not_found(image_id: &str, member: &str) -> Error {
    Error::NotFound(format!(
        "{member} not found in the member list of the image {image_id}."
    ))
}

/// Members exist only on shared images; `action` words the refusal as
/// glance does (`create`, `update`, ...).
fn require_shared(visibility: &str, image_id: &str, action: &str) -> Result<(), Error> {
    if visibility == "shared" {
        return Ok(());
    }
    Err(Error::Forbidden(match action {
        "list" => format!(
            "Not allowed to list members for image {image_id}: Only shared images have members."
        ),
        _ => format!("Not allowed to {action} members for image {image_id}."),
    }))
}

impl ImageService {
    /// `POST /v2/images/{id}/members`
    pub async fn create_member(
        &self,
        viewer: &Viewer,
        image_id: &str,
        member: &str,
    ) -> Result<MemberRow, Error> {
        let (viewer, image_id, member) = (viewer.clone(), image_id.to_owned(), member.to_owned());
        let quota = self.conf.image_member_quota;
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &image_id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("add_member")));
                }
                require_shared(&image.row.visibility, &image_id, "create")?;
                if q::get(c, &image_id, &member)?.is_some() {
                    return Err(Error::Conflict(format!(
                        "Member {member} is duplicated for image {image_id}"
                    )));
                }
                let count = q::count(c, &image_id)? + 1;
                if quota >= 0 && count > quota {
                    return Err(Error::TooLarge(format!(
                        "Image member limit exceeded for image {image_id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: {count}, Maximum: {quota}"
                    )));
                }
                let now = now_us();
                let row = MemberRow {
                    image_id,
                    member,
                    status: "pending".into(),
                    created_at: now,
                    updated_at: now,
                };
                q::insert(c, &row)?;
                Ok(row)
            })
            .await
    }

    /// `GET /v2/images/{id}/members`: every member for the owner, only its
    /// own membership for a member.
    pub async fn list_members(
        &self,
        viewer: &Viewer,
        image_id: &str,
    ) -> Result<Vec<MemberRow>, Error> {
        let (viewer, image_id) = (viewer.clone(), image_id.to_owned());
        self.db
            .read(move |c| {
                let image = load_visible(c, &viewer, &image_id)?;
                require_shared(&image.row.visibility, &image_id, "list")?;
                let members = q::list(c, &image_id)?;
                if viewer.is_admin || viewer.owns(&image.row) {
                    return Ok(members);
                }
                let me = viewer.project_id.as_deref().unwrap_or_default();
                Ok(members.into_iter().filter(|m| m.member == me).collect())
            })
            .await
    }

    /// `GET /v2/images/{id}/members/{member}`
    pub async fn get_member(
        &self,
        viewer: &Viewer,
        image_id: &str,
        member: &str,
    ) -> Result<MemberRow, Error> {
        let (viewer, image_id, member) = (viewer.clone(), image_id.to_owned(), member.to_owned());
        self.db
            .read(move |c| {
                let row = visible_member(c, &viewer, &image_id, &member)?;
                Ok(row)
            })
            .await
    }

    /// `PUT /v2/images/{id}/members/{member}`: only the member itself decides.
    pub async fn update_member(
        &self,
        viewer: &Viewer,
        image_id: &str,
        member: &str,
        status: &str,
    ) -> Result<MemberRow, Error> {
        if !STATUSES.contains(&status) {
            return Err(Error::BadRequest(
                "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\"."
                    .into(),
            ));
        }
        let (viewer, image_id, member, status) = (
            viewer.clone(),
            image_id.to_owned(),
            member.to_owned(),
            status.to_owned(),
        );
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &image_id)?;
                require_shared(&image.row.visibility, &image_id, "update")?;
                let mut row = visible_member(c, &viewer, &image_id, &member)?;
                let is_that_member = viewer.project_id.as_deref() == Some(member.as_str());
                if !(viewer.is_admin || (viewer.is_member && is_that_member)) {
                    return Err(Error::Forbidden(refusal("modify_member")));
                }
                row.status = status;
                row.updated_at = now_us();
                q::update(c, &row)?;
                Ok(row)
            })
            .await
    }

    /// `DELETE /v2/images/{id}/members/{member}`: the owner withdraws an offer.
    pub async fn delete_member(
        &self,
        viewer: &Viewer,
        image_id: &str,
        member: &str,
    ) -> Result<(), Error> {
        let (viewer, image_id, member) = (viewer.clone(), image_id.to_owned(), member.to_owned());
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &image_id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("delete_member")));
                }
                require_shared(&image.row.visibility, &image_id, "delete")?;
                if !q::delete(c, &image_id, &member)? {
                    return Err(member_not_found(&image_id, &member));
                }
                Ok(())
            })
            .await
    }
}

/// A membership the viewer may see: the owner sees all, a member its own.
fn visible_member(
    c: &mut AnyConnection,
    viewer: &Viewer,
    image_id: &str,
    member: &str,
) -> Result<MemberRow, Error> {
    let image = load_visible(c, viewer, image_id)?;
    if image.row.visibility != "shared" {
        return Err(Error::NotFound("Only shared images have members.".into()));
    }
    let may_see =
        viewer.is_admin || viewer.owns(&image.row) || viewer.project_id.as_deref() == Some(member);
    match q::get(c, image_id, member)? {
        Some(row) if may_see => Ok(row),
        _ => Err(member_not_found(image_id, member)),
    }
}
