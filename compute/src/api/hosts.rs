//! What the cloud is made of: `os-availability-zone`, `os-hypervisors`
//! and `os-services`.

use super::error::{bad_request, not_found, not_implemented};
use super::{ApiResult, Req, Svc};
use crate::instances::Instance;
use crate::scheduler::{claims, HostState};
use crate::store;
use crate::store::models::{ComputeNodeRow, ServiceRow};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::pagination::{next_link, PageRequest};
use compat_api::query::Query;
use compat_api::time::iso_micros_naive;
use compat_api::{ApiError, ErrorFormat};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

pub(super) fn is_up(svc: &Svc, s: &ServiceRow) -> bool {
    s.is_up(
        compat_api::time::now_us(),
        svc.conf.service_down_time.as_micros() as i64,
    )
}

/// Every service, in order, with the zone its host is in (an aggregate's,
/// or the default zone).
pub(super) async fn services_with_zones(svc: &Svc) -> Result<Vec<(ServiceRow, String)>, ApiError> {
    let (services, aggregates) = svc
        .read(|c| Ok((store::services::all(c)?, crate::aggregates::all(c)?)))
        .await?;
    let zones = crate::aggregates::host_zones(&aggregates);
    Ok(services
        .into_iter()
        .map(|s| {
            let zone = zones
                .get(&s.host)
                .cloned()
                .unwrap_or_else(|| svc.conf.default_availability_zone.clone());
            (s, zone)
        })
        .collect())
}

/// Compute services by the zone their host is in.
async fn services_by_zone(svc: &Svc) -> Result<BTreeMap<String, Vec<ServiceRow>>, ApiError> {
    let mut out: BTreeMap<String, Vec<ServiceRow>> = BTreeMap::new();
    for (s, zone) in services_with_zones(svc).await? {
        out.entry(zone).or_default().push(s);
    }
    Ok(out)
}

pub async fn list_availability_zones(_req: Req, svc: Svc) -> ApiResult {
    let zones = services_by_zone(&svc).await?;
    let list: Vec<Value> = zones
        .iter()
        .map(|(zone, services)| {
            let available = services.iter().any(|s| !s.disabled);
            json!({"zoneName": zone, "zoneState": {"available": available}, "hosts": null})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "availabilityZoneInfo": list })))
}

pub async fn list_availability_zones_detail(req: Req, svc: Svc) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-availability-zone:detail")?;
    let zones = services_by_zone(&svc).await?;
    let mut list: Vec<Value> = Vec::new();
    for (zone, services) in &zones {
        let mut hosts = serde_json::Map::new();
        for s in services {
            let entry = hosts.entry(s.host.clone()).or_insert_with(|| json!({}));
            entry[&s.service_binary] = json!({
                "available": !s.disabled && is_up(&svc, s),
                "active": !s.disabled,
                "updated_at": s.last_seen_up.map(iso_micros_naive),
            });
        }
        let available = services.iter().any(|s| !s.disabled);
        list.push(json!({"zoneName": zone, "zoneState": {"available": available}, "hosts": hosts}));
    }
    list.push(json!({
        "zoneName": svc.conf.internal_service_availability_zone,
        "zoneState": {"available": true},
        "hosts": {},
    }));
    Ok(HttpResponse::Ok().json(json!({ "availabilityZoneInfo": list })))
}

/// nova's answer to a route its requested microversion does not have.
pub(super) fn no_such_route() -> ApiError {
    not_found("The resource could not be found.")
}

/// A compute node's figures as nova's resource tracker reports them: the
/// memory used counts what is reserved for the host.
pub(super) struct NodeUsage {
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub free_ram_mb: i64,
    pub free_disk_gb: i64,
    pub running_vms: i64,
}

impl NodeUsage {
    pub(super) fn of(node: &Node) -> NodeUsage {
        let n = node.row;
        let used = node.state.map(|h| h.used).unwrap_or_default();
        NodeUsage {
            vcpus_used: used.vcpus.into(),
            memory_mb_used: i64::from(used.memory_mb) + i64::from(n.reserved_host_memory_mb),
            local_gb_used: used.disk_gb.into(),
            free_ram_mb: i64::from(n.memory_mb)
                - i64::from(n.reserved_host_memory_mb)
                - i64::from(used.memory_mb),
            free_disk_gb: i64::from(n.local_gb) - i64::from(used.disk_gb),
            running_vms: node.state.map_or(0, |h| h.instances as i64),
        }
    }
}

/// A compute node, the scheduler's view of it and its host's
/// `nova-compute` service.
pub(super) struct Node<'a> {
    pub row: &'a ComputeNodeRow,
    pub state: Option<&'a HostState>,
    pub service: Option<&'a ServiceRow>,
}

/// Every node (in the order they were first reported), the scheduler's
/// view of each, and the services.
pub(super) struct Inventory {
    nodes: Vec<ComputeNodeRow>,
    states: Vec<HostState>,
    services: Vec<ServiceRow>,
}

impl Inventory {
    pub(super) async fn load(svc: &Svc) -> Result<Inventory, ApiError> {
        let (nodes, states, services) = svc
            .read(|c| {
                Ok((
                    store::nodes::all(c)?,
                    claims::host_states(c)?,
                    store::services::all(c)?,
                ))
            })
            .await?;
        Ok(Inventory {
            nodes,
            states,
            services,
        })
    }

    pub(super) fn nodes(&self) -> impl Iterator<Item = Node<'_>> {
        self.nodes.iter().map(|row| Node {
            row,
            state: self.states.iter().find(|h| h.node_id == row.id),
            service: self
                .services
                .iter()
                .find(|s| s.host == row.host && s.service_binary == crate::agent::BINARY),
        })
    }

    /// The node with the id the request's microversion shows.
    fn find(&self, req: &Req, id: &str) -> Option<Node<'_>> {
        self.nodes().find(|n| hypervisor_id(req, n.row) == id)
    }

    /// Nodes whose hypervisor hostname matches `pattern` as nova's SQL
    /// `LIKE '%pattern%'` would; none is a 404.
    fn matching(&self, pattern: &str) -> Result<Vec<Node<'_>>, ApiError> {
        let found: Vec<Node<'_>> = self
            .nodes()
            .filter(|n| like(&format!("%{pattern}%"), &n.row.hypervisor_hostname))
            .collect();
        if found.is_empty() {
            return Err(not_found(format!(
                "No hypervisor matching '{pattern}' could be found."
            )));
        }
        Ok(found)
    }
}

/// SQL `LIKE` as MySQL and SQLite apply it to ASCII: `%` is any run of
/// characters, `_` any one, letters match either case.
fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // matched[j]: the pattern so far matches the first j characters.
    let mut matched = vec![false; t.len() + 1];
    matched[0] = true;
    for pc in &p {
        let mut next = vec![false; t.len() + 1];
        match pc {
            '%' => {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= matched[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 0..t.len() {
                    next[j + 1] = matched[j] && (*pc == '_' || pc.eq_ignore_ascii_case(&t[j]));
                }
            }
        }
        matched = next;
    }
    matched[t.len()]
}

/// The live instances on each of `hosts`, oldest first.
pub(super) async fn instances_on(
    svc: &Svc,
    hosts: Vec<String>,
) -> Result<HashMap<String, Vec<Instance>>, ApiError> {
    Ok(svc
        .read(move |c| {
            let mut out = HashMap::new();
            for host in hosts {
                let mut rows = store::instances::on_host(c, &host)?;
                rows.sort_by_key(|r| r.created_at);
                out.insert(host, rows.into_iter().map(Instance::from_row).collect());
            }
            Ok(out)
        })
        .await?)
}

/// What `uptime` prints on a host: the fake driver's hosts came up with
/// this process, run no one's session and carry no load. Only hosts whose
/// agent runs in this process can be asked (nova asks the host's compute
/// service); for the others this is 501, as nova answers for a driver
/// that cannot tell. A host whose service is down is a 400, as in nova.
fn host_uptime(svc: &Svc, node: &Node) -> Result<String, ApiError> {
    let host = &node.row.host;
    if !node.service.is_some_and(|s| is_up(svc, s)) {
        return Err(bad_request(format!(
            "Compute service of {host} is unavailable at this time."
        )));
    }
    if svc.agent(host).is_none() {
        return Err(not_implemented());
    }
    let now = compat_api::time::now_us();
    Ok(uptime_text(now, (now - svc.started_at) / 1_000_000))
}

/// procps' `uptime` line for a host up `secs` seconds at `now_us`.
fn uptime_text(now_us: i64, secs: i64) -> String {
    let clock = chrono::DateTime::from_timestamp_micros(now_us)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default();
    let secs = secs.max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let mut up = String::new();
    if days > 0 {
        up.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    if hours > 0 {
        up.push_str(&format!("{hours:2}:{minutes:02}"));
    } else {
        up.push_str(&format!("{minutes} min"));
    }
    format!(" {clock} up {up},  0 users,  load average: 0.00, 0.00, 0.00")
}

fn hypervisor_id(req: &Req, n: &ComputeNodeRow) -> String {
    if req.at_least(53) {
        n.id.clone()
    } else {
        n.seq.to_string()
    }
}

/// A hypervisor: the short view, or the detailed one of list detail and
/// show (its figures until 2.88, its uptime from then).
fn hypervisor(req: &Req, svc: &Svc, node: &Node, detail: bool) -> Value {
    let (n, service) = (node.row, node.service);
    let up = service.is_some_and(|s| is_up(svc, s));
    let mut v = json!({
        "id": if req.at_least(53) { json!(n.id) } else { json!(n.seq) },
        "hypervisor_hostname": n.hypervisor_hostname,
        "state": if up { "up" } else { "down" },
        "status": if service.is_some_and(|s| s.disabled) { "disabled" } else { "enabled" },
    });
    if !detail {
        return v;
    }
    v["hypervisor_type"] = json!(n.hypervisor_type);
    v["hypervisor_version"] = json!(n.hypervisor_version);
    v["host_ip"] = json!(n.host_ip);
    v["service"] = json!({
        "host": n.host,
        "id": service.map(|s| if req.at_least(53) { json!(s.id) } else { json!(s.seq) }),
        "disabled_reason": service.and_then(|s| s.disabled_reason.clone()),
    });
    if !req.at_least(88) {
        let u = NodeUsage::of(node);
        v["vcpus"] = json!(n.vcpus);
        v["memory_mb"] = json!(n.memory_mb);
        v["local_gb"] = json!(n.local_gb);
        v["vcpus_used"] = json!(u.vcpus_used);
        v["memory_mb_used"] = json!(u.memory_mb_used);
        v["local_gb_used"] = json!(u.local_gb_used);
        v["free_ram_mb"] = json!(u.free_ram_mb);
        v["free_disk_gb"] = json!(u.free_disk_gb);
        v["current_workload"] = json!(0);
        v["running_vms"] = json!(u.running_vms);
        v["disk_available_least"] = json!(u.free_disk_gb);
        // A JSON text before 2.28, an object from it.
        v["cpu_info"] = if req.at_least(28) {
            json!({})
        } else {
            json!("{}")
        };
    } else {
        // nova leaves it null when the host cannot be asked.
        v["uptime"] = json!(host_uptime(svc, node).ok());
    }
    v
}

/// The servers on a node's host (nova's instance names and uuids): listed
/// if there are any, and from 2.75 always when `with_servers` asked.
fn add_servers(req: &Req, v: &mut Value, servers: &[Instance], asked: bool) {
    if !servers.is_empty() || (asked && req.at_least(75)) {
        v["servers"] = servers
            .iter()
            .map(|i| json!({"name": i.guest_name(), "uuid": i.id()}))
            .collect();
    }
}

/// nova's strict boolean query parameter.
fn query_bool(key: &str, value: &str) -> Result<bool, ApiError> {
    const TRUE: &[&str] = &[
        "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
    ];
    const FALSE: &[&str] = &[
        "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
    ];
    if TRUE.contains(&value) {
        Ok(true)
    } else if FALSE.contains(&value) {
        Ok(false)
    } else {
        Err(bad_request(format!(
            "Invalid input for query parameters {key}. Value: {value}. '{value}' is not one of \
             [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, \
             'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"
        )))
    }
}

/// From 2.53 the hypervisor queries take only the parameters named.
fn only_params(q: &Query, allowed: &[&str]) -> Result<(), ApiError> {
    match q.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => Err(bad_request(format!(
            "Invalid input for query parameters {k}. Additional properties are not allowed ('{k}' was unexpected)"
        ))),
        None => Ok(()),
    }
}

fn with_servers_param(q: &Query) -> Result<bool, ApiError> {
    q.get("with_servers")
        .map_or(Ok(false), |v| query_bool("with_servers", &v))
}

/// What a hypervisor list asks for: a page (from 2.33), a hypervisor
/// hostname pattern and the servers of each (from 2.53).
#[derive(Default)]
struct ListRequest {
    page: PageRequest,
    pattern: Option<String>,
    with_servers: bool,
}

fn list_request(req: &Req, q: &Query, max_limit: usize) -> Result<ListRequest, ApiError> {
    let mut out = ListRequest::default();
    if !req.at_least(33) {
        return Ok(out);
    }
    if req.at_least(53) {
        only_params(
            q,
            &[
                "limit",
                "marker",
                "hypervisor_hostname_pattern",
                "with_servers",
            ],
        )?;
        out.pattern = q.get("hypervisor_hostname_pattern");
        out.with_servers = with_servers_param(q)?;
    }
    out.page =
        PageRequest::from_query(&q.0, max_limit).map_err(|e| e.with_format(ErrorFormat::Nova))?;
    if out.pattern.is_some() && (out.page.limit.is_some() || out.page.marker.is_some()) {
        return Err(bad_request(
            "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.",
        ));
    }
    Ok(out)
}

async fn list(req: Req, svc: Svc, http: HttpRequest, detail: bool) -> ApiResult {
    let q = Query::parse(&http)?;
    let asked = list_request(&req, &q, svc.conf.max_limit as usize)?;
    req.ctx.require_admin(if detail {
        "os_compute_api:os-hypervisors:list-detail"
    } else {
        "os_compute_api:os-hypervisors:list"
    })?;
    let inv = Inventory::load(&svc).await?;
    let nodes: Vec<(String, Node<'_>)> = match &asked.pattern {
        Some(p) => inv.matching(p)?,
        None => inv.nodes().collect(),
    }
    .into_iter()
    .map(|n| (hypervisor_id(&req, n.row), n))
    .collect();
    let page = asked
        .page
        .apply(nodes, |(id, _)| id)
        .map_err(|e| e.with_format(ErrorFormat::Nova))?;
    let servers = if asked.with_servers {
        let hosts = page.items.iter().map(|(_, n)| n.row.host.clone()).collect();
        instances_on(&svc, hosts).await?
    } else {
        HashMap::new()
    };
    let list: Vec<Value> = page
        .items
        .iter()
        .map(|(_, n)| {
            let mut v = hypervisor(&req, &svc, n, detail);
            if asked.with_servers {
                let on_host = servers.get(&n.row.host).map(Vec::as_slice);
                add_servers(&req, &mut v, on_host.unwrap_or_default(), true);
            }
            v
        })
        .collect();
    let mut body = json!({ "hypervisors": list });
    if let (true, Some((last, _))) = (page.more, page.items.last()) {
        let path = if detail {
            "os-hypervisors/detail"
        } else {
            "os-hypervisors"
        };
        body["hypervisors_links"] = json!([next_link(&format!("{}/{path}", req.url), &q.0, last)]);
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn list_hypervisors(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, false).await
}

pub async fn list_hypervisors_detail(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, true).await
}

/// A hypervisor id in the request's form: a uuid from 2.53 (else 400), a
/// number before (else no such hypervisor).
fn check_hypervisor_id(req: &Req, id: &str) -> Result<(), ApiError> {
    if req.at_least(53) {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(bad_request(format!("Invalid uuid {id}")));
        }
    } else if id.trim().parse::<i64>().is_err() {
        return Err(hypervisor_not_found(id));
    }
    Ok(())
}

fn hypervisor_not_found(id: &str) -> ApiError {
    not_found(format!("Hypervisor with ID '{id}' could not be found."))
}

pub async fn show_hypervisor(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    http: HttpRequest,
) -> ApiResult {
    let q = Query::parse(&http)?;
    let with_servers = if req.at_least(53) {
        only_params(&q, &["with_servers"])?;
        with_servers_param(&q)?
    } else {
        false
    };
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:show")?;
    let id = path.into_inner().0;
    check_hypervisor_id(&req, &id)?;
    let inv = Inventory::load(&svc).await?;
    let n = inv
        .find(&req, &id)
        .ok_or_else(|| hypervisor_not_found(&id))?;
    let mut v = hypervisor(&req, &svc, &n, true);
    if with_servers {
        let host = n.row.host.clone();
        let mut servers = instances_on(&svc, vec![host.clone()]).await?;
        add_servers(
            &req,
            &mut v,
            &servers.remove(&host).unwrap_or_default(),
            true,
        );
    }
    Ok(HttpResponse::Ok().json(json!({ "hypervisor": v })))
}

/// `GET /os-hypervisors/{id}/uptime` (until 2.88, where the detailed view
/// took `uptime` in).
pub async fn show_hypervisor_uptime(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    if req.at_least(88) {
        return Err(no_such_route());
    }
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:uptime")?;
    let id = path.into_inner().0;
    check_hypervisor_id(&req, &id)?;
    let inv = Inventory::load(&svc).await?;
    let n = inv
        .find(&req, &id)
        .ok_or_else(|| hypervisor_not_found(&id))?;
    if n.service.is_none() {
        return Err(hypervisor_not_found(&id));
    }
    let uptime = host_uptime(&svc, &n)?;
    let mut v = hypervisor(&req, &svc, &n, false);
    v["uptime"] = json!(uptime);
    Ok(HttpResponse::Ok().json(json!({ "hypervisor": v })))
}

/// `GET /os-hypervisors/{pattern}/search` (until 2.53, where the list took
/// `hypervisor_hostname_pattern`).
pub async fn search_hypervisors(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    if req.at_least(53) {
        return Err(no_such_route());
    }
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:search")?;
    let pattern = path.into_inner().0;
    let inv = Inventory::load(&svc).await?;
    let list: Vec<Value> = inv
        .matching(&pattern)?
        .iter()
        .map(|n| hypervisor(&req, &svc, n, false))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "hypervisors": list })))
}

/// `GET /os-hypervisors/{pattern}/servers` (until 2.53, where the list took
/// `with_servers`).
pub async fn list_hypervisor_servers(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    if req.at_least(53) {
        return Err(no_such_route());
    }
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:servers")?;
    let pattern = path.into_inner().0;
    let inv = Inventory::load(&svc).await?;
    let nodes = inv.matching(&pattern)?;
    let hosts = nodes.iter().map(|n| n.row.host.clone()).collect();
    let servers = instances_on(&svc, hosts).await?;
    let list: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let mut v = hypervisor(&req, &svc, n, false);
            let on_host = servers
                .get(&n.row.host)
                .map(Vec::as_slice)
                .unwrap_or_default();
            add_servers(&req, &mut v, on_host, false);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "hypervisors": list })))
}

/// `GET /os-hypervisors/statistics` (until 2.88): the sums over the nodes
/// of enabled compute services.
pub async fn show_hypervisor_statistics(req: Req, svc: Svc) -> ApiResult {
    if req.at_least(88) {
        return Err(no_such_route());
    }
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:statistics")?;
    const FIELDS: [&str; 12] = [
        "count",
        "vcpus",
        "memory_mb",
        "local_gb",
        "vcpus_used",
        "memory_mb_used",
        "local_gb_used",
        "free_ram_mb",
        "free_disk_gb",
        "current_workload",
        "running_vms",
        "disk_available_least",
    ];
    let inv = Inventory::load(&svc).await?;
    let mut sums = [0i64; FIELDS.len()];
    for n in inv
        .nodes()
        .filter(|n| n.service.is_some_and(|s| !s.disabled))
    {
        let u = NodeUsage::of(&n);
        let values = [
            1,
            n.row.vcpus.into(),
            n.row.memory_mb.into(),
            n.row.local_gb.into(),
            u.vcpus_used,
            u.memory_mb_used,
            u.local_gb_used,
            u.free_ram_mb,
            u.free_disk_gb,
            0,
            u.running_vms,
            u.free_disk_gb,
        ];
        for (sum, value) in sums.iter_mut().zip(values) {
            *sum += value;
        }
    }
    let stats: serde_json::Map<String, Value> = FIELDS
        .iter()
        .zip(sums)
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "hypervisor_statistics": stats })))
}

fn service_view(req: &Req, svc: &Svc, s: &ServiceRow) -> Value {
    let mut v = json!({
        "id": if req.at_least(53) { json!(s.id) } else { json!(s.seq) },
        "binary": s.service_binary, "host": s.host,
        "zone": if s.service_binary == crate::agent::BINARY { svc.conf.default_availability_zone.clone() } else { svc.conf.internal_service_availability_zone.clone() },
        "status": if s.disabled { "disabled" } else { "enabled" },
        "state": if is_up(svc, s) { "up" } else { "down" },
        "updated_at": s.last_seen_up.map(iso_micros_naive),
        "disabled_reason": s.disabled_reason,
    });
    if req.at_least(11) {
        v["forced_down"] = json!(s.forced_down);
    }
    v
}

/// `GET /os-services`, filtered by `host` and `binary`.
pub async fn list_services(
    req: Req,
    svc: Svc,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> ApiResult {
    req.ctx.require_admin("os_compute_api:os-services:list")?;
    let rows = svc.read(|c| Ok(store::services::all(c)?)).await?;
    let wanted = |key: &str, value: &str| query.get(key).is_none_or(|v| v == value);
    let list: Vec<Value> = rows
        .iter()
        .filter(|s| wanted("host", &s.host) && wanted("binary", &s.service_binary))
        .map(|s| service_view(&req, &svc, s))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "services": list })))
}

/// Enables or disables a service (a reason goes only with disabling) and
/// sets its forced-down flag, as asked.
pub(super) fn change_service(
    c: &mut store::Conn,
    row: &mut ServiceRow,
    disabled: Option<bool>,
    reason: Option<String>,
    forced_down: Option<bool>,
) -> crate::error::Result<()> {
    if let Some(disabled) = disabled {
        row.disabled = disabled;
        row.disabled_reason = if disabled { reason } else { None };
    }
    if let Some(f) = forced_down {
        row.forced_down = f;
    }
    row.updated_at = compat_api::time::now_us();
    Ok(store::services::update(c, row)?)
}

/// `PUT /os-services/{id}` (2.53, by uuid), and the older
/// `PUT /os-services/disable|enable|disable-log-reason|force-down`.
pub async fn update_service(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    req.ctx.require_admin("os_compute_api:os-services:update")?;
    let id = path.into_inner().0;
    let body = body.into_inner();
    let by_uuid = req.at_least(53);
    let get_str = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let reason = get_str("disabled_reason");
    let (status, forced) = if by_uuid {
        (
            get_str("status"),
            body.get("forced_down").and_then(Value::as_bool),
        )
    } else {
        match id.as_str() {
            "disable" | "disable-log-reason" => (Some("disabled".into()), None),
            "enable" => (Some("enabled".into()), None),
            "force-down" => (None, body.get("forced_down").and_then(Value::as_bool)),
            _ => return Err(not_found("Unknown action")),
        }
    };
    if status.is_none() && forced.is_none() && reason.is_none() {
        return Err(bad_request("No updates were requested."));
    }
    if let Some(s) = &status {
        if s != "enabled" && s != "disabled" {
            return Err(bad_request(format!(
                "Invalid input for field/attribute status. Value: {s}."
            )));
        }
    }
    let (host, binary) = (get_str("host"), get_str("binary"));
    let row = svc
        .write(move |c| {
            let found = if by_uuid {
                store::services::get(c, &id)?
            } else {
                match (&host, &binary) {
                    (Some(h), Some(b)) => store::services::by_host(c, h, b)?,
                    _ => None,
                }
            };
            let mut row = found.ok_or_else(|| {
                crate::Error::NotFound(format!("Service {id} could not be found."))
            })?;
            change_service(c, &mut row, status.map(|s| s == "disabled"), reason, forced)?;
            Ok(row)
        })
        .await?;
    svc.reload_hosts().await?;
    if by_uuid {
        return Ok(HttpResponse::Ok().json(json!({"service": service_view(&req, &svc, &row)})));
    }
    let mut v = json!({"host": row.host, "binary": row.service_binary, "status": if row.disabled { "disabled" } else { "enabled" }});
    if let Some(r) = &row.disabled_reason {
        v["disabled_reason"] = json!(r);
    }
    if forced.is_some() {
        v["forced_down"] = json!(row.forced_down);
    }
    Ok(HttpResponse::Ok().json(json!({ "service": v })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_as_sql_does() {
        assert!(like("%cmp%", "cmp1"));
        assert!(like("%MP1%", "cmp1"));
        assert!(like("%c_p%", "cmp2"));
        assert!(like("cmp1", "cmp1"));
        assert!(!like("cmp", "cmp1"));
        assert!(!like("%nonexistent%", "cmp1"));
        assert!(like("%%", ""));
    }

    #[test]
    fn uptime_reads_like_procps() {
        let noon = 12 * 3_600 * 1_000_000;
        assert_eq!(
            uptime_text(noon, 300),
            " 12:00:00 up 5 min,  0 users,  load average: 0.00, 0.00, 0.00"
        );
        assert_eq!(
            uptime_text(noon, 2 * 86_400 + 3 * 3_600 + 4 * 60),
            " 12:00:00 up 2 days,  3:04,  0 users,  load average: 0.00, 0.00, 0.00"
        );
        assert!(uptime_text(noon, 86_400 + 11 * 3_600).contains("up 1 day, 11:00,"));
    }
}
