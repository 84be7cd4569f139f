"""A compute service that stops mid-flight, with the stock `openstack` CLI.

A cloud of its own with two fake hosts whose guests take two seconds to
come up, so a build or a resize can be cut off by killing the process
(SIGKILL, nothing gets to clean up). After a restart nova's `init_host`
rules apply: guests come back in their recorded power state, a build that
was under way goes to ERROR, and a resize that had not landed is rolled
back to its source with the destination's claim freed.

Run:  $VENV/bin/python -m pytest tests/cli/test_compute_restart_cli.py -q
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import Cli, http, own_cloud, settled, unique, upload_image, wait_server


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    yield from own_cloud(tmp_path_factory.mktemp("restart"),
                         extra_config="\n[fake_driver]\nhosts = cmp1, cmp2\nspawn_delay = 2\n")


@pytest.fixture(scope="module")
def image(cloud: Cli, tmp_path_factory) -> str:
    return upload_image(cloud, tmp_path_factory.mktemp("img"))


def crash_and_restart(cloud: Cli) -> None:
    srv = cloud.server
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(timeout=10)
    srv.start()


def boot(cli: Cli, image: str) -> dict:
    name = unique("vm")
    shown = cli.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                     "--network", "private", "--wait", name)
    assert shown["status"] == "ACTIVE"
    return shown


def api(cloud: Cli) -> tuple[str, dict]:
    """The compute URL and an admin token's headers, fetched ahead of a
    step that must be fast: the CLI is too slow to catch a two-second
    window on a loaded machine, so crashes are timed over plain HTTP."""
    token = cloud.json("token", "issue")["id"]
    return f"{cloud.server.compute_url}/v2.1", {"X-Auth-Token": token}


def wait_task(base: str, headers: dict, server_id: str, task_state: str) -> None:
    deadline = time.time() + 60
    while True:
        shown = http("GET", f"{base}/servers/{server_id}", headers).body["server"]
        if shown.get("OS-EXT-STS:task_state") == task_state:
            return
        assert time.time() < deadline, f"{server_id} never reached {task_state}: {shown['status']}"
        time.sleep(0.02)


def memory_used(cloud: Cli) -> dict[str, int]:
    token = cloud.json("token", "issue")["id"]
    api = f"{cloud.server.compute_url}/v2.1"
    r = http("GET", f"{api}/os-hypervisors/detail", {"X-Auth-Token": token})
    return {h["hypervisor_hostname"]: h["memory_mb_used"] for h in r.body["hypervisors"]}


def test_guests_come_back_in_their_power_state(cloud: Cli, image: str):
    running = boot(cloud, image)["name"]
    stopped = boot(cloud, image)["name"]
    cloud.ok("server", "stop", stopped)
    wait_server(cloud, stopped, settled("SHUTOFF"))
    crash_and_restart(cloud)
    wait_server(cloud, running, settled("ACTIVE"))
    wait_server(cloud, stopped, settled("SHUTOFF"))
    # The hypervisor knows both guests again: power actions reach them.
    cloud.ok("server", "stop", running)
    wait_server(cloud, running, settled("SHUTOFF"))
    cloud.ok("server", "start", stopped)
    wait_server(cloud, stopped, settled("ACTIVE"))


def test_a_build_cut_off_goes_to_error_and_can_be_deleted(cloud: Cli, image: str):
    name = unique("vm")
    body = {"server": {
        "name": name,
        "imageRef": cloud.json("image", "show", image)["id"],
        "flavorRef": cloud.json("flavor", "show", "m1.tiny")["id"],
        "networks": [{"uuid": cloud.json("network", "show", "private")["id"]}],
    }}
    base, headers = api(cloud)
    created = http("POST", f"{base}/servers", headers, body)
    assert created.status == 202, created.body
    wait_task(base, headers, created.body["server"]["id"], "spawning")
    crash_and_restart(cloud)
    shown = wait_server(cloud, name, lambda s: s["status"] == "ERROR")
    assert "compute service restarted" in str(shown.get("fault"))
    cloud.ok("server", "delete", "--wait", name)
    ports = cloud.json("port", "list", "--device-id", shown["id"])
    assert ports == []


def test_a_resize_cut_off_is_rolled_back_to_its_source(cloud: Cli, image: str):
    before = boot(cloud, image)
    name = before["name"]
    source = before["OS-EXT-SRV-ATTR:host"]
    used_before = memory_used(cloud)
    small = cloud.json("flavor", "show", "m1.small")["id"]
    base, headers = api(cloud)
    resized = http("POST", f"{base}/servers/{before['id']}/action", headers,
                   {"resize": {"flavorRef": small}})
    assert resized.status == 202, resized.body
    # The destination is bringing the guest up (two seconds): cut it off.
    wait_task(base, headers, before["id"], "resize_finish")
    crash_and_restart(cloud)
    back = wait_server(cloud, name, settled("ACTIVE"))
    assert back["OS-EXT-SRV-ATTR:host"] == source
    assert "m1.tiny" in str(back["flavor"])
    moves = cloud.json("server", "migration", "list", "--server", before["id"])
    assert [m["Status"] for m in moves] == ["error"]
    # The destination's claim is gone, the source holds the server again.
    assert memory_used(cloud) == used_before
    # Its port is bound here again, and the server moves on normally.
    token = cloud.json("token", "issue")["id"]
    r = http("GET", f"{cloud.server.network_url}/v2.0/ports?device_id={before['id']}",
             {"X-Auth-Token": token})
    assert [p["binding:host_id"] for p in r.body["ports"]] == [source]
    cloud.ok("server", "resize", "--flavor", "m1.small", "--wait", name)
    resized = wait_server(cloud, name, settled("VERIFY_RESIZE"))
    assert resized["OS-EXT-SRV-ATTR:host"] != source
    cloud.ok("server", "resize", "confirm", name)
    wait_server(cloud, name, settled("ACTIVE"))
