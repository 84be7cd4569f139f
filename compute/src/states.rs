//! Instance states as nova keeps them (vm_state, task_state, power_state)
//! and the status the API shows for them.

/// vm_state values.
pub mod vm {
    pub const ACTIVE: &str = "active";
    pub const BUILDING: &str = "building";
    pub const PAUSED: &str = "paused";
    pub const SUSPENDED: &str = "suspended";
    pub const STOPPED: &str = "stopped";
    pub const RESCUED: &str = "rescued";
    pub const RESIZED: &str = "resized";
    pub const SOFT_DELETED: &str = "soft-delete";
    pub const DELETED: &str = "deleted";
    pub const ERROR: &str = "error";
    pub const SHELVED: &str = "shelved";
    pub const SHELVED_OFFLOADED: &str = "shelved_offloaded";
}

/// task_state values.
pub mod task {
    pub const SCHEDULING: &str = "scheduling";
    pub const BLOCK_DEVICE_MAPPING: &str = "block_device_mapping";
    pub const NETWORKING: &str = "networking";
    pub const SPAWNING: &str = "spawning";
    pub const IMAGE_SNAPSHOT: &str = "image_snapshot";
    pub const IMAGE_SNAPSHOT_PENDING: &str = "image_snapshot_pending";
    pub const IMAGE_BACKUP: &str = "image_backup";
    pub const IMAGE_PENDING_UPLOAD: &str = "image_pending_upload";
    pub const IMAGE_UPLOADING: &str = "image_uploading";
    pub const UPDATING_PASSWORD: &str = "updating_password";
    pub const RESIZE_PREP: &str = "resize_prep";
    pub const RESIZE_MIGRATING: &str = "resize_migrating";
    pub const RESIZE_MIGRATED: &str = "resize_migrated";
    pub const RESIZE_FINISH: &str = "resize_finish";
    pub const RESIZE_REVERTING: &str = "resize_reverting";
    pub const RESIZE_CONFIRMING: &str = "resize_confirming";
    pub const REBOOTING: &str = "rebooting";
    pub const REBOOT_PENDING: &str = "reboot_pending";
    pub const REBOOT_STARTED: &str = "reboot_started";
    pub const REBOOTING_HARD: &str = "rebooting_hard";
    pub const REBOOT_PENDING_HARD: &str = "reboot_pending_hard";
    pub const REBOOT_STARTED_HARD: &str = "reboot_started_hard";
    pub const PAUSING: &str = "pausing";
    pub const UNPAUSING: &str = "unpausing";
    pub const SUSPENDING: &str = "suspending";
    pub const RESUMING: &str = "resuming";
    pub const POWERING_OFF: &str = "powering-off";
    pub const POWERING_ON: &str = "powering-on";
    pub const REBUILDING: &str = "rebuilding";
    pub const REBUILD_SPAWNING: &str = "rebuild_spawning";
    pub const MIGRATING: &str = "migrating";
    pub const DELETING: &str = "deleting";
    pub const SOFT_DELETING: &str = "soft-deleting";
    pub const RESTORING: &str = "restoring";
}

/// power_state values: nova's integers and names.
pub mod power {
    pub const NOSTATE: i32 = 0;
    pub const RUNNING: i32 = 1;
    pub const PAUSED: i32 = 3;
    pub const SHUTDOWN: i32 = 4;
    pub const CRASHED: i32 = 6;
    pub const SUSPENDED: i32 = 7;

    pub fn name(state: i32) -> &'static str {
        match state {
            RUNNING => "running",
            PAUSED => "paused",
            SHUTDOWN => "shutdown",
            CRASHED => "crashed",
            SUSPENDED => "suspended",
            _ => "pending",
        }
    }
}

/// The API status of an instance (nova's `_STATE_MAP`).
pub fn status(vm_state: &str, task_state: Option<&str>) -> &'static str {
    use task::*;
    match (vm_state, task_state) {
        (vm::ACTIVE, Some(REBOOTING | REBOOT_PENDING | REBOOT_STARTED)) => "REBOOT",
        (vm::ACTIVE, Some(REBOOTING_HARD | REBOOT_PENDING_HARD | REBOOT_STARTED_HARD)) => {
            "HARD_REBOOT"
        }
        (vm::ACTIVE, Some(UPDATING_PASSWORD)) => "PASSWORD",
        (vm::ACTIVE | vm::STOPPED, Some(REBUILDING | REBUILD_SPAWNING)) => "REBUILD",
        (vm::ACTIVE | vm::STOPPED, Some(MIGRATING)) => "MIGRATING",
        (
            vm::ACTIVE | vm::STOPPED,
            Some(RESIZE_PREP | RESIZE_MIGRATING | RESIZE_MIGRATED | RESIZE_FINISH),
        ) => "RESIZE",
        (vm::ACTIVE, _) => "ACTIVE",
        (vm::BUILDING, _) => "BUILD",
        (vm::STOPPED, _) => "SHUTOFF",
        (vm::RESIZED, Some(RESIZE_REVERTING)) => "REVERT_RESIZE",
        (vm::RESIZED, _) => "VERIFY_RESIZE",
        (vm::PAUSED, _) => "PAUSED",
        (vm::SUSPENDED, _) => "SUSPENDED",
        (vm::RESCUED, _) => "RESCUE",
        (vm::ERROR, Some(RESIZE_REVERTING)) => "REVERT_RESIZE",
        (vm::ERROR, _) => "ERROR",
        (vm::DELETED, _) => "DELETED",
        (vm::SOFT_DELETED, _) => "SOFT_DELETED",
        (vm::SHELVED, _) => "SHELVED",
        (vm::SHELVED_OFFLOADED, _) => "SHELVED_OFFLOADED",
        _ => "UNKNOWN",
    }
}

/// The vm_states a `status` filter selects (nova's `task_and_vm_state_from_status`).
pub fn vm_states_for_status(wanted_status: &str) -> Vec<&'static str> {
    let wanted = wanted_status.to_ascii_uppercase();
    let all = [
        vm::ACTIVE,
        vm::BUILDING,
        vm::PAUSED,
        vm::SUSPENDED,
        vm::STOPPED,
        vm::RESCUED,
        vm::RESIZED,
        vm::SOFT_DELETED,
        vm::DELETED,
        vm::ERROR,
        vm::SHELVED,
        vm::SHELVED_OFFLOADED,
    ];
    let tasks: [Option<&str>; 8] = [
        None,
        Some(task::REBOOTING),
        Some(task::REBOOTING_HARD),
        Some(task::REBUILDING),
        Some(task::MIGRATING),
        Some(task::RESIZE_PREP),
        Some(task::RESIZE_REVERTING),
        Some(task::UPDATING_PASSWORD),
    ];
    all.into_iter()
        .filter(|vm| tasks.iter().any(|t| status(vm, *t) == wanted))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_states_to_statuses() {
        assert_eq!(status(vm::BUILDING, Some(task::SCHEDULING)), "BUILD");
        assert_eq!(status(vm::ACTIVE, None), "ACTIVE");
        assert_eq!(
            status(vm::ACTIVE, Some(task::REBOOTING_HARD)),
            "HARD_REBOOT"
        );
        assert_eq!(status(vm::STOPPED, None), "SHUTOFF");
        assert_eq!(status(vm::RESIZED, None), "VERIFY_RESIZE");
        assert_eq!(status(vm::ACTIVE, Some(task::RESIZE_MIGRATING)), "RESIZE");
        assert_eq!(status(vm::ACTIVE, Some(task::POWERING_OFF)), "ACTIVE");
    }

    #[test]
    fn status_filters_select_vm_states() {
        assert_eq!(vm_states_for_status("active"), vec![vm::ACTIVE]);
        assert_eq!(vm_states_for_status("SHUTOFF"), vec![vm::STOPPED]);
        assert_eq!(vm_states_for_status("REBOOT"), vec![vm::ACTIVE]);
        assert!(vm_states_for_status("bogus").is_empty());
    }
}
