//! `/v2.0/security-group-rules` (rules cannot be updated: PUT is 400).

use super::{object, Collection, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::security_groups::{self, SecurityGroupRuleRequest};
use crate::store::models::SecurityGroupRuleRow;
use crate::store::Conn;
use crate::Ctx;
use serde_json::json;

pub struct SecurityGroupRules;

/// A rule as neutron shows it, in its group or alone.
pub fn rule_view(r: &SecurityGroupRuleRow) -> View {
    let normalized = r.remote_ip_prefix.clone().or_else(|| {
        r.remote_group_id.is_none().then(|| {
            if r.ethertype == "IPv6" {
                "::/0"
            } else {
                "0.0.0.0/0"
            }
            .to_owned()
        })
    });
    object(json!({
        "id": r.id,
        "security_group_id": r.security_group_id,
        "direction": r.direction,
        "ethertype": r.ethertype,
        "protocol": r.protocol,
        "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max,
        "remote_ip_prefix": r.remote_ip_prefix,
        "remote_group_id": r.remote_group_id,
        "remote_address_group_id": null,
        "normalized_cidr": normalized,
        "description": r.description,
        "project_id": r.project_id,
        "tenant_id": r.project_id,
        "revision_number": r.revision_number,
        "created_at": compat_api::time::iso_seconds_z(r.created_at),
        "updated_at": compat_api::time::iso_seconds_z(r.updated_at),
    }))
}

impl Collection for SecurityGroupRules {
    const SINGULAR: &'static str = "security_group_rule";
    const PLURAL: &'static str = "security_group_rules";
    const PATH: &'static str = "security-group-rules";
    type Item = SecurityGroupRuleRow;
    type Request = SecurityGroupRuleRequest;
    const LIST_WRITES: bool = true;

    fn view(r: &SecurityGroupRuleRow, _caller: &Caller) -> View {
        rule_view(r)
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<SecurityGroupRuleRow>, Error> {
        security_groups::list_rules(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<SecurityGroupRuleRow, Error> {
        security_groups::rule_visible(c, ctx.caller, id)
    }

    fn create(
        c: &mut Conn,
        ctx: &Ctx,
        req: SecurityGroupRuleRequest,
    ) -> Result<SecurityGroupRuleRow, Error> {
        security_groups::create_rule(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        _req: SecurityGroupRuleRequest,
        _if_match: Option<i64>,
    ) -> Result<SecurityGroupRuleRow, Error> {
        security_groups::rule_visible(c, ctx.caller, id)?;
        Err(Error::bad_request(
            "Cannot update read-only attribute security_group_rule",
        ))
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        security_groups::delete_rule(c, ctx, id)
    }
}
