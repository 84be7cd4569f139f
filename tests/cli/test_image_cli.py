"""End-to-end Image (Glance v2) tests against `ferrostack all-in-one`.

Happy paths run through the stock, unpatched clients: the `openstack` CLI
(python-openstackclient) and the `glance` CLI (python-glanceclient). Failure
paths that no CLI exposes use raw HTTP against the image endpoint with a token
from keystone. Expected codes follow upstream glance (stable/2025.2).

Run:  $VENV/bin/python -m pytest tests/cli/test_image_cli.py -q
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import (
    CLI_TIMEOUT,
    Account,
    Cli,
    CliError,
    Server,
    make_account,
    unique,
)

FORBIDDEN = re.compile(r"HTTP 403|\b403\b|Forbidden", re.I)
NOT_FOUND = re.compile(r"HTTP 404|\b404\b|No Image found|not found|could not be found", re.I)
OCTET = {"Content-Type": "application/octet-stream"}
PATCH_CT = "application/openstack-images-v2.1-json-patch"


# --------------------------------------------------------------------------
# helpers: data
# --------------------------------------------------------------------------
def qcow2_bytes(payload: int) -> bytes:
    """A qcow2 (v2) header followed by random bytes, so disk_format=qcow2 is honest
    (upstream glance inspects `bare` uploads and rejects a format mismatch)."""
    hdr = struct.pack(
        ">4sIQIIQIIQQIIQ",
        b"QFI\xfb", 2,          # magic, version
        0, 0,                   # backing file offset, size
        16, 1 << 20,            # cluster bits, virtual size
        0, 0, 0, 0, 0, 0, 0,    # crypt, l1 size/offset, refcount offset/clusters, snapshots
    )
    return hdr.ljust(512, b"\0") + secrets.token_bytes(payload)


def write_qcow2(path: Path, payload: int = 70_000) -> bytes:
    data = qcow2_bytes(payload)
    path.write_bytes(data)
    return data


def digests(data: bytes) -> dict:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
    }


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def part_files(server: Server) -> list[str]:
    root = server.data_dir / "images"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.part"))


# --------------------------------------------------------------------------
# helpers: keystone + raw image API
# --------------------------------------------------------------------------
def keystone_token(server: Server, user: str, password: str, project: str) -> str:
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}},
    }}
    r = requests.post(server.auth_url + "/auth/tokens", json=body, timeout=15)
    assert r.status_code == 201, f"keystone token for {user}: HTTP {r.status_code} {r.text}"
    return r.headers["X-Subject-Token"]


def admin_tok(server: Server) -> str:
    return keystone_token(server, "admin", server.password, "admin")


def acct_tok(server: Server, acct: Account) -> str:
    return keystone_token(server, acct.name, acct.password, acct.project)


def rest_account(server: Server, admin: str, role: str = "member") -> Account:
    """A user with `role` on a fresh project, created through the keystone API
    (much faster than three CLI runs; used where the CLI is not under test)."""
    h = {"X-Auth-Token": admin}
    ks = server.auth_url
    pname, uname, pw = unique("iproj"), unique("iuser"), "Pw-" + secrets.token_hex(8)
    r = requests.post(ks + "/projects", headers=h, timeout=15,
                      json={"project": {"name": pname, "domain_id": "default"}})
    assert r.status_code == 201, r.text
    pid = r.json()["project"]["id"]
    r = requests.post(ks + "/users", headers=h, timeout=15, json={"user": {
        "name": uname, "password": pw, "domain_id": "default", "default_project_id": pid}})
    assert r.status_code == 201, r.text
    uid = r.json()["user"]["id"]
    r = requests.get(ks + "/roles", headers=h, params={"name": role}, timeout=15)
    assert r.status_code == 200, r.text
    rid = r.json()["roles"][0]["id"]
    r = requests.put(f"{ks}/projects/{pid}/users/{uid}/roles/{rid}", headers=h, timeout=15)
    assert r.status_code in (200, 204), r.text
    return Account(uname, uid, pw, pname, pid, cloud="")


class ImageApi:
    """Thin raw-HTTP client for /v2/images with one token."""

    def __init__(self, server: Server, token: str):
        self.server = server
        self.base = server.image_url + "/v2/images"
        self.token = token

    def h(self, extra: dict | None = None) -> dict:
        return {"X-Auth-Token": self.token, "Accept": "application/json", **(extra or {})}

    def create(self, **body) -> dict:
        body.setdefault("name", unique("img"))
        body.setdefault("disk_format", "raw")
        body.setdefault("container_format", "bare")
        r = requests.post(self.base, json=body, headers=self.h(), timeout=15)
        assert r.status_code == 201, f"create image: HTTP {r.status_code} {r.text}"
        return r.json()

    def get(self, image_id: str) -> requests.Response:
        return requests.get(f"{self.base}/{image_id}", headers=self.h(), timeout=15)

    def show(self, image_id: str) -> dict:
        r = self.get(image_id)
        assert r.status_code == 200, f"show {image_id}: HTTP {r.status_code} {r.text}"
        return r.json()

    def upload(self, image_id: str, data, headers: dict | None = None) -> requests.Response:
        return requests.put(f"{self.base}/{image_id}/file", data=data,
                            headers=self.h({**OCTET, **(headers or {})}), timeout=30)

    def download(self, image_id: str, headers: dict | None = None) -> requests.Response:
        return requests.get(f"{self.base}/{image_id}/file", headers=self.h(headers), timeout=30)

    def patch(self, image_id: str, body, content_type: str = PATCH_CT) -> requests.Response:
        import json as _json
        return requests.patch(f"{self.base}/{image_id}", data=_json.dumps(body),
                              headers=self.h({"Content-Type": content_type}), timeout=15)

    def action(self, image_id: str, name: str) -> requests.Response:
        return requests.post(f"{self.base}/{image_id}/actions/{name}", headers=self.h(), timeout=15)

    def delete(self, image_id: str) -> requests.Response:
        return requests.delete(f"{self.base}/{image_id}", headers=self.h(), timeout=15)

    def active_image(self, data: bytes, **body) -> dict:
        img = self.create(**body)
        r = self.upload(img["id"], data)
        assert r.status_code == 204, f"upload: HTTP {r.status_code} {r.text}"
        return self.show(img["id"])

    def wait_status(self, image_id: str, status: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        img = self.show(image_id)
        while img["status"] != status and time.monotonic() < deadline:
            time.sleep(0.1)
            img = self.show(image_id)
        return img


def err(r: requests.Response) -> str:
    return f"HTTP {r.status_code} {r.headers.get('Content-Type')}: {r.text[:500]}"


# --------------------------------------------------------------------------
# glance CLI
# --------------------------------------------------------------------------
def glance_exe() -> str:
    if os.environ.get("FERROSTACK_GLANCE"):
        return os.environ["FERROSTACK_GLANCE"]
    beside = Path(sys.executable).parent / "glance"
    if beside.exists():
        return str(beside)
    found = shutil.which("glance")
    if not found:
        pytest.fail("the `glance` CLI was not found next to %s nor on PATH; install "
                    "tests/cli/requirements.txt (python-glanceclient)" % sys.executable,
                    pytrace=False)
    return found


@dataclass
class Glance:
    server: Server
    user: str = "admin"
    password: str = ""
    project: str = "admin"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(
            OS_AUTH_URL=self.server.auth_url, OS_USERNAME=self.user,
            OS_PASSWORD=self.password or self.server.password, OS_PROJECT_NAME=self.project,
            OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
            OS_REGION_NAME="RegionOne",
        )
        argv = [glance_exe()]
        if os.environ.get("FERROSTACK_CLI_DEBUG") == "1":
            argv.append("--debug")
        argv += list(args)
        try:
            return subprocess.run(argv, capture_output=True, text=True, env=env,
                                  timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise CliError(f"glance {' '.join(args)} timed out; stderr: {e.stderr}") from None

    def ok(self, *args: str) -> str:
        p = self.run(*args)
        if p.returncode != 0:
            raise CliError(
                f"$ glance {' '.join(args)}\n(rc={p.returncode})\n--- stdout ---\n{p.stdout[-3000:]}"
                f"\n--- stderr ---\n{p.stderr[-6000:]}\n--- server log tail ---\n"
                + self.server.log_tail(25))
        return p.stdout


def parse_table(text: str) -> list[list[str]]:
    """Rows of a prettytable (header included); wrapped cells are re-joined."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if rows and cells[0] == "" and len(rows[-1]) == len(cells):
            rows[-1] = [a + b for a, b in zip(rows[-1], cells)]
        else:
            rows.append(cells)
    return rows


def parse_props(text: str) -> dict:
    rows = parse_table(text)
    assert rows and rows[0] == ["Property", "Value"], text
    return {k: v for k, v in rows[1:]}


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin_api(server: Server) -> ImageApi:
    return ImageApi(server, admin_tok(server))


@pytest.fixture(scope="module")
def owner(cli: Cli, member: Account) -> Account:
    """A non-admin (member role) user whose project owns images."""
    return member


@pytest.fixture(scope="module")
def owner_api(server: Server, owner: Account) -> ImageApi:
    return ImageApi(server, acct_tok(server, owner))


@pytest.fixture(scope="module")
def osc_image(cli: Cli, tmp_path_factory):
    """An image created with `openstack image create --file` (shared by the
    read-only tests below); yields (create output, data, name)."""
    name = unique("osc-img")
    f = tmp_path_factory.mktemp("osc") / "disk.qcow2"
    data = write_qcow2(f)
    img = cli.json("image", "create", "--file", str(f), "--disk-format", "qcow2",
                   "--container-format", "bare", "--property", "k=v", name)
    yield img, data, name
    cli.raw("image", "delete", img["id"])


def prop(img: dict, key: str):
    """A field of `openstack image create/show -f json`: top-level or in properties."""
    if key in img:
        return img[key]
    return (img.get("properties") or {}).get(key)


# --------------------------------------------------------------------------
# openstack CLI
# --------------------------------------------------------------------------
def test_osc_image_create_with_file(osc_image):
    img, data, name = osc_image
    d = digests(data)
    assert img["name"] == name
    assert img["status"] == "active", img
    assert img["size"] == len(data), img
    assert img["disk_format"] == "qcow2" and img["container_format"] == "bare", img
    assert img["checksum"] == d["md5"], img
    assert prop(img, "os_hash_algo") == "sha512", img
    assert prop(img, "os_hash_value") == d["sha512"], img
    assert prop(img, "k") == "v", img
    assert img["visibility"] == "shared", img


def test_osc_image_show(cli: Cli, osc_image):
    img, data, name = osc_image
    by_name = cli.json("image", "show", name)
    assert by_name["id"] == img["id"]
    assert by_name["status"] == "active"
    assert by_name["size"] == len(data)
    assert by_name["checksum"] == digests(data)["md5"]
    assert prop(by_name, "k") == "v", by_name
    assert prop(by_name, "os_hash_value") == digests(data)["sha512"], by_name


def test_osc_image_list_long_and_property_filter(cli: Cli, osc_image, admin_api: ImageApi):
    img, data, name = osc_image
    rows = {r["ID"]: r for r in cli.json("image", "list", "--long")}
    assert img["id"] in rows, rows
    row = rows[img["id"]]
    assert row["Name"] == name
    assert row["Disk Format"] == "qcow2" and row["Container Format"] == "bare", row
    assert row["Size"] == len(data), row
    assert row["Checksum"] == digests(data)["md5"], row
    assert row["Status"] == "active", row
    assert row["Visibility"] == "shared", row
    assert row["Protected"] is False, row
    # --property k=v keeps only images carrying k=v
    other = admin_api.create(name=unique("noprop"))
    other_v = admin_api.create(name=unique("otherv"), k="not-v")
    ids = [r["ID"] for r in cli.json("image", "list", "--property", "k=v")]
    assert img["id"] in ids, ids
    assert other["id"] not in ids and other_v["id"] not in ids, ids
    for i in (other, other_v):
        admin_api.delete(i["id"])


def test_osc_image_set_tag_property_and_unset(cli: Cli, admin_api: ImageApi):
    img = admin_api.create(name=unique("setme"), k="v")
    tag = unique("tag")
    cli.ok("image", "set", "--tag", tag, "--property", "k2=v2", img["id"])
    shown = cli.json("image", "show", img["id"])
    assert tag in shown["tags"], shown
    assert prop(shown, "k2") == "v2", shown
    assert prop(shown, "k") == "v", shown
    cli.ok("image", "unset", "--property", "k", img["id"])
    raw = admin_api.show(img["id"])
    assert "k" not in raw, raw
    assert raw["k2"] == "v2" and tag in raw["tags"], raw
    admin_api.delete(img["id"])


def test_osc_image_save_byte_identical(cli: Cli, osc_image, tmp_path):
    img, data, name = osc_image
    out = tmp_path / "out.qcow2"
    cli.ok("image", "save", "--file", str(out), img["id"])
    assert out.stat().st_size == len(data)
    assert file_sha256(out) == digests(data)["sha256"]


def test_osc_image_delete(cli: Cli, admin_api: ImageApi):
    img = admin_api.active_image(secrets.token_bytes(1000), name=unique("del"))
    cli.ok("image", "delete", img["id"])
    r = admin_api.get(img["id"])
    assert r.status_code == 404, err(r)
    res = cli.fails("image", "show", img["id"])
    assert NOT_FOUND.search(res.stderr), res.describe()


def test_osc_image_create_public_admin_only(cli: Cli, owner: Account, owner_api: ImageApi, tmp_path):
    f = tmp_path / "pub.qcow2"
    data = write_qcow2(f, 5000)
    name = unique("pub")
    img = cli.json("image", "create", "--public", "--file", str(f), "--disk-format", "qcow2",
                   "--container-format", "bare", name)
    assert img["visibility"] == "public", img
    assert img["status"] == "active" and img["size"] == len(data), img
    # another project sees it in its default list
    r = requests.get(owner_api.base, headers=owner_api.h(), timeout=15)
    assert r.status_code == 200, err(r)
    assert img["id"] in [i["id"] for i in r.json()["images"]]
    # a non-admin may not publicize (policy publicize_image)
    res = cli.fails("image", "create", "--public", "--disk-format", "qcow2",
                    "--container-format", "bare", unique("pub-denied"), cloud=owner.cloud)
    assert FORBIDDEN.search(res.stderr), res.describe()
    cli.ok("image", "delete", img["id"])


def test_osc_image_share_accept(cli: Cli, server: Server, owner: Account, tmp_path):
    f = tmp_path / "shared.qcow2"
    write_qcow2(f, 2000)
    img = cli.json("image", "create", "--file", str(f), "--disk-format", "qcow2",
                   "--container-format", "bare", unique("share"), cloud=owner.cloud)
    assert img["visibility"] == "shared", img
    # the consumer (user + project + member role) is made with the openstack CLI
    consumer = make_account(cli, "member")
    # a third project, only checked over raw HTTP (keeps the test fast)
    outsider = ImageApi(server, acct_tok(server, rest_account(server, admin_tok(server))))

    m = cli.json("image", "add", "project", img["id"], consumer.project_id, cloud=owner.cloud)
    assert m["status"] == "pending", m
    assert m["member_id"] == consumer.project_id and m["image_id"] == img["id"], m

    before = [r["ID"] for r in cli.json("image", "list", cloud=consumer.cloud)]
    assert img["id"] not in before, "pending share listed before accepting"

    cli.ok("image", "set", "--accept", img["id"], cloud=consumer.cloud)
    after = [r["ID"] for r in cli.json("image", "list", cloud=consumer.cloud)]
    assert img["id"] in after, "accepted share not listed"

    r = requests.get(outsider.base, headers=outsider.h(), timeout=15)
    assert r.status_code == 200, err(r)
    assert img["id"] not in [i["id"] for i in r.json()["images"]]
    r = requests.get(outsider.base, headers=outsider.h(), params={"member_status": "all"}, timeout=15)
    assert r.status_code == 200, err(r)
    assert img["id"] not in [i["id"] for i in r.json()["images"]]
    r = outsider.get(img["id"])
    assert r.status_code == 404, err(r)
    cli.ok("image", "delete", img["id"], cloud=owner.cloud)


# --------------------------------------------------------------------------
# glance CLI
# --------------------------------------------------------------------------
def test_glance_create_download_list(server: Server, tmp_path):
    g = Glance(server)
    f = tmp_path / "g.qcow2"
    data = write_qcow2(f, 40_000)
    name = unique("glance")
    props = parse_props(g.ok("image-create", "--name", name, "--disk-format", "qcow2",
                             "--container-format", "bare", "--file", str(f)))
    assert props["name"] == name, props
    assert props["status"] == "active", props
    assert props["size"] == str(len(data)), props
    assert props["checksum"] == digests(data)["md5"], props
    assert props["os_hash_algo"] == "sha512", props
    assert props["os_hash_value"] == digests(data)["sha512"], props
    image_id = props["id"]

    out = tmp_path / "dl.qcow2"
    g.ok("image-download", "--file", str(out), image_id)
    assert file_sha256(out) == digests(data)["sha256"]

    rows = parse_table(g.ok("image-list"))
    assert rows[0] == ["ID", "Name"], rows
    assert [image_id, name] in rows[1:], rows
    g.ok("image-delete", image_id)
    assert image_id not in [r[0] for r in parse_table(g.ok("image-list"))[1:]]


# --------------------------------------------------------------------------
# raw HTTP failure paths
# --------------------------------------------------------------------------
def test_upload_to_active_image_conflicts(admin_api: ImageApi):
    data = secrets.token_bytes(2000)
    img = admin_api.active_image(data)
    r = admin_api.upload(img["id"], b"again")
    assert r.status_code == 409, err(r)
    after = admin_api.show(img["id"])
    assert after["status"] == "active" and after["size"] == len(data), after
    assert after["checksum"] == digests(data)["md5"], after


def test_upload_wrong_content_type_415(admin_api: ImageApi):
    img = admin_api.create()
    r = requests.put(f"{admin_api.base}/{img['id']}/file", data=b"x" * 10,
                     headers=admin_api.h({"Content-Type": "application/json"}), timeout=15)
    assert r.status_code == 415, err(r)
    assert admin_api.show(img["id"])["status"] == "queued"


def test_patch_wrong_content_type_415(admin_api: ImageApi):
    img = admin_api.create()
    r = admin_api.patch(img["id"], [{"op": "replace", "path": "/name", "value": "x"}],
                        content_type="application/json")
    assert r.status_code == 415, err(r)
    assert admin_api.show(img["id"])["name"] == img["name"]
    # upstream: HTTPUnsupportedMediaType(headers={'Accept-Patch': <both patch media types>})
    accept_patch = r.headers.get("Accept-Patch", "")
    assert "application/openstack-images-v2.1-json-patch" in accept_patch, dict(r.headers)
    assert "application/openstack-images-v2.0-json-patch" in accept_patch, dict(r.headers)


@pytest.mark.parametrize("body,message", [
    ([{"op": "move", "path": "/name", "value": "x"}],
     "Invalid operation: `move`. It must be one of the following: add, remove, replace."),
    ([{"op": "replace", "path": "name", "value": "x"}],
     'Pointer `name` does not start with "/".'),
    ({"op": "replace", "path": "/name", "value": "x"},
     "Request body must be a JSON array of operation objects."),
], ids=["op-move", "path-without-slash", "body-not-a-list"])
def test_patch_bad_json_patch_400(admin_api: ImageApi, body, message):
    img = admin_api.create()
    r = admin_api.patch(img["id"], body)
    assert r.status_code == 400, err(r)
    assert admin_api.show(img["id"])["name"] == img["name"]
    # upstream message text (glance/api/v2/images.py RequestDeserializer)
    assert message in r.json()["message"], err(r)


def test_delete_protected_image_403(admin_api: ImageApi):
    img = admin_api.create(protected=True)
    r = admin_api.delete(img["id"])
    assert r.status_code == 403, err(r)
    assert admin_api.show(img["id"])["status"] == "queued"
    r = admin_api.patch(img["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert r.status_code == 200, err(r)
    assert admin_api.delete(img["id"]).status_code == 204


def test_deactivated_download_member_403_admin_200(owner_api: ImageApi, admin_api: ImageApi):
    data = secrets.token_bytes(3000)
    img = owner_api.active_image(data)
    assert owner_api.download(img["id"]).status_code == 200
    r = admin_api.action(img["id"], "deactivate")
    assert r.status_code == 204, err(r)
    assert owner_api.show(img["id"])["status"] == "deactivated"
    r = owner_api.download(img["id"])
    assert r.status_code == 403, err(r)
    r = admin_api.download(img["id"])
    assert r.status_code == 200, err(r)
    assert r.content == data
    assert admin_api.action(img["id"], "reactivate").status_code == 204
    assert owner_api.download(img["id"]).content == data


def test_range_download_206(admin_api: ImageApi):
    data = secrets.token_bytes(4096)
    img = admin_api.active_image(data)
    r = admin_api.download(img["id"], {"Range": "bytes=0-9"})
    assert r.status_code == 206, err(r)
    assert r.headers.get("Content-Range") == f"bytes 0-9/{len(data)}", dict(r.headers)
    assert r.content == data[:10]
    assert r.headers.get("Content-Length") == "10", dict(r.headers)
    r = admin_api.download(img["id"], {"Range": "bytes=4000-"})
    assert r.status_code == 206, err(r)
    assert r.headers.get("Content-Range") == f"bytes 4000-4095/{len(data)}", dict(r.headers)
    assert r.content == data[4000:]


def test_full_download_headers(admin_api: ImageApi):
    data = secrets.token_bytes(1500)
    img = admin_api.active_image(data)
    r = admin_api.download(img["id"])
    assert r.status_code == 200, err(r)
    assert r.content == data
    assert r.headers.get("Content-Type") == "application/octet-stream", dict(r.headers)
    assert r.headers.get("Content-MD5") == digests(data)["md5"], dict(r.headers)


def test_download_queued_image_204(admin_api: ImageApi):
    img = admin_api.create()
    r = admin_api.download(img["id"])
    assert r.status_code == 204, err(r)
    assert r.content == b""


def _raw_put(server: Server, token: str, image_id: str, head: dict, body_parts: list[bytes]) -> None:
    """Send a PUT .../file by hand and close the connection after body_parts,
    i.e. before the body announced by the headers is complete."""
    lines = [f"PUT /v2/images/{image_id}/file HTTP/1.1",
             f"Host: 127.0.0.1:{server.image_port}",
             f"X-Auth-Token: {token}",
             "Content-Type: application/octet-stream"]
    lines += [f"{k}: {v}" for k, v in head.items()]
    with socket.create_connection(("127.0.0.1", server.image_port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for part in body_parts:
            s.sendall(part)
            time.sleep(0.05)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


@pytest.mark.parametrize("mode", ["content-length", "chunked"])
def test_aborted_upload_returns_to_queued(server: Server, admin_api: ImageApi, mode):
    img = admin_api.create()
    if mode == "content-length":
        _raw_put(server, admin_api.token, img["id"], {"Content-Length": "200000"},
                 [secrets.token_bytes(30_000), secrets.token_bytes(30_000)])
    else:
        chunk = secrets.token_bytes(20_000)
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        _raw_put(server, admin_api.token, img["id"], {"Transfer-Encoding": "chunked"},
                 [framed, framed])  # no terminating 0-length chunk
    after = admin_api.wait_status(img["id"], "queued", timeout=5)
    assert after["status"] == "queued", after
    assert after["size"] is None and after["checksum"] is None, after
    # a complete upload afterwards works
    data = secrets.token_bytes(50_000)
    r = admin_api.upload(img["id"], data)
    assert r.status_code == 204, err(r)
    done = admin_api.show(img["id"])
    assert done["status"] == "active" and done["size"] == len(data), done
    assert done["checksum"] == digests(data)["md5"], done
    assert admin_api.download(img["id"]).content == data
    assert [p for p in part_files(server) if img["id"] in p] == []


def test_upload_size_mismatch_400(admin_api: ImageApi):
    img = admin_api.create()
    r = admin_api.upload(img["id"], b"y" * 50, {"X-OpenStack-Image-Size": "100"})
    assert r.status_code == 400, err(r)
    after = admin_api.wait_status(img["id"], "queued", timeout=3)
    assert after["status"] == "queued" and after["size"] is None, after
    assert "Size mismatch: expected 100 bytes, got 50 bytes" in r.json()["message"], err(r)


# --------------------------------------------------------------------------
# size cap and storage quota (their own server)
# --------------------------------------------------------------------------
SIZE_CAP = 1000
STORAGE_QUOTA = 2000


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("imgcaps"),
                 extra_default=f"image_size_cap = {SIZE_CAP}\nuser_storage_quota = {STORAGE_QUOTA}\n")
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def _gen(data: bytes, n: int = 300):
    for i in range(0, len(data), n):
        yield data[i:i + n]


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "chunked"])
def test_image_size_cap_413(capped: Server, sized):
    api = ImageApi(capped, acct_tok(capped, rest_account(capped, admin_tok(capped))))
    img = api.create()
    data = secrets.token_bytes(SIZE_CAP + 500)
    r = api.upload(img["id"], data if sized else _gen(data))
    assert r.status_code == 413, err(r)
    assert "The incoming image is too large" in r.json()["message"], err(r)
    after = api.wait_status(img["id"], "queued", timeout=3)
    assert after["status"] == "queued" and after["size"] is None, after
    assert (capped.data_dir / "images").is_dir()
    assert part_files(capped) == []
    # at the cap is fine
    ok = secrets.token_bytes(SIZE_CAP)
    r = api.upload(img["id"], ok)
    assert r.status_code == 204, err(r)
    assert api.show(img["id"])["size"] == SIZE_CAP


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "chunked"])
def test_user_storage_quota_413(capped: Server, sized):
    api = ImageApi(capped, acct_tok(capped, rest_account(capped, admin_tok(capped))))
    for _ in range(2):
        api.active_image(secrets.token_bytes(900))  # 1800 of 2000 bytes used
    img = api.create()
    data = secrets.token_bytes(900)
    r = api.upload(img["id"], data if sized else _gen(data))
    assert r.status_code == 413, err(r)
    assert "Image exceeds the storage quota" in r.json()["message"], err(r)
    after = api.wait_status(img["id"], "queued", timeout=3)
    assert after["status"] == "queued" and after["size"] is None, after
    assert part_files(capped) == []
    # what still fits is accepted
    r = api.upload(img["id"], secrets.token_bytes(200))
    assert r.status_code == 204, err(r)
    assert api.show(img["id"])["status"] == "active"


def test_image_list_follows_every_change(cli: Cli, admin_api: ImageApi):
    """List pages are cached per query; each kind of write must show in the
    very next list, through the stock CLI."""
    def names() -> set[str]:
        return {row["Name"] for row in cli.json("image", "list", "--limit", "1000")}

    name = unique("listcache")
    before = names()
    img = admin_api.create(name=name, disk_format="raw", container_format="bare")
    assert name in names() - before
    cli.ok("image", "set", "--name", name + "-renamed", img["id"])
    assert name + "-renamed" in names()
    hidden = cli.json("image", "list", "--property", "color=blue")
    assert img["id"] not in {row["ID"] for row in hidden}
    cli.ok("image", "set", "--property", "color=blue", img["id"])
    shown = cli.json("image", "list", "--property", "color=blue")
    assert img["id"] in {row["ID"] for row in shown}
    cli.ok("image", "delete", img["id"])
    assert name + "-renamed" not in names()


# --------------------------------------------------------------------------
# delayed delete (its own server): pending_delete, then the scrubber
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def delayed(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("imgdelayed"),
                 extra_default="delayed_delete = true\nscrub_time = 2\nwakeup_time = 1\n")
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def test_delayed_delete_keeps_data_until_scrubbed(delayed: Server):
    api = ImageApi(delayed, admin_tok(delayed))
    img = api.active_image(secrets.token_bytes(4096))
    data_file = delayed.data_dir / "images" / img["id"]
    assert data_file.is_file()
    r = api.delete(img["id"])
    assert r.status_code == 204, err(r)
    # Gone for the API at once, as upstream's pending_delete images are.
    assert api.get(img["id"]).status_code == 404
    listed = requests.get(api.base, headers=api.h(), timeout=15).json()["images"]
    assert img["id"] not in {i["id"] for i in listed}
    assert data_file.is_file(), "data removed before scrub_time passed"
    deadline = time.monotonic() + 15
    while data_file.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not data_file.exists(), "the scrubber did not remove the data"


def test_create_refuses_bad_sizes_and_readers(server: Server, admin_api: ImageApi):
    for value, text in ((-1, "Cannot be a negative value"), (2**31, "value out of range")):
        r = requests.post(admin_api.base, json={"name": unique("neg"), "min_ram": value},
                          headers=admin_api.h(), timeout=15)
        assert r.status_code == 400 and text in r.json()["message"], err(r)
    r = requests.post(admin_api.base, json={"x" * 256: "v"}, headers=admin_api.h(), timeout=15)
    assert r.status_code == 400, err(r)
    reader = ImageApi(server, acct_tok(server, rest_account(server, admin_tok(server), role="reader")))
    r = requests.post(reader.base, json={"name": unique("ro")}, headers=reader.h(), timeout=15)
    assert r.status_code == 403, err(r)
    assert "add_image" in r.json()["message"], err(r)
