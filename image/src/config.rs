//! Image options, named as in glance-api.conf.

use compat_api::config::{Config, ConfigError};
use std::path::{Path, PathBuf};

/// glance's `image_size_cap` default: 1 TiB.
const DEFAULT_SIZE_CAP: u64 = 1_099_511_627_776;

/// One entry of `[DEFAULT] enabled_backends` (multi-store).
#[derive(Debug, Clone, PartialEq)]
pub struct BackendConfig {
    pub id: String,
    /// `[<id>] filesystem_store_datadir`
    pub datadir: PathBuf,
    /// `[<id>] store_description`
    pub description: Option<String>,
}

/// `[import_filtering_opts]`: which URIs web-download may fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportFilter {
    pub allowed_schemes: Vec<String>,
    pub disallowed_schemes: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub disallowed_hosts: Vec<String>,
    /// Empty: every port not disallowed.
    pub allowed_ports: Vec<u16>,
    pub disallowed_ports: Vec<u16>,
}

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
    /// `[DEFAULT] wakeup_time` (glance-scrubber's), seconds between scrubs.
    pub scrub_wakeup_s: u64,
    /// `[DEFAULT] enabled_import_methods`
    pub enabled_import_methods: Vec<String>,
    /// `[DEFAULT] disk_formats` (`[image_format] disk_formats` upstream)
    pub disk_formats: Vec<String>,
    /// `[image_format] container_formats`
    pub container_formats: Vec<String>,
    /// `[DEFAULT] public_endpoint`
    pub public_endpoint: Option<String>,
    /// `[DEFAULT] enabled_backends` (`id:file`, ...); empty for a single store.
    pub backends: Vec<BackendConfig>,
    /// `[glance_store] default_backend`
    pub default_backend: Option<String>,
    /// `[os_glance_staging_store] filesystem_store_datadir`: where
    /// `glance-direct` keeps staged data until it is imported.
    pub staging_datadir: PathBuf,
    pub import_filter: ImportFilter,
    /// `[task] task_time_to_live`: hours a finished task is kept.
    pub task_time_to_live_h: u64,
    /// `[image] list_cache_size` (ferrostack's own): rendered list pages
    /// kept per process; 0 turns the cache off.
    pub list_cache_size: usize,
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
            scrub_wakeup_s: conf.get_or("DEFAULT", "wakeup_time", 300u64)?.max(1),
            enabled_import_methods: conf.get_list(
                "DEFAULT",
                "enabled_import_methods",
                &["glance-direct", "web-download"],
            ),
            disk_formats: conf.get_list(
                "image_format",
                "disk_formats",
                &[
                    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                    "ploop",
                ],
            ),
            container_formats: conf.get_list(
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
            backends: backends(conf, data_dir)?,
            default_backend: conf.get("glance_store", "default_backend"),
            staging_datadir: conf
                .get("os_glance_staging_store", "filesystem_store_datadir")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("staging")),
            list_cache_size: conf.get_or("image", "list_cache_size", 1024usize)?,
            task_time_to_live_h: conf.get_or("task", "task_time_to_live", 48u64)?,
            import_filter: ImportFilter {
                allowed_schemes: conf.get_list(FILTER, "allowed_schemes", &["http", "https"]),
                disallowed_schemes: conf.get_list(FILTER, "disallowed_schemes", &[]),
                allowed_hosts: conf.get_list(FILTER, "allowed_hosts", &[]),
                disallowed_hosts: conf.get_list(FILTER, "disallowed_hosts", &[]),
                allowed_ports: ports(conf, "allowed_ports", &["80", "443"])?,
                disallowed_ports: ports(conf, "disallowed_ports", &[])?,
            },
        })
    }
}

const FILTER: &str = "import_filtering_opts";

fn ports(conf: &Config, option: &str, default: &[&str]) -> Result<Vec<u16>, ConfigError> {
    conf.get_list(FILTER, option, default)
        .into_iter()
        .map(|p| {
            p.parse().map_err(|_| ConfigError::Invalid {
                section: FILTER.into(),
                option: option.into(),
                value: p.clone(),
                reason: "not a port number".into(),
            })
        })
        .collect()
}

/// `enabled_backends = fast:file, cheap:file`; only the file store exists.
fn backends(conf: &Config, data_dir: &Path) -> Result<Vec<BackendConfig>, ConfigError> {
    conf.get_list("DEFAULT", "enabled_backends", &[])
        .into_iter()
        .map(|entry| {
            let (id, kind) = entry.split_once(':').unwrap_or((entry.as_str(), "file"));
            let (id, kind) = (id.trim(), kind.trim());
            if kind != "file" || id.is_empty() {
                return Err(ConfigError::Invalid {
                    section: "DEFAULT".into(),
                    option: "enabled_backends".into(),
                    value: entry.clone(),
                    reason: "only file stores (`<id>:file`) are supported".into(),
                });
            }
            Ok(BackendConfig {
                id: id.to_owned(),
                datadir: conf
                    .get(id, "filesystem_store_datadir")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("images").join(id)),
                description: conf.get(id, "store_description"),
            })
        })
        .collect()
}
