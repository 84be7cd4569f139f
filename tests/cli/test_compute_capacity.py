"""Capacity: concurrent boots never overcommit a host, and nothing leaks.

Three fake hosts with 4 GiB of RAM each, 512 MiB of it reserved, RAM ratio
1.0: 28 m1.nano servers (128 MiB) fit on each, 84 in all. 100 boots are
sent at once, each its own request, so their claims race: exactly 84 must
reach ACTIVE and 16 end in ERROR with nova's "No valid host" fault; no
host's placed RAM may pass (4096 - 512) MiB. After everything is deleted,
no allocation, port or quota usage may remain.

Run:  $VENV/bin/python -m pytest tests/cli/test_compute_capacity.py -q
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Cli, http, own_cloud, unique

HOSTS = ["cap1", "cap2", "cap3"]
HOST_RAM, RESERVED, NANO_RAM = 4096, 512, 128
PER_HOST = (HOST_RAM - RESERVED) // NANO_RAM  # 28
BOOTS = 100
WAIT = 120.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    hosts = ", ".join(f"{h}:64:{HOST_RAM}:1000" for h in HOSTS)
    yield from own_cloud(
        tmp_path_factory.mktemp("capacity"),
        extra_default=f"reserved_host_memory_mb = {RESERVED}\nram_allocation_ratio = 1.0\n",
        extra_config=f"\n[fake_driver]\nhosts = {hosts}\n"
                     "[quota]\ninstances = -1\ncores = -1\nram = -1\n",
    )


def api(cli: Cli):
    token = cli.json("token", "issue")["id"]
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.1"}
    return f"{cli.server.compute_url}/v2.1", headers


def hypervisors(cli: Cli) -> dict[str, dict]:
    base, headers = api(cli)
    listed = http("GET", f"{base}/os-hypervisors/detail", headers).body["hypervisors"]
    return {h["hypervisor_hostname"]: h for h in listed}


def test_concurrent_boots_fill_the_hosts_exactly_and_leak_nothing(cloud: Cli, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * 4096)
    image_id = cloud.json("image", "create", "--file", str(disk), "--disk-format", "raw",
                          "--container-format", "bare", unique("img"))["id"]
    net_id = cloud.json("network", "show", "private")["id"]
    base, headers = api(cloud)
    prefix = unique("cap")

    def boot(i: int):
        body = {"server": {"name": f"{prefix}-{i}", "imageRef": image_id, "flavorRef": "42",
                           "networks": [{"uuid": net_id}]}}
        return http("POST", f"{base}/servers", headers, body)

    with ThreadPoolExecutor(max_workers=BOOTS) as pool:
        results = list(pool.map(boot, range(BOOTS)))
    assert [r.status for r in results] == [202] * BOOTS
    ids = [r.body["server"]["id"] for r in results]

    deadline = time.time() + WAIT
    while True:
        servers = http("GET", f"{base}/servers/detail?name={prefix}", headers).body["servers"]
        statuses = [s["status"] for s in servers]
        if len(servers) == BOOTS and all(st in ("ACTIVE", "ERROR") for st in statuses):
            break
        assert time.time() < deadline, f"still building: {sorted(set(statuses))}"
        time.sleep(0.5)

    active = [s for s in servers if s["status"] == "ACTIVE"]
    failed = [s for s in servers if s["status"] == "ERROR"]
    assert len(active) == PER_HOST * len(HOSTS)
    assert len(failed) == BOOTS - PER_HOST * len(HOSTS)
    assert all("No valid host" in s["fault"]["message"] for s in failed)
    per_host: dict[str, int] = {}
    for s in active:
        host = s["OS-EXT-SRV-ATTR:host"]
        per_host[host] = per_host.get(host, 0) + 1
    assert per_host == {h: PER_HOST for h in HOSTS}
    for name, h in hypervisors(cloud).items():
        assert h["memory_mb_used"] <= HOST_RAM, (name, h["memory_mb_used"])
        assert h["memory_mb_used"] == RESERVED + PER_HOST * NANO_RAM
        assert h["running_vms"] == PER_HOST
    ports = cloud.json("port", "list", "--device-owner", "compute:nova")
    assert len(ports) == len(active), "only the servers that run hold a port"

    with ThreadPoolExecutor(max_workers=20) as pool:
        deleted = list(pool.map(lambda i: http("DELETE", f"{base}/servers/{i}", headers), ids))
    assert {r.status for r in deleted} == {204}
    deadline = time.time() + WAIT
    while http("GET", f"{base}/servers?name={prefix}", headers).body["servers"]:
        assert time.time() < deadline, "deletes did not finish"
        time.sleep(0.5)

    for name, h in hypervisors(cloud).items():
        assert h["memory_mb_used"] == RESERVED, (name, h)
        assert h["vcpus_used"] == 0 and h["running_vms"] == 0, (name, h)
    assert cloud.json("port", "list", "--device-owner", "compute:nova") == []
    limits = http("GET", f"{base}/limits", headers).body["limits"]["absolute"]
    assert limits["totalInstancesUsed"] == 0
    assert limits["totalRAMUsed"] == 0 and limits["totalCoresUsed"] == 0


# --------------------------------------------------------------------------
# build failures: retries on other hosts, then ERROR
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flaky(tmp_path_factory):
    yield from own_cloud(
        tmp_path_factory.mktemp("flaky"),
        extra_config="\n[fake_driver]\nhosts = bad1, bad2, good1\nfail_spawn_hosts = bad1, bad2\n"
                     "[scheduler]\nmax_attempts = 3\n",
    )


def test_failed_builds_are_retried_elsewhere_then_fail(flaky: Cli, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * 4096)
    image = unique("img")
    flaky.ok("image", "create", "--file", str(disk), "--disk-format", "raw",
             "--container-format", "bare", image)
    # Three hosts, two failing, three attempts: every boot ends on good1.
    for _ in range(3):
        shown = flaky.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                           "--network", "private", "--wait", unique("vm"))
        assert shown["status"] == "ACTIVE" and shown["OS-EXT-SRV-ATTR:host"] == "good1"
    # With good1 disabled only failing hosts remain: retries run out.
    flaky.ok("compute", "service", "set", "--disable", "good1", "nova-compute")
    name = unique("vm")
    flaky.fails("server", "create", "--image", image, "--flavor", "m1.tiny",
                "--network", "private", "--wait", name)
    shown = flaky.json("server", "show", name)
    assert shown["status"] == "ERROR"
    assert "Exceeded maximum number of retries" in shown["fault"]["message"]
    # The failed attempts left no port and no allocation behind.
    assert flaky.json("port", "list", "--server", name) == []
    for node, hyp in hypervisors(flaky).items():
        expected = 3 if node == "good1" else 0
        assert hyp["running_vms"] == expected, (node, hyp)
