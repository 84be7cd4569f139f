//! `/v2.0/networks`

use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::networks::{self, Network, NetworkRequest};
use crate::policy::Caller;
use crate::store::Conn;
use crate::Ctx;
use serde_json::json;

pub struct Networks;

impl Collection for Networks {
    const SINGULAR: &'static str = "network";
    const PLURAL: &'static str = "networks";
    type Item = Network;
    type Request = NetworkRequest;

    fn view(n: &Network, caller: &Caller) -> View {
        let r = &n.row;
        let mut view = object(json!({
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "admin_state_up": r.admin_state_up,
            "status": r.status,
            "shared": r.shared,
            "router:external": r.external,
            "mtu": r.mtu,
            "port_security_enabled": r.port_security_enabled,
            "subnets": n.subnets,
            "l2_adjacency": true,
        }));
        if r.external {
            view.insert("is_default".into(), json!(r.is_default));
        }
        if caller.is_admin {
            view.insert("provider:network_type".into(), json!(r.network_type));
            view.insert(
                "provider:physical_network".into(),
                json!(r.physical_network),
            );
            view.insert("provider:segmentation_id".into(), json!(r.segmentation_id));
        }
        standard(
            &mut view,
            &r.project_id,
            &n.tags,
            r.revision_number,
            r.created_at,
            r.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<Network>, Error> {
        networks::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<Network, Error> {
        networks::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: NetworkRequest) -> Result<Network, Error> {
        networks::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: NetworkRequest,
        if_match: Option<i64>,
    ) -> Result<Network, Error> {
        networks::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        networks::delete(c, ctx, id)
    }
}
