//! `/v2.0/security-groups`

use super::security_group_rules::rule_view;
use super::{object, standard, Collection, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::security_groups::{self, SecurityGroup, SecurityGroupRequest};
use crate::store::Conn;
use crate::Ctx;
use serde_json::{json, Value};

pub struct SecurityGroups;

impl Collection for SecurityGroups {
    const SINGULAR: &'static str = "security_group";
    const PLURAL: &'static str = "security_groups";
    const PATH: &'static str = "security-groups";
    type Item = SecurityGroup;
    type Request = SecurityGroupRequest;
    const LIST_WRITES: bool = true;

    fn view(g: &SecurityGroup, _caller: &Caller) -> View {
        let r = &g.row;
        let rules: Vec<Value> = g
            .rules
            .iter()
            .map(|r| Value::Object(rule_view(r)))
            .collect();
        let mut view = object(json!({
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "stateful": r.stateful,
            "shared": false,
            "security_group_rules": rules,
        }));
        standard(
            &mut view,
            &r.project_id,
            &g.tags,
            r.revision_number,
            r.created_at,
            r.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<SecurityGroup>, Error> {
        security_groups::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<SecurityGroup, Error> {
        security_groups::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: SecurityGroupRequest) -> Result<SecurityGroup, Error> {
        security_groups::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: SecurityGroupRequest,
        if_match: Option<i64>,
    ) -> Result<SecurityGroup, Error> {
        security_groups::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        security_groups::delete(c, ctx, id)
    }
}
