//! `/v2.0/ports`

use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::ports::{self, Port, PortRequest};
use crate::store::Conn;
use crate::Ctx;
use serde_json::json;

pub struct Ports;

impl Collection for Ports {
    const SINGULAR: &'static str = "port";
    const PLURAL: &'static str = "ports";
    type Item = Port;
    type Request = PortRequest;

    fn view(p: &Port, caller: &Caller) -> View {
        let r = &p.row;
        // A pair without a MAC uses the port's.
        let pairs: Vec<_> = p
            .allowed_address_pairs
            .iter()
            .map(|a| json!({"ip_address": a.ip_address, "mac_address": a.mac_address.clone().unwrap_or_else(|| r.mac_address.clone())}))
            .collect();
        let mut view = object(json!({
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "network_id": r.network_id,
            "mac_address": r.mac_address,
            "admin_state_up": r.admin_state_up,
            "status": r.status,
            "device_id": r.device_id,
            "device_owner": r.device_owner,
            "fixed_ips": p.fixed_ips,
            "security_groups": p.security_groups,
            "port_security_enabled": r.port_security_enabled,
            "allowed_address_pairs": pairs,
            "extra_dhcp_opts": p.extra_dhcp_opts,
            "binding:vnic_type": r.binding_vnic_type,
        }));
        if caller.is_admin {
            view.insert("binding:host_id".into(), json!(r.binding_host_id));
            view.insert("binding:profile".into(), p.binding_profile.clone());
            view.insert("binding:vif_type".into(), json!(r.binding_vif_type));
            view.insert("binding:vif_details".into(), p.binding_vif_details.clone());
        }
        standard(
            &mut view,
            &r.project_id,
            &p.tags,
            r.revision_number,
            r.created_at,
            r.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<Port>, Error> {
        ports::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<Port, Error> {
        ports::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: PortRequest) -> Result<Port, Error> {
        ports::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: PortRequest,
        if_match: Option<i64>,
    ) -> Result<Port, Error> {
        ports::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        ports::delete(c, ctx, id)
    }

    fn plain_page(
        c: &mut Conn,
        ctx: &Ctx,
        after: Option<&str>,
        limit: usize,
    ) -> Option<Result<Vec<Port>, Error>> {
        ctx.caller.is_admin.then(|| ports::page(c, after, limit))
    }
}
