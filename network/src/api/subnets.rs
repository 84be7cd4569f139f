//! `/v2.0/subnets`

use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::store::Conn;
use crate::subnets::{self, Subnet, SubnetRequest};
use crate::Ctx;
use serde_json::json;

pub struct Subnets;

impl Collection for Subnets {
    const SINGULAR: &'static str = "subnet";
    const PLURAL: &'static str = "subnets";
    type Item = Subnet;
    type Request = SubnetRequest;

    fn view(s: &Subnet, _caller: &Caller) -> View {
        let r = &s.row;
        let mut view = object(json!({
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "network_id": r.network_id,
            "ip_version": r.ip_version,
            "cidr": r.cidr,
            "gateway_ip": r.gateway_ip,
            "enable_dhcp": r.enable_dhcp,
            "ipv6_ra_mode": r.ipv6_ra_mode,
            "ipv6_address_mode": r.ipv6_address_mode,
            "allocation_pools": s.allocation_pools,
            "dns_nameservers": s.dns_nameservers,
            "host_routes": s.host_routes,
            "service_types": s.service_types,
            "subnetpool_id": r.subnetpool_id,
            "segment_id": null,
        }));
        standard(
            &mut view,
            &r.project_id,
            &s.tags,
            r.revision_number,
            r.created_at,
            r.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<Subnet>, Error> {
        subnets::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<Subnet, Error> {
        subnets::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: SubnetRequest) -> Result<Subnet, Error> {
        subnets::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: SubnetRequest,
        if_match: Option<i64>,
    ) -> Result<Subnet, Error> {
        subnets::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        subnets::delete(c, ctx, id)
    }
}
