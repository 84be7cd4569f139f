//! The security group rule proxy nova keeps below 2.36
//! (`os-security-group-rules`): ingress rules in nova's terms (a protocol,
//! a port or ICMP type:code range, and a CIDR or a source group), added to
//! and removed from groups of the network service. From 2.36 it is gone
//! (404), as upstream.

use super::error::{bad_request, not_found};
use super::security_groups::{group_not_found, proxy, rule_view};
use super::{ApiResult, Req, Svc};
use crate::clients::IngressRule;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Value};
use std::net::IpAddr;

/// nova asks for group ids the network service could know: uuids.
fn checked_id(id: Option<&Value>) -> Result<String, ApiError> {
    match id {
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Ok(s.clone()),
        _ => Err(bad_request("Security group id should be uuid")),
    }
}

/// A CIDR as nova takes it: absent or empty is every IPv4 address.
fn cidr(value: Option<&Value>) -> Result<String, ApiError> {
    let text = match value {
        None | Some(Value::Null) => return Ok("0.0.0.0/0".into()),
        Some(Value::String(s)) if s.is_empty() => return Ok("0.0.0.0/0".into()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let invalid = || bad_request(format!("{text} is not a valid IP network."));
    let (addr, prefix) = text.split_once('/').ok_or_else(invalid)?;
    let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
    let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(invalid());
    }
    if prefix == 0 && !addr.is_unspecified() {
        return Err(bad_request(format!(
            "Bad prefix for network in cidr {text}"
        )));
    }
    Ok(text)
}

/// A port (or ICMP type or code) given as a number or a numeric string.
fn port(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The protocol and port range of an ingress rule, checked as nova does;
/// `None` when nothing is given (allowed for a rule naming a source
/// group only).
type Ports = Option<(String, i64, i64)>;

fn protocol_and_ports(
    protocol: Option<&Value>,
    from: Option<&Value>,
    to: Option<&Value>,
) -> Result<Ports, ApiError> {
    fn present(v: Option<&Value>) -> Option<&Value> {
        v.filter(|v| !v.is_null())
    }
    let (Some(protocol), Some(from), Some(to)) = (present(protocol), present(from), present(to))
    else {
        return Ok(None);
    };
    let protocol = match protocol {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let upper = protocol.to_ascii_uppercase();
    let (Some(from), Some(to)) = (port(from), port(to)) else {
        let reason = if upper == "ICMP" {
            "Type and Code must be integers for ICMP protocol type"
        } else {
            "To and From ports must be integers"
        };
        return Err(bad_request(format!("Invalid input received: {reason}")));
    };
    if !matches!(upper.as_str(), "TCP" | "UDP" | "ICMP") {
        return Err(bad_request(format!("Invalid IP protocol {protocol}.")));
    }
    let range = |why: &str| bad_request(format!("Invalid port range {from}:{to}. {why}"));
    if upper != "ICMP" {
        if from > to {
            return Err(range("Former value cannot be greater than the later"));
        }
        if from < 1 || to > 65535 {
            return Err(range(&format!(
                "Valid {upper} ports should be between 1-65535"
            )));
        }
    } else if !(-1..=255).contains(&from) || !(-1..=255).contains(&to) {
        return Err(range("For ICMP, the type:code must be valid"));
    }
    Ok(Some((upper.to_ascii_lowercase(), from, to)))
}

pub async fn create_security_group_rule(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    proxy(&req)?;
    let rule = match body.0.get("security_group_rule") {
        Some(Value::Object(r)) => r.clone(),
        Some(Value::Null) | None => {
            return Err(bad_request("Missing parameter security_group_rule"))
        }
        Some(_) => return Err(bad_request("Malformed request body")),
    };
    let parent = checked_id(rule.get("parent_group_id"))?;
    let group = svc
        .network
        .show_security_group(&req.ctx, &parent)
        .await
        .map_err(|_| group_not_found(&parent))?;
    let source = match rule.get("group_id") {
        None | Some(Value::Null) => None,
        id => {
            let id = checked_id(id)?;
            svc.network
                .show_security_group(&req.ctx, &id)
                .await
                .map_err(|_| group_not_found(&id))?;
            Some(id)
        }
    };
    let ports = protocol_and_ports(
        rule.get("ip_protocol"),
        rule.get("from_port"),
        rule.get("to_port"),
    )?;
    let cidr = match &source {
        Some(_) => None,
        None => Some(cidr(rule.get("cidr"))?),
    };
    if ports.is_none() && source.is_none() {
        return Err(bad_request("Not enough parameters to build a valid rule."));
    }
    // -1 (any port, any ICMP type or code) is no bound in the network
    // service.
    let bound = |p: i64| (p != -1).then_some(p);
    let new = IngressRule {
        group_id: group.id.clone(),
        protocol: ports.as_ref().map(|(p, _, _)| p.clone()),
        port_range_min: ports.as_ref().and_then(|(_, f, _)| bound(*f)),
        port_range_max: ports.as_ref().and_then(|(_, _, t)| bound(*t)),
        cidr,
        remote_group_id: source,
    };
    let created = svc
        .network
        .create_security_group_rule(&req.ctx, new)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => group_not_found(&parent),
            Error::Conflict(m) | Error::BadRequest(m) => bad_request(m),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(json!({ "security_group_rule": rule_view(&group.id, &created) })))
}

pub async fn delete_security_group_rule(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let id = checked_id(Some(&Value::String(id)))?;
    svc.network
        .delete_security_group_rule(&req.ctx, &id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => not_found(format!("Security group rule {id} not found.")),
            other => other.into(),
        })?;
    Ok(HttpResponse::Accepted().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_checked_as_nova_does() {
        let v = |j: Value| Some(j);
        let ok = protocol_and_ports(
            v(json!("TCP")).as_ref(),
            v(json!("22")).as_ref(),
            v(json!(22)).as_ref(),
        );
        assert_eq!(ok.ok().flatten(), Some(("tcp".into(), 22, 22)));
        for (p, f, t) in [
            (json!("tcp"), json!(22), json!(21)),
            (json!("tcp"), json!(65536), json!(22)),
            (json!("tcp"), json!(22), json!(70000)),
            (json!("gre"), json!(1), json!(2)),
            (json!("icmp"), json!(-2), json!(0)),
            (json!("udp"), json!("x"), json!(2)),
        ] {
            assert!(protocol_and_ports(Some(&p), Some(&f), Some(&t)).is_err());
        }
        assert_eq!(
            protocol_and_ports(Some(&json!("icmp")), Some(&json!(-1)), Some(&json!(-1)))
                .ok()
                .flatten(),
            Some(("icmp".into(), -1, -1))
        );
        assert!(protocol_and_ports(None, None, None)
            .ok()
            .flatten()
            .is_none());
    }

    #[test]
    fn cidrs_and_ids() {
        assert_eq!(cidr(None).ok().as_deref(), Some("0.0.0.0/0"));
        assert_eq!(
            cidr(Some(&json!("10.0.0.0/8"))).ok().as_deref(),
            Some("10.0.0.0/8")
        );
        assert!(cidr(Some(&json!("10.0.0.0/0"))).is_err());
        assert!(cidr(Some(&json!("10.0.0.0/33"))).is_err());
        assert!(cidr(Some(&json!("bogus"))).is_err());
        assert!(checked_id(Some(&json!("non_int_id"))).is_err());
        assert!(checked_id(Some(&json!("8e3a7b6e-6c1a-4c55-9d8e-2b0d7b1f5a10"))).is_ok());
    }
}
