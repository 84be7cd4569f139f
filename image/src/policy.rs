//! Who may do what to an image: glance's default policies (the "secure
//! RBAC" defaults with project scope), decided on the caller's project and
//! roles alone.

use crate::store::models::ImageRow;

/// The caller, as the image domain sees it.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub project_id: Option<String>,
    pub is_admin: bool,
    /// Holds `member` (or `admin`): may change what its project owns.
    pub is_member: bool,
}

impl Viewer {
    pub fn owns(&self, image: &ImageRow) -> bool {
        match (&self.project_id, &image.owner) {
            (Some(p), Some(o)) => p == o,
            _ => false,
        }
    }

    /// Sees an image: admin, owner, public and community images, and shared
    /// images it is a member of (whatever the member status).
    pub fn can_see(&self, image: &ImageRow, is_member_of: bool) -> bool {
        self.is_admin
            || self.owns(image)
            || matches!(image.visibility.as_str(), "public" | "community")
            || (image.visibility == "shared" && is_member_of)
    }

    /// `modify_image`, `delete_image`, `upload_image`, `add_member`...:
    /// admin, or a member of the owning project.
    pub fn can_modify(&self, image: &ImageRow) -> bool {
        self.is_admin || (self.is_member && self.owns(image))
    }

    /// Whether the caller may give an image this visibility.
    pub fn may_set_visibility(&self, visibility: &str) -> Result<(), &'static str> {
        match visibility {
            "public" if !self.is_admin => Err("publicize_image"),
            _ => Ok(()),
        }
    }

    /// Data of a deactivated image is only for admins.
    pub fn can_download(&self, image: &ImageRow) -> bool {
        image.status != "deactivated" || self.is_admin
    }
}

/// A policy refusal in glance's words.
pub fn refusal(action: &str) -> String {
    format!("You are not authorized to complete {action} action.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(owner: &str, visibility: &str) -> ImageRow {
        let mut row = ImageRow::queued("i".into(), Some(owner.into()), 0);
        row.visibility = visibility.into();
        row
    }

    fn member_of(project: &str) -> Viewer {
        Viewer {
            project_id: Some(project.into()),
            is_admin: false,
            is_member: true,
        }
    }

    #[test]
    fn private_and_shared_images_stay_with_owner_and_members() {
        let v = member_of("p");
        assert!(!v.can_see(&image("q", "private"), false));
        assert!(!v.can_see(&image("q", "shared"), false));
        assert!(v.can_see(&image("q", "shared"), true));
        assert!(v.can_see(&image("q", "community"), false));
        assert!(v.can_see(&image("p", "private"), false));
    }

    #[test]
    fn only_owner_members_and_admins_modify() {
        assert!(member_of("p").can_modify(&image("p", "private")));
        assert!(!member_of("p").can_modify(&image("q", "public")));
        let reader = Viewer {
            is_member: false,
            ..member_of("p")
        };
        assert!(!reader.can_modify(&image("p", "private")));
        assert_eq!(
            member_of("p").may_set_visibility("public"),
            Err("publicize_image")
        );
        assert!(member_of("p").may_set_visibility("community").is_ok());
    }
}
