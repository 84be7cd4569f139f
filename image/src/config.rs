//! Image options, named as in glance-api.conf.

use compat_api::config::{Config, ConfigError};
use std::path::{Path, PathBuf};

/// glance's `image_size_cap` default: 1 TiB.
const DEFAULT_SIZE_CAP: u64 = 1_099_511_627_776;

#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// `[image_database] connection`, else `[database] connection`, else
    /// `image.db` in the data directory.
    pub database_url: String,
    pub max_db_connections: u32,
    /// `[glance_store] filesystem_store_datadir`
    pub filesystem_store_datadir: PathBuf,
    /// `[DEFAULT] image_size_cap`, bytes
    pub image_size_cap: u64,
    /// `[DEFAULT] user_storage_quota`, bytes per owner; 0 is unlimited.
    pub user_storage_quota: u64,
    /// `[DEFAULT] limit_param_default`
    pub limit_param_default: usize,
    /// `[DEFAULT] api_limit_max`
    pub api_limit_max: usize,
    /// `[DEFAULT] image_property_quota`; negative is unlimited.
    pub image_property_quota: i64,
    /// `[DEFAULT] image_tag_quota`; negative is unlimited.
    pub image_tag_quota: i64,
    /// `[DEFAULT] image_member_quota`; negative is unlimited.
    pub image_member_quota: i64,
    /// `[DEFAULT] show_image_direct_url`
    pub show_image_direct_url: bool,
    /// `[DEFAULT] show_multiple_locations` (admin only, as upstream's policy)
    pub show_multiple_locations: bool,
    /// `[DEFAULT] delayed_delete`: deleted images wait in `pending_delete`.
    pub delayed_delete: bool,
    /// `[DEFAULT] scrub_time`, seconds an image stays `pending_delete`.
    pub scrub_time_s: u64,
    /// `[DEFAULT] enabled_import_methods`
    pub enabled_import_methods: Vec<String>,
    /// `[DEFAULT] disk_formats` (`[image_format] disk_formats` upstream)
    pub disk_formats: Vec<String>,
    /// `[image_format] container_formats`
    pub container_formats: Vec<String>,
    /// `[DEFAULT] public_endpoint`
    pub public_endpoint: Option<String>,
}

fn list(conf: &Config, section: &str, option: &str, default: &[&str]) -> Vec<String> {
    match conf.get(section, option) {
        Some(text) => text
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|s| s.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

impl ImageConfig {
    pub fn from_config(conf: &Config, data_dir: &Path) -> Result<Self, ConfigError> {
        let default_db = format!("sqlite:///{}", data_dir.join("image.db").display());
        let database_url = conf
            .get("image_database", "connection")
            .or_else(|| conf.get("database", "connection"))
            .unwrap_or(default_db);
        Ok(ImageConfig {
            database_url,
            max_db_connections: conf.get_or("database", "max_pool_size", 8u32)?,
            filesystem_store_datadir: conf
                .get("glance_store", "filesystem_store_datadir")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("images")),
            image_size_cap: conf.get_or("DEFAULT", "image_size_cap", DEFAULT_SIZE_CAP)?,
            user_storage_quota: conf.get_or("DEFAULT", "user_storage_quota", 0u64)?,
            limit_param_default: conf.get_or("DEFAULT", "limit_param_default", 25usize)?,
            api_limit_max: conf.get_or("DEFAULT", "api_limit_max", 1000usize)?,
            image_property_quota: conf.get_or("DEFAULT", "image_property_quota", 128i64)?,
            image_tag_quota: conf.get_or("DEFAULT", "image_tag_quota", 128i64)?,
            image_member_quota: conf.get_or("DEFAULT", "image_member_quota", 128i64)?,
            show_image_direct_url: conf.get_bool("DEFAULT", "show_image_direct_url", false)?,
            show_multiple_locations: conf.get_bool("DEFAULT", "show_multiple_locations", false)?,
            delayed_delete: conf.get_bool("DEFAULT", "delayed_delete", false)?,
            scrub_time_s: conf.get_or("DEFAULT", "scrub_time", 0u64)?,
            enabled_import_methods: list(
                conf,
                "DEFAULT",
                "enabled_import_methods",
                &["glance-direct", "web-download"],
            ),
            disk_formats: list(
                conf,
                "image_format",
                "disk_formats",
                &[
                    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                    "ploop",
                ],
            ),
            container_formats: list(
                conf,
                "image_format",
                "container_formats",
                &[
                    "ami",
                    "ari",
                    "aki",
                    "bare",
                    "ovf",
                    "ova",
                    "docker",
                    "compressed",
                ],
            ),
            public_endpoint: conf.get("DEFAULT", "public_endpoint"),
        })
    }
}
