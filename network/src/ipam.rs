//! Address arithmetic for subnets: CIDR validation, default gateway and
//! allocation pools, EUI-64 addresses for SLAAC. Pure functions; the
//! allocation itself (which needs the database) is in `ports.rs`.
//!
//! Addresses of both families are handled as `u128` so one range type
//! serves IPv4 and IPv6.

use crate::error::{Error, Result};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An inclusive address range, as `allocation_pools` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u128,
    pub end: u128,
}

/// An `allocation_pools` entry on the wire and in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub start: String,
    pub end: String,
}

pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4) as u128,
        IpAddr::V6(v6) => u128::from(v6),
    }
}

pub fn from_u128(value: u128, version: i32) -> IpAddr {
    if version == 4 {
        IpAddr::V4(Ipv4Addr::from(value as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

pub fn version_of(ip: &IpAddr) -> i32 {
    if ip.is_ipv4() {
        4
    } else {
        6
    }
}

/// An address as given by a client, in its canonical text form.
pub fn parse_ip(attr: &str, text: &str) -> Result<IpAddr> {
    text.trim()
        .parse::<IpAddr>()
        .map_err(|_| Error::invalid_attr(attr, format!("'{text}' is not a valid IP address")))
}

/// A subnet CIDR: must be a network address (no host bits), of `version`
/// when one is given.
pub fn parse_cidr(text: &str, version: Option<i32>) -> Result<IpNet> {
    let net: IpNet = text
        .trim()
        .parse()
        .map_err(|_| Error::invalid_attr("cidr", format!("'{text}' is not a valid IP subnet")))?;
    if net.trunc() != net {
        return Err(Error::invalid_attr(
            "cidr",
            format!(
                "'{text}' isn't a recognized IP subnet cidr, '{}' is recommended",
                net.trunc()
            ),
        ));
    }
    if let Some(v) = version {
        if version_of(&net.addr()) != v {
            return Err(Error::invalid("Cidr and ip_version are inconsistent"));
        }
    }
    Ok(net)
}

pub fn bounds(net: &IpNet) -> Range {
    Range {
        start: to_u128(net.network()),
        end: to_u128(net.broadcast()),
    }
}

/// neutron's default gateway: the first address after the network address.
pub fn default_gateway(net: &IpNet) -> Option<IpAddr> {
    let r = bounds(net);
    (r.end > r.start).then(|| from_u128(r.start + 1, version_of(&net.addr())))
}

/// Addresses a port may get: IPv4 without the network and broadcast
/// addresses (unless /31 or /32), IPv6 without the subnet-router anycast
/// address.
pub fn usable(net: &IpNet) -> Range {
    let r = bounds(net);
    match net {
        IpNet::V4(n) if n.prefix_len() >= 31 => r,
        IpNet::V4(_) => Range {
            start: r.start + 1,
            end: r.end - 1,
        },
        IpNet::V6(_) => Range {
            start: (r.start + 1).min(r.end),
            end: r.end,
        },
    }
}

/// The default `allocation_pools`: the usable range less the gateway.
pub fn default_pools(net: &IpNet, gateway: Option<IpAddr>) -> Vec<Range> {
    let r = usable(net);
    let Some(gw) = gateway
        .map(to_u128)
        .filter(|g| *g >= r.start && *g <= r.end)
    else {
        return vec![r];
    };
    let mut pools = Vec::new();
    if gw > r.start {
        pools.push(Range {
            start: r.start,
            end: gw - 1,
        });
    }
    if gw < r.end {
        pools.push(Range {
            start: gw + 1,
            end: r.end,
        });
    }
    pools
}

pub fn pools_to_wire(pools: &[Range], version: i32) -> Vec<Pool> {
    pools
        .iter()
        .map(|r| Pool {
            start: from_u128(r.start, version).to_string(),
            end: from_u128(r.end, version).to_string(),
        })
        .collect()
}

/// Client-given pools: inside the subnet, start ≤ end, not overlapping one
/// another, and clear of the gateway.
pub fn validate_pools(net: &IpNet, pools: &[Pool], gateway: Option<IpAddr>) -> Result<Vec<Range>> {
    let version = version_of(&net.addr());
    let subnet = bounds(net);
    let mut ranges = Vec::new();
    for pool in pools {
        let start = parse_ip("allocation_pools", &pool.start)?;
        let end = parse_ip("allocation_pools", &pool.end)?;
        if version_of(&start) != version || version_of(&end) != version {
            return Err(invalid_pool(pool));
        }
        let (s, e) = (to_u128(start), to_u128(end));
        if s > e {
            return Err(invalid_pool(pool));
        }
        if s < subnet.start || e > subnet.end {
            return Err(Error::bad_request(format!(
                "The allocation pool {}-{} spans beyond the subnet cidr {net}.",
                pool.start, pool.end
            )));
        }
        ranges.push(Range { start: s, end: e });
    }
    ranges.sort_by_key(|r| r.start);
    for pair in ranges.windows(2) {
        if pair[1].start <= pair[0].end {
            return Err(Error::bad_request(format!(
                "Found overlapping allocation pools: {} and {} for subnet {net}.",
                describe(&pair[0], version),
                describe(&pair[1], version)
            )));
        }
    }
    if let Some(gw) = gateway {
        let g = to_u128(gw);
        if ranges.iter().any(|r| r.start <= g && g <= r.end) {
            return Err(Error::conflict(
                "GatewayConflictWithAllocationPools",
                format!("Gateway ip {gw} conflicts with allocation pool"),
            ));
        }
    }
    Ok(ranges)
}

fn describe(r: &Range, version: i32) -> String {
    format!(
        "{}-{}",
        from_u128(r.start, version),
        from_u128(r.end, version)
    )
}

fn invalid_pool(pool: &Pool) -> Error {
    Error::bad_request(format!(
        "The allocation pool {}-{} is not valid.",
        pool.start, pool.end
    ))
}

pub fn pools_from_wire(pools: &[Pool]) -> Vec<Range> {
    pools
        .iter()
        .filter_map(|p| {
            let s = p.start.parse::<IpAddr>().ok()?;
            let e = p.end.parse::<IpAddr>().ok()?;
            Some(Range {
                start: to_u128(s),
                end: to_u128(e),
            })
        })
        .collect()
}

pub fn size(pools: &[Range]) -> u128 {
    pools.iter().map(|r| r.end - r.start + 1).sum()
}

/// The address after `from` inside `pools`, wrapping around: the next
/// candidate for allocation.
pub fn next_in_pools(pools: &[Range], from: u128) -> Option<u128> {
    let first = pools.first()?;
    for r in pools {
        if from < r.start {
            return Some(r.start);
        }
        if from <= r.end {
            return Some(from);
        }
    }
    Some(first.start)
}

/// The SLAAC address of a MAC in a /64: the modified EUI-64 interface id
/// (ff:fe in the middle, universal/local bit flipped).
pub fn eui64(prefix: &IpNet, mac: [u8; 6]) -> Option<IpAddr> {
    let IpNet::V6(net) = prefix else {
        return None;
    };
    if net.prefix_len() != 64 {
        return None;
    }
    let iid = [
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ];
    let high = u128::from(net.network()) & !((1u128 << 64) - 1);
    let low = u64::from_be_bytes(iid) as u128;
    Some(IpAddr::V6(Ipv6Addr::from(high | low)))
}

/// Subnets whose addresses come from router advertisements, not IPAM.
pub fn is_auto_address(ip_version: i32, address_mode: Option<&str>) -> bool {
    ip_version == 6 && matches!(address_mode, Some("slaac" | "dhcpv6-stateless"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_must_be_a_network_address() {
        assert!(parse_cidr("10.0.0.0/24", Some(4)).is_ok());
        assert!(parse_cidr("10.0.0.1/24", None).is_err());
        assert!(parse_cidr("10.0.0.0/24", Some(6)).is_err());
        assert!(parse_cidr("nonsense", None).is_err());
    }

    #[test]
    fn default_pools_skip_gateway_network_and_broadcast() {
        let n = net("10.0.0.0/24");
        let gw = default_gateway(&n);
        assert_eq!(gw, Some("10.0.0.1".parse().unwrap()));
        let wire = pools_to_wire(&default_pools(&n, gw), 4);
        assert_eq!(
            wire,
            vec![Pool {
                start: "10.0.0.2".into(),
                end: "10.0.0.254".into()
            }]
        );
        let middle = default_pools(&n, Some("10.0.0.100".parse().unwrap()));
        assert_eq!(middle.len(), 2);
        let v6 = pools_to_wire(&default_pools(&net("2001:db8::/64"), None), 6);
        assert_eq!(v6[0].start, "2001:db8::1");
        assert_eq!(v6[0].end, "2001:db8::ffff:ffff:ffff:ffff");
    }

    #[test]
    fn pools_are_checked() {
        let n = net("10.0.0.0/24");
        let p = |s: &str, e: &str| Pool {
            start: s.into(),
            end: e.into(),
        };
        assert!(validate_pools(&n, &[p("10.0.0.10", "10.0.0.20")], None).is_ok());
        assert!(validate_pools(&n, &[p("10.0.0.20", "10.0.0.10")], None).is_err());
        assert!(validate_pools(&n, &[p("10.0.0.10", "10.0.1.20")], None).is_err());
        assert!(validate_pools(
            &n,
            &[p("10.0.0.10", "10.0.0.20"), p("10.0.0.15", "10.0.0.30")],
            None
        )
        .is_err());
        let gw = Some("10.0.0.12".parse().unwrap());
        assert!(matches!(
            validate_pools(&n, &[p("10.0.0.10", "10.0.0.20")], gw),
            Err(Error::Conflict { .. })
        ));
    }

    #[test]
    fn next_candidate_wraps_within_pools() {
        let pools = [Range { start: 10, end: 12 }, Range { start: 20, end: 21 }];
        assert_eq!(next_in_pools(&pools, 0), Some(10));
        assert_eq!(next_in_pools(&pools, 11), Some(11));
        assert_eq!(next_in_pools(&pools, 13), Some(20));
        assert_eq!(next_in_pools(&pools, 22), Some(10));
    }

    #[test]
    fn eui64_matches_the_rfc_example() {
        let mac = [0xfa, 0x16, 0x3e, 0x12, 0x34, 0x56];
        let addr = eui64(&net("2001:db8::/64"), mac).unwrap();
        assert_eq!(addr.to_string(), "2001:db8::f816:3eff:fe12:3456");
        assert!(eui64(&net("2001:db8::/80"), mac).is_none());
    }
}
