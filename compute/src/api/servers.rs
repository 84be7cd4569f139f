//! `/servers`: create, list (brief and detail), show, update, delete, and
//! the read-only sub-resources (`ips`, `metadata`, `os-instance-actions`).

use super::error::{bad_request, not_found};
use super::views::{self, Extras};
use super::{ApiResult, Req, Svc};
use crate::instances::{self, Instance, NetworkRequest, RequestedNetwork};
use crate::servers::ServerCreate;
use crate::states;
use crate::store::{self, instances::ListQuery};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::query::Query;
use compat_api::ApiError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub(super) fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

pub(super) fn string(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match field(body, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad_request(format!(
            "Invalid input for field/attribute {key}. Value: {other}. {other} is not of type 'string'"
        ))),
    }
}

/// A string field that may be null to clear it: `Some(None)`.
pub(super) fn nullable(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Option<String>>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(other) => Err(bad_request(format!(
            "Invalid input for field/attribute {key}. Value: {other}. {other} is not of type 'string', 'null'"
        ))),
    }
}

/// `accessIPv4`/`accessIPv6`: an address of that family (stored in its
/// canonical form, as nova does) or the empty string.
pub(super) fn access_ip(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = string(body, key)? else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(Some(text));
    }
    let canonical = if key == "accessIPv6" {
        text.parse::<std::net::Ipv6Addr>()
            .map(|a| a.to_string())
            .ok()
    } else {
        text.parse::<std::net::Ipv4Addr>()
            .map(|a| a.to_string())
            .ok()
    };
    let family = if key == "accessIPv6" { "ipv6" } else { "ipv4" };
    canonical.map(Some).ok_or_else(|| {
        bad_request(format!(
            "Invalid input for field/attribute {key}. Value: {text}. '{text}' is not a '{family}'"
        ))
    })
}

pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.chars().count() > 255
        || name.trim() != name
        || name.chars().any(char::is_control)
    {
        return Err(bad_request(
            "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
        ));
    }
    Ok(())
}

fn count(body: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    let v = match field(body, key) {
        None => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match v {
        Some(n) if n >= 1 => Ok(Some(n)),
        _ => Err(bad_request(format!(
            "Invalid input for field/attribute {key}. Value: {}. must be a positive integer",
            body[key]
        ))),
    }
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

fn parse_networks(
    req: &Req,
    body: &Map<String, Value>,
) -> Result<Option<NetworkRequest>, ApiError> {
    let Some(v) = field(body, "networks") else {
        if req.at_least(37) {
            return Err(bad_request(
                "Invalid input for field/attribute server. 'networks' is a required property",
            ));
        }
        return Ok(None);
    };
    match v {
        Value::String(s) if req.at_least(37) && s == "auto" => return Ok(Some(NetworkRequest::Auto)),
        Value::String(s) if req.at_least(37) && s == "none" => return Ok(Some(NetworkRequest::None)),
        Value::Array(_) => {}
        other => {
            return Err(bad_request(format!(
                "Invalid input for field/attribute networks. Value: {other}. {other} is not valid under any of the given schemas"
            )))
        }
    }
    let mut out = Vec::new();
    for item in v.as_array().into_iter().flatten() {
        let Some(obj) = item.as_object() else {
            return Err(bad_request("Bad networks format"));
        };
        let port = string(obj, "port")?;
        let uuid = string(obj, "uuid")?;
        let fixed_ip = string(obj, "fixed_ip")?;
        if let (Some(p), Some(ip)) = (&port, &fixed_ip) {
            return Err(bad_request(format!(
                "Specified Fixed IP '{ip}' cannot be used with port '{p}': the two cannot be specified together."
            )));
        }
        if let Some(ip) = &fixed_ip {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err(bad_request(format!("Invalid fixed IP address ({ip})")));
            }
        }
        match (&port, &uuid) {
            (Some(p), _) if !is_uuid(p) => {
                return Err(bad_request(format!(
                    "Bad networks format: port uuid is not in proper format ({p})"
                )))
            }
            (None, None) => return Err(bad_request("Bad network format: missing 'uuid'")),
            (None, Some(u)) if !is_uuid(u) => {
                return Err(bad_request(format!(
                    "Bad networks format: network uuid is not in proper format ({u})"
                )))
            }
            _ => {}
        }
        out.push(RequestedNetwork {
            network_id: if port.is_some() { None } else { uuid },
            port_id: port,
            fixed_ip,
        });
    }
    Ok(Some(NetworkRequest::List(out)))
}

/// The image a request boots from: `imageRef`, or the image of a
/// `block_device_mapping_v2` entry with `source_type: image` (as
/// openstackclient sends it); `""` means boot from a volume.
fn image_ref(body: &Map<String, Value>) -> Result<String, ApiError> {
    if field(body, "block_device_mapping").is_some()
        && field(body, "block_device_mapping_v2").is_some()
    {
        return Err(bad_request(
            "Using different block_device_mapping syntaxes is not allowed in the same request.",
        ));
    }
    let image = string(body, "imageRef")?.unwrap_or_default();
    let image = image.rsplit('/').next().unwrap_or_default().to_owned();
    let bdm_image = field(body, "block_device_mapping_v2")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter().find(|b| {
                b.get("source_type").and_then(Value::as_str) == Some("image")
                    && b.get("destination_type")
                        .and_then(Value::as_str)
                        .unwrap_or("local")
                        == "local"
            })
        })
        .and_then(|b| b.get("uuid").and_then(Value::as_str))
        .map(str::to_owned);
    let has_volume_bdm = field(body, "block_device_mapping").is_some()
        || field(body, "block_device_mapping_v2")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter()
                    .any(|b| b.get("destination_type").and_then(Value::as_str) == Some("volume"))
            });
    if has_volume_bdm {
        return Err(bad_request(
            "Booting from a volume is not available yet: this cloud has no block storage service.",
        ));
    }
    let chosen = if image.is_empty() {
        bdm_image.unwrap_or_default()
    } else {
        image
    };
    if chosen.is_empty() {
        return Err(bad_request("Missing imageRef attribute"));
    }
    if !is_uuid(&chosen) {
        return Err(bad_request(format!("Invalid imageRef provided: {chosen}")));
    }
    Ok(chosen)
}

fn parse_create(req: &Req, whole: &Value) -> Result<ServerCreate, ApiError> {
    let body = whole
        .get("server")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request("Invalid input for field/attribute server. 'server' is a required property")
        })?;
    let name = string(body, "name")?.ok_or_else(|| {
        bad_request("Invalid input for field/attribute server. 'name' is a required property")
    })?;
    check_name(&name)?;
    let flavor_ref = match field(body, "flavorRef") {
        Some(Value::String(s)) if !s.is_empty() => {
            s.rsplit('/').next().unwrap_or_default().to_owned()
        }
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(bad_request(
                "Invalid input for field/attribute server. 'flavorRef' is a required property",
            ))
        }
    };
    if field(body, "personality").is_some() && req.at_least(57) {
        return Err(bad_request("Invalid input for field/attribute server. Additional properties are not allowed ('personality' was unexpected)"));
    }
    let min_count = count(body, "min_count")?.unwrap_or(1);
    let max_count = count(body, "max_count")?.unwrap_or(min_count);
    if min_count > max_count {
        return Err(bad_request("min_count must be <= max_count"));
    }
    let metadata: BTreeMap<String, Value> = match field(body, "metadata") {
        None => BTreeMap::new(),
        Some(Value::Object(m)) => m.clone().into_iter().collect(),
        Some(_) => {
            return Err(bad_request(
                "Invalid input for field/attribute metadata. Value is not of type 'object'",
            ))
        }
    };
    let metadata = instances::check_metadata(&metadata)?;
    let security_groups: Vec<String> = match field(body, "security_groups") {
        None => vec!["default".into()],
        Some(Value::Array(list)) => {
            let mut names: Vec<String> = Vec::new();
            for g in list {
                let n = g.get("name").and_then(Value::as_str).ok_or_else(|| {
                    bad_request("Invalid input for field/attribute security_groups.")
                })?;
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_owned());
                }
            }
            names
        }
        Some(_) => {
            return Err(bad_request(
                "Invalid input for field/attribute security_groups.",
            ))
        }
    };
    let tags: Vec<String> = match (field(body, "tags"), req.at_least(52)) {
        (None, _) => Vec::new(),
        (Some(Value::Array(list)), true) => instances::check_tags(list)?,
        _ => return Err(bad_request("Invalid input for field/attribute tags.")),
    };
    let user_data = string(body, "user_data")?;
    if let Some(data) = &user_data {
        use base64::Engine;
        if data.len() > 65535
            || base64::engine::general_purpose::STANDARD
                .decode(data)
                .is_err()
        {
            return Err(bad_request("Invalid input for field/attribute user_data. Value must be base64 encoded, at most 65535 characters"));
        }
    }
    let hints = whole
        .get("os:scheduler_hints")
        .or_else(|| whole.get("OS-SCH-HNT:scheduler_hints"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let description = match (field(body, "description"), req.at_least(19)) {
        (Some(Value::String(d)), true) => Some(d.clone()),
        (_, false) => Some(name.clone()),
        _ => None,
    };
    let hostname = if req.at_least(90) {
        string(body, "hostname")?
    } else {
        None
    };
    if hostname.is_some() && max_count > 1 {
        return Err(bad_request(
            "Unable to allocate a single hostname to multiple instances",
        ));
    }
    let config_drive = match field(body, "config_drive") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on" | "y" | "t"
        ),
        _ => false,
    };
    Ok(ServerCreate {
        image_ref: image_ref(body)?,
        networks: parse_networks(req, body)?,
        key_name: string(body, "key_name")?,
        availability_zone: string(body, "availability_zone")?,
        access_ipv4: access_ip(body, "accessIPv4")?,
        access_ipv6: access_ip(body, "accessIPv6")?,
        admin_pass: string(body, "adminPass")?,
        name,
        description,
        flavor_ref,
        user_data,
        metadata,
        security_groups,
        min_count,
        max_count,
        tags,
        hostname,
        config_drive,
        scheduler_hints: hints,
    })
}

pub async fn create_server(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    let whole = body.into_inner();
    let create = parse_create(&req, &whole)?;
    let return_reservation = whole
        .get("server")
        .and_then(|s| s.get("return_reservation_id"))
        .is_some_and(|v| {
            v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
        });
    let admin_pass = create.admin_pass.clone();
    let groups = create.security_groups.clone();
    let svc = svc.into_inner();
    let created = svc.create_servers(&req.ctx, create).await?;
    if return_reservation {
        return Ok(HttpResponse::Accepted().json(json!({"reservation_id": created.reservation_id})));
    }
    let first = created
        .instances
        .first()
        .ok_or_else(|| bad_request("nothing was created"))?;
    let mut server = json!({
        "id": first.id(),
        "links": views::links(&req, "servers", first.id()),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": groups.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(),
    });
    if svc.conf.enable_instance_password {
        server["adminPass"] = json!(admin_pass.unwrap_or_else(crate::servers::generate_password));
    }
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("{}/servers/{}", req.url, first.id()),
        ))
        .json(json!({"server": server})))
}

const ALWAYS_ALLOWED: &[&str] = &["limit", "marker", "sort_key", "sort_dir"];

/// The query parameters a project member may filter by at this version.
fn user_filters(req: &Req) -> Vec<&'static str> {
    let mut f = vec![
        "reservation_id",
        "name",
        "status",
        "image",
        "flavor",
        "ip",
        "changes-since",
        "all_tenants",
    ];
    let gated: &[(u16, &[&'static str])] = &[
        (5, &["ip6"]),
        (26, &["tags", "tags-any", "not-tags", "not-tags-any"]),
        (66, &["changes-before"]),
        (73, &["locked"]),
        (
            83,
            &[
                "availability_zone",
                "config_drive",
                "key_name",
                "created_at",
                "launched_at",
                "terminated_at",
                "power_state",
                "task_state",
                "vm_state",
                "progress",
                "user_id",
            ],
        ),
        (90, &["hostname"]),
    ];
    for (v, names) in gated {
        if req.at_least(*v) {
            f.extend_from_slice(names);
        }
    }
    f
}

const ADMIN_FILTERS: &[&str] = &[
    "host",
    "node",
    "deleted",
    "project_id",
    "tenant_id",
    "soft_deleted",
    "uuid",
    "display_name",
    "image_ref",
    "launch_index",
    "kernel_id",
    "ramdisk_id",
    "description",
    "display_description",
    "locked_by",
    "root_device_name",
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "created_at",
];

fn regex_match(pattern: &str, text: &str) -> bool {
    match regex_lite::Regex::new(pattern) {
        Ok(re) => re.is_match(text),
        Err(_) => text.contains(pattern),
    }
}

async fn list(req: Req, svc: Svc, http: HttpRequest, detail: bool) -> ApiResult {
    let q = Query::parse(&http)?;
    let allowed = user_filters(&req);
    if req.at_least(75) {
        if let Some((k, _)) = q.0.iter().find(|(k, _)| {
            !allowed.contains(&k.as_str())
                && !ALWAYS_ALLOWED.contains(&k.as_str())
                && !ADMIN_FILTERS.contains(&k.as_str())
        }) {
            return Err(bad_request(format!("Invalid input for query parameters {k}. Additional properties are not allowed ('{k}' was unexpected)")));
        }
    }
    // A project member's other filters are ignored, as nova does.
    let usable = |k: &str| req.ctx.is_admin || allowed.contains(&k);
    let get = |k: &str| if usable(k) { q.get(k) } else { None };
    let all_tenants = match q.get("all_tenants") {
        None => false,
        Some(v) => {
            let on = v.is_empty()
                || !matches!(
                    v.to_ascii_lowercase().as_str(),
                    "false" | "0" | "no" | "off" | "n" | "f"
                );
            if on && !req.ctx.is_admin {
                return Err(ApiError::forbidden("Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.").with_format(compat_api::ErrorFormat::Nova));
            }
            on
        }
    };
    let deleted = get("deleted")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"));
    let mut lq = ListQuery {
        project_id: if all_tenants {
            get("project_id").or_else(|| get("tenant_id"))
        } else {
            Some(req.ctx.project_id.clone())
        },
        deleted: deleted.filter(|d| *d),
        host: get("host"),
        image_ref: get("image"),
        reservation_id: get("reservation_id"),
        ..Default::default()
    };
    if let Some(status) = get("status") {
        if status.eq_ignore_ascii_case("deleted") && !req.ctx.is_admin {
            return Err(
                ApiError::forbidden("Only administrators may list deleted instances")
                    .with_format(compat_api::ErrorFormat::Nova),
            );
        }
        let states = states::vm_states_for_status(&status);
        if states.is_empty() {
            if req.at_least(38) {
                return Err(bad_request("Invalid status value"));
            }
            return Ok(HttpResponse::Ok().json(json!({"servers": []})));
        }
        if status.eq_ignore_ascii_case("deleted") {
            lq.deleted = Some(true);
        }
        lq.vm_states = Some(states.into_iter().map(str::to_owned).collect());
    }
    let parse_time = |k: &str| -> Result<Option<i64>, ApiError> {
        match get(k) {
            None => Ok(None),
            Some(v) => compat_api::time::parse_iso(&v)
                .map(Some)
                .ok_or_else(|| bad_request(format!("Invalid input for query parameters {k}. Value: {v}. '{v}' is not a 'date-time'"))),
        }
    };
    lq.changes_since = parse_time("changes-since")?;
    lq.changes_before = parse_time("changes-before")?;
    if let (Some(s), Some(b)) = (lq.changes_since, lq.changes_before) {
        if s > b {
            return Err(bad_request(
                "The value of changes-since must be less than or equal to changes-before.",
            ));
        }
    }
    let max = svc.conf.max_limit.max(1);
    let limit = match q.get("limit") {
        None => max,
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| bad_request(format!("Invalid input for query parameters limit. Value: {v}. '{v}' does not match '^[0-9]*$'")))?.min(max),
    };
    let marker = q.get("marker");
    let name = get("name");
    let flavor = get("flavor");
    let ip = get("ip");
    let ip6 = get("ip6");
    let tags = get("tags").map(|t| t.split(',').map(str::to_owned).collect::<Vec<_>>());
    let tags_any = get("tags-any").map(|t| t.split(',').map(str::to_owned).collect::<Vec<_>>());
    let not_tags = get("not-tags").map(|t| t.split(',').map(str::to_owned).collect::<Vec<_>>());
    let not_tags_any =
        get("not-tags-any").map(|t| t.split(',').map(str::to_owned).collect::<Vec<_>>());
    let in_memory = name.is_some()
        || flavor.is_some()
        || ip.is_some()
        || ip6.is_some()
        || tags.is_some()
        || tags_any.is_some()
        || not_tags.is_some()
        || not_tags_any.is_some();
    let rows = svc
        .read(move |c| {
            if let Some(m) = &marker {
                let row = store::instances::get(c, m)?
                    .ok_or_else(|| crate::Error::bad_request(format!("marker [{m}] not found")))?;
                lq.after = Some((row.created_at, row.id));
            }
            if !in_memory {
                lq.limit = Some(limit);
            }
            Ok(store::instances::list(c, &lq)?)
        })
        .await?;
    let keep = |i: &Instance| -> bool {
        let ips = || i.vifs.iter().flat_map(|v| v.ips.iter());
        name.as_ref().is_none_or(|n| regex_match(n, &i.row.name))
            && flavor.as_ref().is_none_or(|f| &i.flavor.id == f)
            && ip
                .as_ref()
                .is_none_or(|p| ips().any(|a| a.version == 4 && regex_match(p, &a.address)))
            && ip6
                .as_ref()
                .is_none_or(|p| ips().any(|a| a.version == 6 && regex_match(p, &a.address)))
            && tags
                .as_ref()
                .is_none_or(|t| t.iter().all(|x| i.tags.contains(x)))
            && tags_any
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| i.tags.contains(x)))
            && not_tags
                .as_ref()
                .is_none_or(|t| !t.iter().all(|x| i.tags.contains(x)))
            && not_tags_any
                .as_ref()
                .is_none_or(|t| !t.iter().any(|x| i.tags.contains(x)))
    };
    let servers: Vec<Instance> = rows
        .into_iter()
        .map(Instance::from_row)
        .filter(keep)
        .take(limit as usize)
        .collect();
    let extras = Extras::default();
    let items: Vec<ServerListItem> = servers
        .iter()
        .map(|i| {
            if detail {
                ServerListItem::Detail(views::ServerView {
                    req: &req,
                    inst: i,
                    full: true,
                    extras: &extras,
                })
            } else {
                ServerListItem::Brief(json!({"id": i.id(), "name": i.row.name, "links": views::links(&req, "servers", i.id())}))
            }
        })
        .collect();
    let mut links = None;
    if limit > 0 && servers.len() as i64 == limit {
        if let Some(last) = servers.last() {
            let path = if detail { "servers/detail" } else { "servers" };
            let link =
                compat_api::pagination::next_link(&format!("{}/{path}", req.url), &q.0, last.id());
            links = Some(json!([link]));
        }
    }
    let body = ServerList {
        servers: items,
        servers_links: links,
    };
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize)]
#[serde(untagged)]
enum ServerListItem<'a> {
    Brief(Value),
    Detail(views::ServerView<'a>),
}

#[derive(Serialize)]
struct ServerList<'a> {
    servers: Vec<ServerListItem<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    servers_links: Option<Value>,
}

pub async fn list_servers(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, false).await
}

pub async fn list_servers_detail(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, true).await
}

/// The instance and what only its show view needs.
pub async fn load_full(
    req: &Req,
    svc: &crate::ComputeService,
    id: &str,
) -> Result<Value, ApiError> {
    let (ctx, id) = (req.ctx.clone(), id.to_owned());
    let (inst, extra, group) = svc
        .read(move |c| {
            let inst = instances::visible(c, &ctx, &id)?;
            let extra = instances::extra(c, &id)?;
            let group = store::server_groups::of_instance(c, &id)?;
            Ok((inst, extra, group))
        })
        .await?;
    let props: Value = serde_json::from_str(&extra.image_properties).unwrap_or_else(|_| json!({}));
    let hints: Value = serde_json::from_str::<Map<String, Value>>(&extra.scheduler_hints)
        .map(|m| {
            Value::Object(
                m.into_iter()
                    .filter(|(k, _)| !k.starts_with("_nova"))
                    .map(|(k, v)| match v {
                        Value::Array(_) => (k, v),
                        other => (
                            k,
                            json!([other
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| other.to_string())]),
                        ),
                    })
                    .collect(),
            )
        })
        .unwrap_or_else(|_| json!({}));
    let extras = Extras {
        image_properties: Some(&props),
        scheduler_hints: Some(&hints),
        user_data: extra.user_data.as_deref(),
        launch_index: Some(extra.launch_index),
        server_groups: Some(group.into_iter().collect()),
    };
    Ok(views::server(req, &inst, true, &extras))
}

pub async fn show_server(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let id = path.into_inner().0;
    let server = load_full(&req, &svc, &id).await?;
    Ok(HttpResponse::Ok().json(json!({ "server": server })))
}

pub async fn update_server(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let id = path.into_inner().0;
    let body = body.into_inner();
    let server = body
        .get("server")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            bad_request("Invalid input for field/attribute server. 'server' is a required property")
        })?;
    let name = string(&server, "name")?;
    if let Some(n) = &name {
        check_name(n)?;
    }
    let description = match server.get("description") {
        Some(_) if !req.at_least(19) => return Err(bad_request("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)")),
        Some(Value::Null) => Some(None),
        Some(Value::String(d)) if d.chars().count() <= 255 => Some(Some(d.clone())),
        Some(_) => return Err(bad_request("Invalid input for field/attribute description.")),
        None => None,
    };
    let hostname = if req.at_least(90) {
        string(&server, "hostname")?
    } else {
        None
    };
    let (v4, v6) = (
        access_ip(&server, "accessIPv4")?,
        access_ip(&server, "accessIPv6")?,
    );
    let (ctx, id2) = (req.ctx.clone(), id.clone());
    let inst = svc
        .write(move |c| {
            let mut inst = instances::visible_for_update(c, &ctx, &id2)?;
            if let Some(n) = name {
                inst.row.name = n;
            }
            if let Some(d) = description {
                inst.row.description = d;
            }
            if let Some(h) = hostname {
                inst.row.hostname = h;
            }
            if v4.is_some() {
                inst.row.access_ipv4 = v4;
            }
            if v6.is_some() {
                inst.row.access_ipv6 = v6;
            }
            instances::save(c, &mut inst)?;
            Ok(inst)
        })
        .await?;
    let view = if req.at_least(75) {
        load_full(&req, &svc, &id).await?
    } else {
        let id = inst.id().to_owned();
        let group = svc
            .read(move |c| Ok(store::server_groups::of_instance(c, &id)?))
            .await?;
        let extras = Extras {
            server_groups: Some(group.into_iter().collect()),
            ..Extras::default()
        };
        views::server(&req, &inst, false, &extras)
    };
    Ok(HttpResponse::Ok().json(json!({ "server": view })))
}

pub async fn delete_server(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let id = path.into_inner().0;
    svc.into_inner()
        .delete_or_soft_delete(&req.ctx, &id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_ips(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"addresses": views::addresses(&inst, false)})))
}

pub async fn show_ips(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    let (id, network) = path.into_inner();
    let ctx = req.ctx.clone();
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    let all = views::addresses(&inst, false);
    let list = all
        .get(&network)
        .cloned()
        .ok_or_else(|| not_found("Instance is not a member of specified network"))?;
    Ok(HttpResponse::Ok().json(json!({ network: list })))
}

pub async fn list_metadata(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"metadata": inst.metadata})))
}

fn action_view(req: &Req, a: &crate::store::models::InstanceActionRow, events: bool) -> Value {
    let mut v = json!({
        "action": a.action, "instance_uuid": a.instance_id, "request_id": a.request_id,
        "user_id": a.user_id, "project_id": a.project_id,
        "start_time": compat_api::time::iso_micros_naive(a.start_time), "message": a.message,
    });
    if req.at_least(58) {
        v["updated_at"] = json!(compat_api::time::iso_micros_naive(a.updated_at));
    }
    if events {
        let list: Vec<Value> = crate::actions::events(a)
            .iter()
            .map(|e| {
                let mut ev = json!({
                    "event": e.event,
                    "start_time": compat_api::time::iso_micros_naive(e.start_time),
                    "finish_time": e.finish_time.map(compat_api::time::iso_micros_naive),
                    "result": e.result,
                });
                if req.ctx.is_admin {
                    ev["traceback"] = Value::Null;
                }
                if req.at_least(62) {
                    ev["hostId"] = json!(if e.host.is_empty() {
                        String::new()
                    } else {
                        e.host.clone()
                    });
                    if req.ctx.is_admin {
                        ev["host"] = json!(e.host);
                    }
                }
                if req.at_least(84) {
                    ev["details"] = Value::Null;
                }
                ev
            })
            .collect();
        v["events"] = json!(list);
    }
    v
}

pub async fn list_instance_actions(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let rows = svc
        .read(move |c| crate::actions::list(c, &ctx, &id))
        .await?;
    let list: Vec<Value> = rows.iter().map(|a| action_view(&req, a, false)).collect();
    Ok(HttpResponse::Ok().json(json!({"instanceActions": list})))
}

pub async fn show_instance_action(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (id, request_id) = path.into_inner();
    let ctx = req.ctx.clone();
    let row = svc
        .read(move |c| crate::actions::show(c, &ctx, &id, &request_id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"instanceAction": action_view(&req, &row, true)})))
}
