"""End-to-end Networking (Neutron v2.0) tests against `ferrostack all-in-one`.

Happy paths run through the stock, unpatched `openstack` CLI
(python-openstackclient / openstacksdk). Failure paths whose error body the
CLI does not show (the NeutronError `type`), pagination links and the
concurrency checks use raw HTTP against the network endpoint with a token
from keystone. Expected behaviour follows upstream neutron (ML2 + L3 router
plugin, default extensions).

The concurrency tests run once against the session server (SQLite) and once
against a server of its own whose `[database] connection` is a fresh
PostgreSQL database on 127.0.0.1:5432 (skipped only when PostgreSQL cannot
be reached).

Run:  $VENV/bin/python -m pytest tests/cli/test_network_cli.py -q
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (
    Account,
    Cli,
    HttpResult,
    Server,
    http,
    unique,
)

CONFLICT = re.compile(r"\b409\b|Conflict", re.I)
NOT_FOUND = re.compile(r"\b404\b|NotFound|not found|could not be found|No \w+ found", re.I)
BASE_MAC_PREFIX = "fa:16:3e:"
REQUIRED_EXTENSIONS = {
    "security-group", "router", "external-net", "quotas", "standard-attr-tag",
    "binding", "port-security",
}
CONCURRENT_PORTS = 200
CONCURRENT_THREADS = 32
PG_ROUNDS = 3


# --------------------------------------------------------------------------
# helpers: raw Networking API
# --------------------------------------------------------------------------
class NetApi:
    """Thin raw-HTTP client for /v2.0 with one token."""

    def __init__(self, server: Server, token: str):
        self.server = server
        self.base = server.network_url + "/v2.0"
        self.token = token

    def h(self) -> dict:
        return {"X-Auth-Token": self.token, "Accept": "application/json"}

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}/{path.lstrip('/')}"

    def get(self, path: str) -> HttpResult:
        return http("GET", self.url(path), self.h())

    def post(self, path: str, body: dict) -> HttpResult:
        return http("POST", self.url(path), self.h(), body)

    def put(self, path: str, body: dict) -> HttpResult:
        return http("PUT", self.url(path), self.h(), body)

    def delete(self, path: str) -> HttpResult:
        return http("DELETE", self.url(path), self.h())

    def create(self, kind: str, **attrs) -> dict:
        r = self.post(kind + "s", {kind: attrs})
        assert r.status == 201, f"create {kind}: {r.status} {r.body}"
        return r.body[kind]

    def port(self, network_id: str, **attrs) -> HttpResult:
        return self.post("ports", {"port": {"network_id": network_id, **attrs}})


def neutron_error(r: HttpResult) -> dict:
    assert isinstance(r.body, dict) and "NeutronError" in r.body, f"not a NeutronError: {r.status} {r.body}"
    return r.body["NeutronError"]


def assert_error(r: HttpResult, status: int, kind: str) -> dict:
    assert r.status == status, f"expected {status} {kind}, got {r.status} {r.body}"
    err = neutron_error(r)
    assert err["type"] == kind, err
    return err


def keystone_token(server: Server, user: str, password: str, project: str) -> str:
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}},
    }}
    r = http("POST", server.auth_url + "/auth/tokens", body=body)
    assert r.status == 201, f"keystone token for {user}: {r.status} {r.body}"
    return r.header("X-Subject-Token")


def rest_account(cli: Cli, admin_token: str, role: str = "member") -> Account:
    """A user with `role` on a fresh project made through the keystone API
    (faster than three CLI runs; used where identity is not under test),
    plus a clouds.yaml entry so the CLI can act as it."""
    h = {"X-Auth-Token": admin_token}
    ks = cli.server.auth_url
    pname, uname, pw = unique("nproj"), unique("nuser"), "Pw-" + secrets.token_hex(8)
    r = http("POST", ks + "/projects", h, {"project": {"name": pname, "domain_id": "default"}})
    assert r.status == 201, r
    pid = r.body["project"]["id"]
    r = http("POST", ks + "/users", h, {"user": {
        "name": uname, "password": pw, "domain_id": "default", "default_project_id": pid}})
    assert r.status == 201, r
    uid = r.body["user"]["id"]
    r = http("GET", ks + f"/roles?name={role}", h)
    assert r.status == 200 and r.body["roles"], r
    rid = r.body["roles"][0]["id"]
    r = http("PUT", f"{ks}/projects/{pid}/users/{uid}/roles/{rid}", h)
    assert r.status in (200, 204), r
    cloud = cli.add_password_cloud(uname, uname, pw, pname)
    return Account(uname, uid, pw, pname, pid, cloud)


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of `mac` in a /64 (modified EUI-64)."""
    b = bytes(int(x, 16) for x in mac.split(":"))
    iid = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
    net = ipaddress.IPv6Network(cidr)
    return str(ipaddress.IPv6Address(int(net.network_address) | int.from_bytes(iid, "big")))


def ips_of(port: dict, key: str = "fixed_ips") -> list[str]:
    return [f["ip_address"] for f in port[key]]


def quota_rows(rows) -> dict:
    """`quota show --network -f json`: a list of {Resource, Limit} (or a dict)."""
    if isinstance(rows, dict):
        return rows
    return {r["Resource"]: r["Limit"] for r in rows}


def in_pools(ip: str, pools: list[dict]) -> bool:
    a = ipaddress.ip_address(ip)
    return any(ipaddress.ip_address(p["start"]) <= a <= ipaddress.ip_address(p["end"]) for p in pools)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(server: Server, admin_token: str) -> NetApi:
    return NetApi(server, admin_token)


@pytest.fixture(scope="module")
def lan(cli: Cli, api: NetApi):
    """A network with an IPv4 subnet made with `openstack subnet create`
    (explicit pool and DNS server), and the first port made on it without
    --fixed-ip. Yields (network, subnet, first port)."""
    net = cli.json("network", "create", unique("lan"))
    sub = cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "192.168.50.0/24",
                   "--allocation-pool", "start=192.168.50.10,end=192.168.50.20",
                   "--dns-nameserver", "8.8.8.8", unique("lan-sub"))
    first = cli.json("port", "create", "--network", net["id"], unique("first"))
    yield net, sub, first
    for p in api.get(f"ports?network_id={net['id']}").body.get("ports", []):
        if not p["device_owner"].startswith("network:"):
            api.delete(f"ports/{p['id']}")
    api.delete(f"networks/{net['id']}")


@pytest.fixture(scope="module")
def public_net(cli: Cli) -> dict:
    return cli.json("network", "show", "public")


@pytest.fixture(scope="module")
def private_net(cli: Cli) -> dict:
    return cli.json("network", "show", "private")


# --------------------------------------------------------------------------
# bootstrap and discovery
# --------------------------------------------------------------------------
def test_bootstrap_networks_and_router(cli: Cli, public_net: dict, private_net: dict):
    rows = {r["Name"]: r for r in cli.json("network", "list", "--long")}
    assert {"public", "private"} <= set(rows), rows
    # `network list --long`: "Router Type" is router:external
    assert rows["public"]["Router Type"] is True, rows["public"]
    assert rows["public"]["Shared"] is False, rows["public"]
    assert rows["private"]["Shared"] is True, rows["private"]
    assert rows["private"]["Router Type"] is False, rows["private"]
    assert public_net["router:external"] is True and public_net["shared"] is False, public_net
    assert private_net["shared"] is True and private_net["router:external"] is False, private_net
    assert public_net["subnets"] and private_net["subnets"], (public_net, private_net)
    externals = [r["Name"] for r in cli.json("network", "list", "--external")]
    assert "public" in externals and "private" not in externals, externals

    routers = {r["Name"]: r for r in cli.json("router", "list")}
    assert "router1" in routers, routers
    r1 = cli.json("router", "show", "router1")
    gw = r1["external_gateway_info"]
    assert gw and gw["network_id"] == public_net["id"], r1
    assert private_net["subnets"][0] in [i["subnet_id"] for i in r1["interfaces_info"]], r1


def test_extension_list(cli: Cli):
    rows = cli.json("extension", "list", "--network")
    aliases = {r["Alias"] for r in rows}
    missing = REQUIRED_EXTENSIONS - aliases
    assert not missing, f"missing extensions {missing}; listed: {sorted(aliases)}"
    assert all(r["Name"] for r in rows), rows


# --------------------------------------------------------------------------
# networks
# --------------------------------------------------------------------------
def test_network_create_show_set_tags_delete(cli: Cli, api: NetApi):
    name, t1, t2 = unique("net"), unique("t1"), unique("t2")
    net = cli.json("network", "create", "--description", "first", "--tag", t1, name)
    assert net["name"] == name and net["description"] == "first", net
    assert net["tags"] == [t1], net
    assert net["status"] == "ACTIVE" and net["admin_state_up"] is True, net
    assert net["shared"] is False and net["router:external"] is False, net
    assert net["subnets"] == [] and net["port_security_enabled"] is True, net
    other = cli.json("network", "create", unique("other"))

    shown = cli.json("network", "show", name)
    assert shown["id"] == net["id"] and shown["tags"] == [t1], shown

    new_name = unique("renamed")
    cli.ok("network", "set", "--name", new_name, "--description", "second", "--tag", t2, net["id"])
    shown = cli.json("network", "show", net["id"])
    assert shown["name"] == new_name and shown["description"] == "second", shown
    assert sorted(shown["tags"]) == sorted([t1, t2]), shown
    assert shown["revision_number"] > net["revision_number"], (net, shown)

    # --tags is all-of, --any-tags any-of, --not-tags excludes
    ids = [r["ID"] for r in cli.json("network", "list", "--tags", f"{t1},{t2}")]
    assert ids == [net["id"]], ids
    assert [r["ID"] for r in cli.json("network", "list", "--tags", t1, "--not-tags", t2)] == []

    cli.ok("network", "unset", "--tag", t1, net["id"])
    shown = cli.json("network", "show", net["id"])
    assert shown["tags"] == [t2], shown
    assert [r["ID"] for r in cli.json("network", "list", "--tags", t1)] == []

    rows = {r["ID"]: r for r in cli.json("network", "list", "--long")}
    row = rows[net["id"]]
    assert row["Name"] == new_name and row["Status"] == "ACTIVE" and row["State"] is True, row
    assert row["Tags"] == [t2] and row["Subnets"] == [] and row["Shared"] is False, row
    assert other["id"] in rows

    cli.ok("network", "delete", net["id"], other["id"])
    res = cli.fails("network", "show", net["id"])
    assert NOT_FOUND.search(res.stderr), res.describe()
    assert_error(api.get(f"networks/{net['id']}"), 404, "NetworkNotFound")


# --------------------------------------------------------------------------
# subnets
# --------------------------------------------------------------------------
def test_subnet_create_show_set(cli: Cli, lan):
    net, sub, _ = lan
    assert sub["network_id"] == net["id"], sub
    assert sub["cidr"] == "192.168.50.0/24" and sub["ip_version"] == 4, sub
    assert sub["gateway_ip"] == "192.168.50.1", sub
    assert sub["allocation_pools"] == [{"start": "192.168.50.10", "end": "192.168.50.20"}], sub
    assert sub["dns_nameservers"] == ["8.8.8.8"], sub
    assert sub["enable_dhcp"] is True, sub

    shown = cli.json("subnet", "show", sub["id"])
    for k in ("cidr", "gateway_ip", "allocation_pools", "dns_nameservers", "network_id", "name"):
        assert shown[k] == sub[k], (k, shown)
    assert cli.json("network", "show", net["id"])["subnets"] == [sub["id"]]

    new_name = unique("lan-sub-renamed")
    cli.ok("subnet", "set", "--name", new_name, sub["id"])
    shown = cli.json("subnet", "show", new_name)
    assert shown["id"] == sub["id"] and shown["name"] == new_name, shown
    assert shown["cidr"] == sub["cidr"] and shown["allocation_pools"] == sub["allocation_pools"], shown


def test_subnet_delete(cli: Cli, api: NetApi, lan):
    net, _, _ = lan
    extra = cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "192.168.51.0/24",
                     unique("spare"))
    assert extra["allocation_pools"] == [{"start": "192.168.51.2", "end": "192.168.51.254"}], extra
    cli.ok("subnet", "delete", extra["id"])
    res = cli.fails("subnet", "show", extra["id"])
    assert NOT_FOUND.search(res.stderr), res.describe()
    assert_error(api.get(f"subnets/{extra['id']}"), 404, "SubnetNotFound")
    assert extra["id"] not in api.get(f"networks/{net['id']}").body["network"]["subnets"]


def test_ipv6_slaac_subnet_port_gets_eui64(cli: Cli, api: NetApi):
    net = api.create("network", name=unique("v6net"))
    try:
        sub = cli.json("subnet", "create", "--network", net["id"], "--ip-version", "6",
                       "--ipv6-ra-mode", "slaac", "--ipv6-address-mode", "slaac",
                       "--subnet-range", "2001:db8:50::/64", unique("v6sub"))
        assert sub["ip_version"] == 6 and sub["cidr"] == "2001:db8:50::/64", sub
        assert sub["ipv6_ra_mode"] == "slaac" and sub["ipv6_address_mode"] == "slaac", sub
        assert sub["gateway_ip"] == "2001:db8:50::1", sub
        port = cli.json("port", "create", "--network", net["id"], unique("v6port"))
        mac = port["mac_address"]
        assert mac.startswith(BASE_MAC_PREFIX), port
        assert port["fixed_ips"] == [{"subnet_id": sub["id"],
                                      "ip_address": eui64("2001:db8:50::/64", mac)}], port
    finally:
        for p in api.get(f"ports?network_id={net['id']}").body["ports"]:
            api.delete(f"ports/{p['id']}")
        api.delete(f"networks/{net['id']}")


# --------------------------------------------------------------------------
# ports
# --------------------------------------------------------------------------
def test_port_without_fixed_ip_gets_first_pool_address(lan):
    _, sub, first = lan
    assert first["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "192.168.50.10"}], first
    assert first["mac_address"].startswith(BASE_MAC_PREFIX), first
    assert first["status"] == "DOWN" and first["device_owner"] == "", first
    assert len(first["security_group_ids"]) == 1, first


def test_port_create_fixed_ip_and_duplicate_conflicts(cli: Cli, api: NetApi, lan):
    net, sub, _ = lan
    port = cli.json("port", "create", "--network", net["id"],
                    "--fixed-ip", f"subnet={sub['id']},ip-address=192.168.50.15", unique("fixed"))
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "192.168.50.15"}], port
    res = cli.fails("port", "create", "--network", net["id"],
                    "--fixed-ip", f"subnet={sub['id']},ip-address=192.168.50.15", unique("dup"))
    assert CONFLICT.search(res.stderr), res.describe()
    r = api.port(net["id"], fixed_ips=[{"subnet_id": sub["id"], "ip_address": "192.168.50.15"}])
    err = assert_error(r, 409, "IpAddressAlreadyAllocated")
    assert "192.168.50.15" in err["message"], err
    # the failed attempts left no port behind
    owners = [p for p in api.get(f"ports?network_id={net['id']}").body["ports"]
              if "192.168.50.15" in ips_of(p)]
    assert [p["id"] for p in owners] == [port["id"]], owners


def test_port_list_show_set_unset_delete(cli: Cli, api: NetApi, lan):
    net, sub, first = lan
    name = unique("p")
    port = cli.json("port", "create", "--network", net["id"],
                    "--fixed-ip", f"subnet={sub['id']},ip-address=192.168.50.12", name)

    rows = {r["ID"]: r for r in cli.json("port", "list", "--long", "--network", net["id"])}
    assert {port["id"], first["id"]} <= set(rows), rows
    row = rows[port["id"]]
    assert row["Name"] == name and row["Status"] == "DOWN", row
    assert row["MAC Address"] == port["mac_address"], row
    assert [f["ip_address"] for f in row["Fixed IP Addresses"]] == ["192.168.50.12"], row
    assert row["Security Groups"] == port["security_group_ids"], row
    for r in rows.values():
        assert r["MAC Address"].startswith(BASE_MAC_PREFIX), r
    assert len({r["MAC Address"] for r in rows.values()}) == len(rows), rows

    shown = cli.json("port", "show", name)
    assert shown["id"] == port["id"] and shown["network_id"] == net["id"], shown

    new_name = unique("p-renamed")
    cli.ok("port", "set", "--name", new_name,
           "--fixed-ip", f"subnet={sub['id']},ip-address=192.168.50.13", port["id"])
    shown = cli.json("port", "show", port["id"])
    assert shown["name"] == new_name, shown
    assert sorted(ips_of(shown)) == ["192.168.50.12", "192.168.50.13"], shown

    cli.ok("port", "unset", "--fixed-ip", f"subnet={sub['id']},ip-address=192.168.50.12", port["id"])
    shown = cli.json("port", "show", port["id"])
    assert ips_of(shown) == ["192.168.50.13"], shown
    # the released address can be taken again
    again = api.port(net["id"], fixed_ips=[{"ip_address": "192.168.50.12"}])
    assert again.status == 201, again
    api.delete(f"ports/{again.body['port']['id']}")

    cli.ok("port", "delete", port["id"])
    res = cli.fails("port", "show", port["id"])
    assert NOT_FOUND.search(res.stderr), res.describe()
    assert_error(api.get(f"ports/{port['id']}"), 404, "PortNotFound")


# --------------------------------------------------------------------------
# security groups
# --------------------------------------------------------------------------
def test_security_group_rules_lifecycle(cli: Cli, api: NetApi):
    name = unique("sg")
    sg = cli.json("security", "group", "create", "--description", "web", name)
    assert sg["name"] == name and sg["description"] == "web", sg
    # a new (non-default) group has the two egress rules
    assert sorted((r["direction"], r["ethertype"]) for r in sg["rules"]) == \
        [("egress", "IPv4"), ("egress", "IPv6")], sg

    ssh = cli.json("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                   "--remote-ip", "0.0.0.0/0", sg["id"])
    assert ssh["protocol"] == "tcp" and ssh["direction"] == "ingress", ssh
    assert ssh["port_range_min"] == 22 and ssh["port_range_max"] == 22, ssh
    assert ssh["remote_ip_prefix"] == "0.0.0.0/0", ssh
    assert ssh["security_group_id"] == sg["id"], ssh
    icmp = cli.json("security", "group", "rule", "create", "--protocol", "icmp", sg["id"])
    assert icmp["protocol"] == "icmp" and icmp["port_range_min"] is None, icmp

    rows = {r["ID"]: r for r in cli.json("security", "group", "rule", "list", sg["id"])}
    assert len(rows) == 4, rows
    assert rows[ssh["id"]]["IP Protocol"] == "tcp" and rows[ssh["id"]]["Port Range"] == "22:22", rows
    assert rows[icmp["id"]]["IP Protocol"] == "icmp", rows

    res = cli.fails("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                    "--remote-ip", "0.0.0.0/0", sg["id"])
    assert CONFLICT.search(res.stderr), res.describe()
    r = api.post("security-group-rules", {"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
        "remote_ip_prefix": "0.0.0.0/0"}})
    err = assert_error(r, 409, "SecurityGroupRuleExists")
    assert ssh["id"] in err["message"], err

    cli.ok("security", "group", "delete", sg["id"])
    res = cli.fails("security", "group", "show", sg["id"])
    assert NOT_FOUND.search(res.stderr), res.describe()
    assert_error(api.get(f"security-group-rules/{ssh['id']}"), 404, "SecurityGroupRuleNotFound")


def test_default_security_group_member_cannot_delete(cli: Cli, server: Server, member: Account,
                                                       api: NetApi):
    groups = cli.json("security", "group", "list", cloud=member.cloud)
    defaults = [g for g in groups if g["Name"] == "default"]
    assert len(defaults) == 1, groups
    default = defaults[0]
    assert default["Project"] == member.project_id, default

    rules = cli.json("security", "group", "rule", "list", default["ID"], cloud=member.cloud)
    assert len(rules) == 4, rules
    kinds = sorted((r["Direction"], r["Ethertype"], r["Remote Security Group"]) for r in rules)
    assert kinds == [("egress", "IPv4", None), ("egress", "IPv6", None),
                     ("ingress", "IPv4", default["ID"]), ("ingress", "IPv6", default["ID"])], rules

    res = cli.fails("security", "group", "delete", default["ID"], cloud=member.cloud)
    assert CONFLICT.search(res.stderr), res.describe()
    member_api = NetApi(server, keystone_token(server, member.name, member.password, member.project))
    err = assert_error(member_api.delete(f"security-groups/{default['ID']}"), 409,
                       "SecurityGroupCannotRemoveDefault")
    assert err["message"] == "Insufficient rights for removing default security group.", err
    assert api.get(f"security-groups/{default['ID']}").status == 200


# --------------------------------------------------------------------------
# routers and floating IPs
# --------------------------------------------------------------------------
def test_router_gateway_interfaces_delete(cli: Cli, api: NetApi, lan, public_net: dict):
    net, sub, _ = lan
    name = unique("router")
    router = cli.json("router", "create", name)
    assert router["name"] == name and router["external_gateway_info"] is None, router
    assert router["status"] == "ACTIVE", router

    cli.ok("router", "set", "--external-gateway", "public", router["id"])
    cli.ok("router", "add", "subnet", router["id"], sub["id"])
    shown = cli.json("router", "show", router["id"])
    gw = shown["external_gateway_info"]
    assert gw["network_id"] == public_net["id"] and gw["enable_snat"] is True, shown
    assert len(gw["external_fixed_ips"]) == 1, gw
    public_sub = api.get(f"subnets/{gw['external_fixed_ips'][0]['subnet_id']}").body["subnet"]
    assert public_sub["network_id"] == public_net["id"], public_sub
    assert in_pools(gw["external_fixed_ips"][0]["ip_address"], public_sub["allocation_pools"]), gw
    assert [(i["subnet_id"], i["ip_address"]) for i in shown["interfaces_info"]] == \
        [(sub["id"], "192.168.50.1")], shown
    iface = cli.json("port", "show", shown["interfaces_info"][0]["port_id"])
    assert iface["device_owner"] == "network:router_interface", iface
    assert iface["device_id"] == router["id"], iface

    # a router with an interface cannot be deleted
    res = cli.fails("router", "delete", router["id"])
    assert CONFLICT.search(res.stderr), res.describe()
    assert_error(api.delete(f"routers/{router['id']}"), 409, "RouterInUse")

    cli.ok("router", "remove", "subnet", router["id"], sub["id"])
    shown = cli.json("router", "show", router["id"])
    assert shown["interfaces_info"] == [], shown
    assert_error(api.get(f"ports/{iface['id']}"), 404, "PortNotFound")

    cli.ok("router", "delete", router["id"])
    assert_error(api.get(f"routers/{router['id']}"), 404, "RouterNotFound")
    # the gateway port went with the router
    gw_ip = gw["external_fixed_ips"][0]["ip_address"]
    ports = api.get(f"ports?network_id={public_net['id']}").body["ports"]
    assert gw_ip not in [ip for p in ports for ip in ips_of(p)], ports


def test_floating_ip_associate_show_unset_delete(cli: Cli, api: NetApi, lan, public_net: dict,
                                                 private_net: dict):
    fip = cli.json("floating", "ip", "create", "public")
    try:
        assert fip["floating_network_id"] == public_net["id"], fip
        assert fip["port_id"] is None and fip["router_id"] is None, fip
        assert fip["fixed_ip_address"] is None, fip
        assert ipaddress.ip_address(fip["floating_ip_address"]) in ipaddress.ip_network("172.24.4.0/24"), fip

        # private-subnet is on router1, whose gateway is on public
        port = cli.json("port", "create", "--network", private_net["id"], unique("vm"))
        router1 = cli.json("router", "show", "router1")
        cli.ok("floating", "ip", "set", "--port", port["id"], fip["id"])
        shown = cli.json("floating", "ip", "show", fip["id"])
        assert shown["port_id"] == port["id"], shown
        assert shown["fixed_ip_address"] == ips_of(port)[0], shown
        assert shown["router_id"] == router1["id"], shown
        assert shown["floating_ip_address"] == fip["floating_ip_address"], shown

        cli.ok("floating", "ip", "unset", "--port", fip["id"])
        shown = cli.json("floating", "ip", "show", fip["id"])
        assert shown["port_id"] is None and shown["fixed_ip_address"] is None, shown
        assert shown["router_id"] is None, shown

        # a port whose subnet no router joins to public cannot be associated
        net, _, first = lan
        res = cli.fails("floating", "ip", "set", "--port", first["id"], fip["id"])
        assert NOT_FOUND.search(res.stderr), res.describe()
        r = api.put(f"floatingips/{fip['id']}", {"floatingip": {"port_id": first["id"]}})
        assert_error(r, 404, "ExternalGatewayForFloatingIPNotFound")
        assert api.get(f"floatingips/{fip['id']}").body["floatingip"]["port_id"] is None

        cli.ok("floating", "ip", "delete", fip["id"])
        res = cli.fails("floating", "ip", "show", fip["id"])
        assert NOT_FOUND.search(res.stderr), res.describe()
        assert_error(api.get(f"floatingips/{fip['id']}"), 404, "FloatingIPNotFound")
        # its address is free again: no port of public holds it
        ports = api.get(f"ports?network_id={public_net['id']}").body["ports"]
        assert fip["floating_ip_address"] not in [ip for p in ports for ip in ips_of(p)], ports
        api.delete(f"ports/{port['id']}")
    finally:
        api.delete(f"floatingips/{fip['id']}")


# --------------------------------------------------------------------------
# quotas
# --------------------------------------------------------------------------
def _third_port_over_quota(cli: Cli, server: Server, api: NetApi, acct: Account, network_id: str):
    made = [cli.json("port", "create", "--network", network_id, unique("q"), cloud=acct.cloud)
            for _ in range(2)]
    try:
        res = cli.fails("port", "create", "--network", network_id, unique("q3"), cloud=acct.cloud)
        assert CONFLICT.search(res.stderr) and "Quota exceeded" in res.stderr, res.describe()
        acct_api = NetApi(server, keystone_token(server, acct.name, acct.password, acct.project))
        err = assert_error(acct_api.port(network_id), 409, "OverQuota")
        assert err["message"] == "Quota exceeded for resources: ['port'].", err
        mine = acct_api.get("ports").body["ports"]
        assert sorted(p["id"] for p in mine) == sorted(p["id"] for p in made), mine
    finally:
        for p in made:
            api.delete(f"ports/{p['id']}")
        api.delete(f"quotas/{acct.project_id}")


def test_quota_show_and_port_limit_enforced(cli: Cli, server: Server, api: NetApi,
                                            admin_token: str, private_net: dict):
    acct = rest_account(cli, admin_token)
    q = quota_rows(cli.json("quota", "show", "--network", acct.project_id))
    assert q["ports"] == 500 and q["networks"] == 100 and q["subnets"] == 100, q
    assert q["routers"] == 10 and q["floating_ips"] == 50, q
    assert q["security_groups"] == 10 and q["security_group_rules"] == 100, q
    r = api.get(f"quotas/{acct.project_id}")
    assert r.status == 200 and r.body["quota"]["port"] == 500, r

    # the limit is set over raw HTTP (see test_quota_set_ports_cli for the CLI)
    r = api.put(f"quotas/{acct.project_id}", {"quota": {"port": 2}})
    assert r.status == 200 and r.body["quota"]["port"] == 2, r
    assert quota_rows(cli.json("quota", "show", "--network", acct.project_id))["ports"] == 2
    _third_port_over_quota(cli, server, api, acct, private_net["id"])


def test_quota_set_ports_cli(cli: Cli, server: Server, api: NetApi, admin_token: str,
                             private_net: dict):
    acct = rest_account(cli, admin_token)
    try:
        cli.ok("quota", "set", "--ports", "2", acct.project_id)
    except AssertionError:
        api.delete(f"quotas/{acct.project_id}")
        raise
    assert quota_rows(cli.json("quota", "show", "--network", acct.project_id))["ports"] == 2
    _third_port_over_quota(cli, server, api, acct, private_net["id"])


# --------------------------------------------------------------------------
# failure paths: exhaustion, in-use
# --------------------------------------------------------------------------
def test_ip_exhaustion_small_subnet(cli: Cli, api: NetApi):
    net = cli.json("network", "create", unique("tiny"))
    try:
        sub = cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "10.77.0.0/29",
                       unique("tiny-sub"))
        assert sub["allocation_pools"] == [{"start": "10.77.0.2", "end": "10.77.0.6"}], sub
        got = []
        for _ in range(5):
            r = api.port(net["id"])
            assert r.status == 201, r
            got += ips_of(r.body["port"])
        assert sorted(got, key=ipaddress.ip_address) == [f"10.77.0.{i}" for i in range(2, 7)], got
        res = cli.fails("port", "create", "--network", net["id"], unique("none-left"))
        assert CONFLICT.search(res.stderr), res.describe()
        err = assert_error(api.port(net["id"]), 409, "IpAddressGenerationFailure")
        assert err["message"] == f"No more IP addresses available on network {net['id']}.", err
    finally:
        for p in api.get(f"ports?network_id={net['id']}").body["ports"]:
            api.delete(f"ports/{p['id']}")
        api.delete(f"networks/{net['id']}")


def test_delete_network_and_subnet_in_use(cli: Cli, api: NetApi, lan):
    net, sub, first = lan
    res = cli.fails("network", "delete", net["id"])
    assert CONFLICT.search(res.stderr) or "failed to delete" in res.stderr, res.describe()
    err = assert_error(api.delete(f"networks/{net['id']}"), 409, "NetworkInUse")
    assert err["message"].startswith(f"Unable to complete operation on network {net['id']}."), err
    res = cli.fails("subnet", "delete", sub["id"])
    assert CONFLICT.search(res.stderr) or "failed to delete" in res.stderr, res.describe()
    err = assert_error(api.delete(f"subnets/{sub['id']}"), 409, "SubnetInUse")
    assert sub["id"] in err["message"], err
    # nothing was deleted
    assert api.get(f"networks/{net['id']}").status == 200
    assert api.get(f"subnets/{sub['id']}").status == 200
    assert api.get(f"ports/{first['id']}").status == 200


def test_network_in_use_message_lists_ports(api: NetApi, lan):
    net, _, first = lan
    err = assert_error(api.delete(f"networks/{net['id']}"), 409, "NetworkInUse")
    assert "id for these ports is:" in err["message"] and first["id"] in err["message"], err


# --------------------------------------------------------------------------
# pagination
# --------------------------------------------------------------------------
def _walk(api: NetApi, collection: str, limit: int) -> list[str]:
    url, seen, pages = f"{collection}?limit={limit}", [], 0
    while url:
        r = api.get(url)
        assert r.status == 200, r
        items = r.body[collection]
        assert len(items) <= limit, r.body
        seen += [i["id"] for i in items]
        nxt = [l["href"] for l in r.body.get(f"{collection}_links", []) if l["rel"] == "next"]
        if pages == 0:
            assert nxt, f"first page of {collection}?limit={limit} has no next link: {r.body}"
            assert "marker=" in nxt[0] and f"limit={limit}" in nxt[0], nxt
        url = nxt[0] if nxt and items else None
        pages += 1
        assert pages < 500, "pagination does not end"
    return seen


def test_pagination_networks_and_ports(api: NetApi, lan):
    for collection in ("networks", "ports"):
        everything = [i["id"] for i in api.get(collection).body[collection]]
        assert len(everything) >= 2, everything
        r = api.get(f"{collection}?limit=1")
        assert len(r.body[collection]) == 1, r.body
        nxt = [l for l in r.body[f"{collection}_links"] if l["rel"] == "next"]
        assert len(nxt) == 1, r.body
        assert nxt[0]["href"].startswith(api.base + f"/{collection}?"), nxt
        walked = _walk(api, collection, 1)
        assert len(walked) == len(set(walked)), walked
        assert sorted(walked) == sorted(everything), (walked, everything)
        assert sorted(_walk(api, collection, 2)) == sorted(everything)


def test_pagination_first_page_has_previous_link(api: NetApi, lan):
    r = api.get("networks?limit=1")
    assert r.status == 200, r
    first = r.body["networks"][0]["id"]
    links = {l["rel"]: l["href"] for l in r.body.get("networks_links", [])}
    assert set(links) == {"next", "previous"}, links
    assert f"marker={first}" in links["previous"] and "page_reverse=True" in links["previous"], links


# --------------------------------------------------------------------------
# concurrency: parallel port creation on one /24
# --------------------------------------------------------------------------
def _concurrent_ports(cli: Cli, api: NetApi, cidr: str):
    """CONCURRENT_PORTS port creates, CONCURRENT_THREADS at a time, on a
    fresh network with one subnet `cidr` (a /24): every create succeeds and
    the ports get distinct addresses of the pool and distinct MACs."""
    net = cli.json("network", "create", unique("busy"))
    try:
        sub = cli.json("subnet", "create", "--network", net["id"], "--subnet-range", cidr,
                       unique("busy-sub"))
        pools = sub["allocation_pools"]
        hosts = list(ipaddress.ip_network(cidr).hosts())
        assert pools == [{"start": str(hosts[1]), "end": str(hosts[-1])}], sub

        def make(i: int) -> HttpResult:
            return api.port(net["id"], name=f"c{i}")

        with ThreadPoolExecutor(max_workers=CONCURRENT_THREADS) as ex:
            results = list(ex.map(make, range(CONCURRENT_PORTS)))
        failed = [(r.status, r.body) for r in results if r.status != 201]
        assert not failed, f"{len(failed)} of {CONCURRENT_PORTS} creates failed, e.g. {failed[:3]}"
        ports = [r.body["port"] for r in results]
        ips = [ip for p in ports for ip in ips_of(p)]
        assert len(ips) == CONCURRENT_PORTS, ips
        dupes = sorted({ip for ip in ips if ips.count(ip) > 1})
        assert not dupes, f"addresses given to more than one port: {dupes}"
        outside = [ip for ip in ips if not in_pools(ip, pools)]
        assert not outside, f"addresses outside the pool {pools}: {outside}"
        macs = [p["mac_address"] for p in ports]
        assert len(set(macs)) == CONCURRENT_PORTS and all(m.startswith(BASE_MAC_PREFIX) for m in macs)

        # what the CLI lists agrees
        rows = cli.json("port", "list", "--network", net["id"])
        assert len(rows) == CONCURRENT_PORTS, len(rows)
        listed = sorted(f["ip_address"] for r in rows for f in r["Fixed IP Addresses"])
        assert listed == sorted(ips)
    finally:
        ids = [p["id"] for p in api.get(f"ports?network_id={net['id']}").body.get("ports", [])]
        with ThreadPoolExecutor(max_workers=CONCURRENT_THREADS) as ex:
            list(ex.map(lambda i: api.delete(f"ports/{i}"), ids))
        api.delete(f"networks/{net['id']}")


def test_concurrent_port_creates_sqlite(cli: Cli, api: NetApi):
    _concurrent_ports(cli, api, "10.99.0.0/24")


@pytest.fixture(scope="module")
def pg_cli(tmp_path_factory):
    """A server of its own on a fresh PostgreSQL database (trust auth on
    127.0.0.1:5432), dropped afterwards."""
    psql = shutil.which("psql")
    if not psql:
        pytest.skip("psql is not installed: cannot create a PostgreSQL database")
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}

    def sql(statement: str) -> subprocess.CompletedProcess:
        return subprocess.run([psql, "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                               "-v", "ON_ERROR_STOP=1", "-c", statement],
                              capture_output=True, text=True, env=env, timeout=60,
                              stdin=subprocess.DEVNULL)

    db = "ferrostack_net_" + secrets.token_hex(6)
    made = sql(f"CREATE DATABASE {db}")
    if made.returncode != 0:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is unreachable: {made.stderr.strip()}")
    srv = Server(tmp_path_factory.mktemp("netpg"),
                 extra_config=f"\n[database]\nconnection = postgresql://postgres@127.0.0.1:5432/{db}\n")
    try:
        srv.start()
        own = tmp_path_factory.mktemp("pgclients") / "clouds.yaml"
        shutil.copy(srv.data_dir / "clouds.yaml", own)
        yield Cli(server=srv, clouds_yaml=own)
    finally:
        srv.stop()
        sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_concurrent_port_creates_postgresql(pg_cli: Cli):
    # the bootstrap ran on PostgreSQL too
    names = {r["Name"] for r in pg_cli.json("network", "list")}
    assert {"public", "private"} <= names, names
    api = NetApi(pg_cli.server, pg_cli.token()["id"])
    # a few bursts, each on a fresh /24, so a rare race cannot hide
    for third_octet in range(PG_ROUNDS):
        _concurrent_ports(pg_cli, api, f"10.99.{third_octet}.0/24")


# --------------------------------------------------------------------------
# the rest of the API surface through the CLI
# --------------------------------------------------------------------------
def test_extension_show(cli: Cli):
    ext = cli.json("extension", "show", "router")
    assert ext["alias"] == "router" and ext["name"], ext
    r = cli.raw("extension", "show", "no-such-extension")
    assert r.returncode != 0, r.describe()


def test_ip_availability_list_and_show(cli: Cli, lan):
    net, sub, _ = lan
    rows = {r["Network Name"]: r for r in cli.json("ip", "availability", "list")}
    assert net["name"] in rows, rows
    shown = cli.json("ip", "availability", "show", net["id"])
    # the pool 192.168.50.10-20 holds 11 addresses; the fixture's first port uses one
    per_subnet = {s["subnet_id"]: s for s in shown["subnet_ip_availability"]}
    assert per_subnet[sub["id"]]["total_ips"] == 11, shown
    assert per_subnet[sub["id"]]["used_ips"] >= 1, shown
    assert shown["total_ips"] == 11 and shown["used_ips"] == per_subnet[sub["id"]]["used_ips"], shown


def test_quota_list_and_delete(cli: Cli, api: NetApi, admin_token: str):
    acct = rest_account(cli, admin_token)
    cli.ok("quota", "set", "--networks", "7", acct.project_id)
    rows = {r["Project ID"]: r for r in cli.json("quota", "list", "--network")}
    assert rows[acct.project_id]["Networks"] == 7, rows
    cli.ok("quota", "delete", "--network", acct.project_id)
    rows = {r["Project ID"]: r for r in cli.json("quota", "list", "--network")}
    assert acct.project_id not in rows, rows
    assert api.get(f"quotas/{acct.project_id}").body["quota"]["network"] == 100


def test_router_add_and_remove_route(cli: Cli, api: NetApi, lan):
    net, sub, _ = lan
    router = cli.json("router", "create", unique("routes"))
    try:
        cli.ok("router", "add", "subnet", router["id"], sub["id"])
        route = "destination=10.77.0.0/24,gateway=192.168.50.15"
        shown = cli.json("router", "add", "route", "--route", route, router["id"])
        assert shown["routes"] == [{"destination": "10.77.0.0/24", "nexthop": "192.168.50.15"}], shown
        shown = cli.json("router", "remove", "route", "--route", route, router["id"])
        assert shown["routes"] == [], shown
        cli.ok("router", "remove", "subnet", router["id"], sub["id"])
    finally:
        api.delete(f"routers/{router['id']}")


def test_auto_allocated_topology(cli: Cli, admin_token: str):
    acct = rest_account(cli, admin_token)
    as_member = {"cloud": acct.cloud}
    before = {n["Name"] for n in cli.json("network", "list", **as_member)}
    cli.ok("network", "auto", "allocated", "topology", "create", "--check-resources", **as_member)
    assert {n["Name"] for n in cli.json("network", "list", **as_member)} == before
    topo = cli.json("network", "auto", "allocated", "topology", "create", **as_member)
    net = cli.json("network", "show", topo["id"], **as_member)
    assert net["name"] == "auto_allocated_network" and net["project_id"] == acct.project_id, net
    assert net["subnets"], net
    # the same network the second time
    again = cli.json("network", "auto", "allocated", "topology", "create", **as_member)
    assert again["id"] == topo["id"], (topo, again)
    cli.ok("network", "auto", "allocated", "topology", "delete", **as_member)
    names = {n["Name"] for n in cli.json("network", "list", **as_member)}
    assert "auto_allocated_network" not in names, names


def test_overlong_port_attributes_are_400(api: NetApi, lan):
    net, _, _ = lan
    for attr in ("device_id", "device_owner"):
        r = api.port(net["id"], **{attr: "x" * 256})
        err = assert_error(r, 400, "HTTPBadRequest")
        assert "exceeds maximum length of 255" in err["message"], err
    ports = api.get(f"ports?network_id={net['id']}&device_id={'x' * 256}").body["ports"]
    assert ports == [], ports
