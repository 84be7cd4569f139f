//! `/v2.0/floatingips`

use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::floating_ips::{self, FloatingIp, FloatingIpRequest};
use crate::policy::Caller;
use crate::store::Conn;
use crate::Ctx;
use serde_json::json;

pub struct FloatingIps;

impl Collection for FloatingIps {
    const SINGULAR: &'static str = "floatingip";
    const PLURAL: &'static str = "floatingips";
    type Item = FloatingIp;
    type Request = FloatingIpRequest;

    fn view(f: &FloatingIp, _caller: &Caller) -> View {
        let r = &f.row;
        let mut view = object(json!({
            "id": r.id,
            "floating_ip_address": r.floating_ip_address,
            "floating_network_id": r.floating_network_id,
            "router_id": r.router_id,
            "port_id": r.fixed_port_id,
            "fixed_ip_address": r.fixed_ip_address,
            "status": r.status,
            "description": r.description,
        }));
        standard(
            &mut view,
            &r.project_id,
            &f.tags,
            r.revision_number,
            r.created_at,
            r.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<FloatingIp>, Error> {
        floating_ips::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<FloatingIp, Error> {
        floating_ips::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: FloatingIpRequest) -> Result<FloatingIp, Error> {
        floating_ips::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: FloatingIpRequest,
        if_match: Option<i64>,
    ) -> Result<FloatingIp, Error> {
        floating_ips::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        floating_ips::delete(c, ctx, id)
    }
}
