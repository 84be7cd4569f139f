"""Soft delete with the stock `openstack` CLI.

A cloud of its own with `reclaim_instance_interval = 10`: a delete powers
the server off and keeps it (SOFT_DELETED) for `server restore`, `server
delete --force` removes it at once, and otherwise its host reclaims it
after the interval, freeing its port.

Run:  $VENV/bin/python -m pytest tests/cli/test_compute_soft_delete_cli.py -q
"""
from __future__ import annotations

import time

import pytest

from conftest import Cli, own_cloud, unique, upload_image, wait_status

WAIT = 60.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    yield from own_cloud(tmp_path_factory.mktemp("softdelete"),
                         extra_default="reclaim_instance_interval = 10",
                         extra_config="\n[fake_driver]\nhosts = cmp1\n")


@pytest.fixture(scope="module")
def image(cloud: Cli, tmp_path_factory) -> str:
    return upload_image(cloud, tmp_path_factory.mktemp("img"))


def boot(cli: Cli, image: str) -> dict:
    shown = cli.json("server", "create", "--image", image, "--flavor", "m1.tiny",
                     "--network", "private", "--wait", unique("vm"))
    assert shown["status"] == "ACTIVE"
    return shown


def wait_gone(cli: Cli, server_id: str) -> None:
    deadline = time.time() + WAIT
    while cli.raw("server", "show", server_id).returncode == 0:
        assert time.time() < deadline, f"{server_id} still there"
        time.sleep(0.2)


def test_a_deleted_server_waits_and_can_be_restored(cloud: Cli, image: str):
    server = boot(cloud, image)
    cloud.ok("server", "delete", server["name"])
    held = wait_status(cloud, server["name"], "SOFT_DELETED")
    assert held["OS-EXT-STS:power_state"] in (4, "Shutdown")
    cloud.ok("server", "restore", server["name"])
    back = wait_status(cloud, server["name"], "ACTIVE")
    assert back["addresses"] == server["addresses"]
    # Restoring one that is not soft-deleted is a conflict.
    r = cloud.fails("server", "restore", server["name"])
    assert "409" in r.stderr or "Cannot 'restore'" in r.stderr
    cloud.ok("server", "delete", "--force", "--wait", server["name"])


def test_the_host_reclaims_a_soft_deleted_server(cloud: Cli, image: str):
    server = boot(cloud, image)
    cloud.ok("server", "delete", server["name"])
    wait_status(cloud, server["name"], "SOFT_DELETED")
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
