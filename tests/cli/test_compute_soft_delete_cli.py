"""Soft delete with the stock `openstack` CLI.

A cloud of its own with `reclaim_instance_interval = 3`: a delete powers
the server off and keeps it (SOFT_DELETED) for `server restore`, `server
delete --force` removes it at once, and otherwise its host reclaims it
after the interval, freeing its port.

Run:  $VENV/bin/python -m pytest tests/cli/test_compute_soft_delete_cli.py -q
"""
from __future__ import annotations

import shutil
import time

import pytest

from conftest import Cli, Server, unique

WAIT = 30.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("softdelete"),
                 extra_default="reclaim_instance_interval = 3",
                 extra_config="\n[fake_driver]\nhosts = cmp1\n")
    try:
        srv.start()
        own = srv.workdir / "clients-clouds.yaml"
        shutil.copy(srv.data_dir / "clouds.yaml", own)
        yield Cli(server=srv, clouds_yaml=own)
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def image(cloud: Cli, tmp_path_factory) -> str:
    disk = tmp_path_factory.mktemp("img") / "disk.img"
    disk.write_bytes(b"\0" * 65536)
    name = unique("cirros")
    cloud.ok("image", "create", "--file", str(disk), "--disk-format", "raw",
             "--container-format", "bare", name)
    return name


def boot(cli: Cli, image: str) -> dict:
    shown = cli.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                     "--network", "private", "--wait", unique("vm"))
    assert shown["status"] == "ACTIVE"
    return shown


def wait_for(cli: Cli, name: str, status: str) -> dict:
    deadline = time.time() + WAIT
    while True:
        shown = cli.json("server", "show", name)
        if shown["status"] == status and not shown.get("OS-EXT-STS:task_state"):
            return shown
        assert time.time() < deadline, f"{name}: {shown['status']}, wanted {status}"
        time.sleep(0.2)


def wait_gone(cli: Cli, server_id: str) -> None:
    deadline = time.time() + WAIT
    while cli.raw("server", "show", server_id).returncode == 0:
        assert time.time() < deadline, f"{server_id} still there"
        time.sleep(0.2)


def test_a_deleted_server_waits_and_can_be_restored(cloud: Cli, image: str):
    server = boot(cloud, image)
    cloud.ok("server", "delete", server["name"])
    held = wait_for(cloud, server["name"], "SOFT_DELETED")
    assert held["OS-EXT-STS:power_state"] in (4, "Shutdown")
    cloud.ok("server", "restore", server["name"])
    back = wait_for(cloud, server["name"], "ACTIVE")
    assert back["addresses"] == server["addresses"]
    # Restoring one that is not soft-deleted is a conflict.
    r = cloud.fails("server", "restore", server["name"])
    assert "409" in r.stderr or "Cannot 'restore'" in r.stderr
    cloud.ok("server", "delete", "--force", "--wait", server["name"])


def test_the_host_reclaims_a_soft_deleted_server(cloud: Cli, image: str):
    server = boot(cloud, image)
    cloud.ok("server", "delete", server["name"])
    wait_for(cloud, server["name"], "SOFT_DELETED")
    # Its port waits with it, then goes with it.
    assert cloud.json("port", "list", "--device-id", server["id"]) != []
    wait_gone(cloud, server["id"])
    assert cloud.json("port", "list", "--device-id", server["id"]) == []


def test_force_delete_does_not_wait(cloud: Cli, image: str):
    server = boot(cloud, image)
    cloud.ok("server", "delete", "--force", server["name"])
    deadline = time.time() + WAIT
    while True:
        r = cloud.raw("server", "show", "-f", "value", "-c", "status", server["id"])
        if r.returncode != 0:
            break
        assert r.stdout.strip() != "SOFT_DELETED", "a forced delete was held back"
        assert time.time() < deadline, f"{server['id']} still there"
        time.sleep(0.1)
