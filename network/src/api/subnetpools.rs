//! `/v2.0/subnetpools`

use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::store::Conn;
use crate::subnetpools::{self, SubnetPool, SubnetPoolRequest};
use crate::Ctx;
use serde_json::json;

pub struct SubnetPools;

impl Collection for SubnetPools {
    const SINGULAR: &'static str = "subnetpool";
    const PLURAL: &'static str = "subnetpools";
    type Item = SubnetPool;
    type Request = SubnetPoolRequest;

    fn view(p: &SubnetPool, _caller: &Caller) -> View {
        let r = &p.row;
        let mut view = object(json!({
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "ip_version": r.ip_version,
            "prefixes": p.prefixes,
            // Strings, as neutron returns them.
            "default_prefixlen": r.default_prefixlen.to_string(),
            "min_prefixlen": r.min_prefixlen.to_string(),
            "max_prefixlen": r.max_prefixlen.to_string(),
            "shared": r.shared,
            "is_default": r.is_default,
            "default_quota": r.default_quota,
            "address_scope_id": r.address_scope_id,
        }));
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

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<SubnetPool>, Error> {
        subnetpools::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<SubnetPool, Error> {
        subnetpools::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: SubnetPoolRequest) -> Result<SubnetPool, Error> {
        subnetpools::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: SubnetPoolRequest,
        if_match: Option<i64>,
    ) -> Result<SubnetPool, Error> {
        subnetpools::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        subnetpools::delete(c, ctx, id)
    }
}
