"""End-to-end Compute (Nova v2.1) tests against `ferrostack all-in-one`.

Stock, unpatched `openstack` CLI (python-openstackclient / openstacksdk)
against the all-in-one cloud with its fake hypervisor: boot a server on the
bootstrap `private` network, drive it through its power states, and check
the resources around it (flavors, key pairs, hypervisors, services, zones,
quotas). Failure bodies the CLI does not show are checked with raw HTTP.

Run:  $VENV/bin/python -m pytest tests/cli/test_compute_cli.py -q
"""
from __future__ import annotations

import json
import time

import pytest

from conftest import Cli, http, nova, unique, upload_image, wait_status

WAIT = 30.0


def server_status(cli: Cli, name: str) -> str:
    return cli.json("server", "show", name)["status"]


@pytest.fixture(scope="module")
def image(cli: Cli, tmp_path_factory) -> str:
    return upload_image(cli, tmp_path_factory.mktemp("img"))


@pytest.fixture(scope="module")
def keypair(cli: Cli) -> str:
    name = unique("key")
    # openstackclient prints the generated private key, not a record.
    out = cli.ok("keypair", "create", name).stdout
    assert "PRIVATE KEY" in out
    return name


@pytest.fixture(scope="module")
def booted(cli: Cli, image: str, keypair: str) -> str:
    name = unique("vm")
    shown = cli.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                     "--network", "private", "--key-name", keypair, "--wait", name)
    assert shown["status"] == "ACTIVE"
    return name


def compute_api(server, token: str, method: str, path: str, body=None, version="2.96"):
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
    return http(method, f"{server.compute_url}/v2.1{path}", headers, body)


def test_versions_document_advertises_the_microversion_range(server):
    r = http("GET", f"{server.compute_url}/v2.1")
    assert r.status == 200
    version = r.body["version"]
    assert version["id"] == "v2.1"
    assert version["min_version"] == "2.1"
    assert version["version"] == "2.100"


def test_default_flavors_and_flavor_crud(cli: Cli):
    names = {f["Name"] for f in cli.json("flavor", "list")}
    assert {"m1.tiny", "m1.small", "m1.medium"} <= names
    name = unique("flavor")
    created = cli.json("flavor", "create", "--ram", "256", "--vcpus", "2", "--disk", "3", name)
    assert created["ram"] == 256 and created["vcpus"] == 2 and created["disk"] == 3
    cli.ok("flavor", "set", "--property", "hw:cpu_policy=dedicated", name)
    shown = cli.json("flavor", "show", name)
    assert "hw:cpu_policy" in json.dumps(shown["properties"])
    cli.ok("flavor", "delete", name)
    assert name not in {f["Name"] for f in cli.json("flavor", "list", "--all")}


def test_keypair_create_list_delete(cli: Cli):
    name = unique("kp")
    assert "PRIVATE KEY" in cli.ok("keypair", "create", name).stdout
    assert cli.json("keypair", "show", name)["fingerprint"].count(":") == 15
    assert name in {k["Name"] for k in cli.json("keypair", "list")}
    cli.ok("keypair", "delete", name)
    assert name not in {k["Name"] for k in cli.json("keypair", "list")}


def test_server_boots_active_with_an_address_on_private(cli: Cli, booted: str, keypair: str):
    shown = cli.json("server", "show", booted)
    assert shown["status"] == "ACTIVE"
    assert shown["key_name"] == keypair
    assert "private" in json.dumps(shown["addresses"])
    listed = cli.json("server", "list", "--long")
    row = next(s for s in listed if s["Name"] == booted)
    assert row["Status"] == "ACTIVE"
    assert row["Power State"] in ("Running", "RUNNING", 1)


def test_server_port_lives_on_the_network_service(cli: Cli, booted: str):
    server_id = cli.json("server", "show", booted)["id"]
    ports = cli.json("port", "list", "--device-id", server_id)
    assert len(ports) == 1
    assert ports[0]["Status"] == "ACTIVE"


def test_power_actions(cli: Cli, booted: str):
    cli.ok("server", "stop", booted)
    wait_status(cli, booted, "SHUTOFF")
    cli.ok("server", "start", booted)
    wait_status(cli, booted, "ACTIVE")
    cli.ok("server", "reboot", "--hard", booted)
    wait_status(cli, booted, "ACTIVE")
    cli.ok("server", "pause", booted)
    wait_status(cli, booted, "PAUSED")
    cli.ok("server", "unpause", booted)
    wait_status(cli, booted, "ACTIVE")
    cli.ok("server", "suspend", booted)
    wait_status(cli, booted, "SUSPENDED")
    cli.ok("server", "resume", booted)
    wait_status(cli, booted, "ACTIVE")


def test_invalid_state_is_409(server, admin_token, cli: Cli, booted: str):
    server_id = cli.json("server", "show", booted)["id"]
    r = compute_api(server, admin_token, "POST", f"/servers/{server_id}/action", {"os-start": None})
    assert r.status == 409, r.body
    assert "conflictingRequest" in r.body


def test_lock_unlock_and_properties(cli: Cli, booted: str):
    cli.ok("server", "lock", booted)
    assert cli.json("server", "show", booted)["locked"] is True
    cli.ok("server", "unlock", booted)
    assert cli.json("server", "show", booted)["locked"] is False


def test_console_log_show(cli: Cli, booted: str):
    out = cli.ok("console", "log", "show", booted).stdout
    assert "login:" in out


def test_instance_actions_are_recorded(cli: Cli, booted: str):
    actions = {a["Action"] for a in cli.json("server", "event", "list", booted)}
    assert {"create", "stop", "start"} <= actions


def test_hypervisors_services_zones_quotas(cli: Cli):
    hypervisors = cli.json("hypervisor", "list")
    assert hypervisors and hypervisors[0]["State"] == "up"
    services = cli.json("compute", "service", "list")
    assert any(s["Binary"] == "nova-compute" and s["State"] == "up" for s in services)
    zones = cli.json("availability", "zone", "list", "--compute")
    assert any(z["Zone Name"] == "nova" for z in zones)
    quota = cli.json("quota", "show", "--compute")
    text = json.dumps(quota)
    assert "instances" in text or "Instances" in text


def test_unknown_server_is_404_in_nova_format(server, admin_token):
    r = compute_api(server, admin_token, "GET", "/servers/00000000-0000-0000-0000-000000000000")
    assert r.status == 404
    assert r.body["itemNotFound"]["code"] == 404


def test_unknown_flavor_at_create_is_400(server, admin_token):
    body = {"server": {"name": "x", "imageRef": "00000000-0000-0000-0000-000000000000",
                       "flavorRef": "no-such-flavor", "networks": "none"}}
    r = compute_api(server, admin_token, "POST", "/servers", body)
    assert r.status == 400, r.body
    assert "no-such-flavor" in r.body["badRequest"]["message"]


def test_delete_frees_the_port(cli: Cli, image: str):
    name = unique("gone")
    shown = cli.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                     "--network", "private", "--wait", name)
    server_id = shown["id"]
    cli.ok("server", "delete", "--wait", name)
    assert cli.json("port", "list", "--device-id", server_id) == []
    assert name not in {s["Name"] for s in cli.json("server", "list")}


# --------------------------------------------------------------------------
# novaclient
# --------------------------------------------------------------------------
def test_nova_boot_and_list(server, cli: Cli, image: str):
    net = cli.json("network", "show", "private")["id"]
    name = unique("nova")
    nova(server, "boot", "--image", image, "--flavor", "m1.tiny", "--nic", f"net-id={net}",
         "--poll", name)
    listed = nova(server, "list", "--fields", "name,status,networks")
    line = next(l for l in listed.splitlines() if name in l)
    assert "ACTIVE" in line and "private=" in line
    assert name in nova(server, "list", "--name", name)
    nova(server, "delete", name)
    deadline = time.time() + WAIT
    while name in nova(server, "list"):
        assert time.time() < deadline, "nova delete did not finish"
        time.sleep(0.3)
