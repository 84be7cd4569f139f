"""End-to-end tests of glance's interoperable image import against
`ferrostack all-in-one`: the /v2/info discovery calls, staging
(`PUT /v2/images/{id}/stage`), `POST /v2/images/{id}/import` with the
glance-direct and web-download methods, web-download URI filtering, and
multi-store uploads (`enabled_backends`, `X-Image-Meta-Store`).

Happy paths go through the stock clients (`openstack` from
python-openstackclient, `glance` from python-glanceclient); raw HTTP is used
for status sequences and for the failure paths no client exposes. Expected
codes and texts follow upstream glance (stable/2025.2).

Servers: the session `server` (default config: single store, default import
filtering), `web` (web-download only, any port allowed) and `multi` (two file
stores). web-download sources come from an http.server on a free loopback
port started by the module. The clients run with a pty as stdin (see
with_tty_stdin), else they take the empty stdin for image data.

Run:  $VENV/bin/python -m pytest tests/cli/test_image_import_cli.py -q
"""
from __future__ import annotations

import json
import secrets
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from conftest import Cli, Server, openstack_exe, unique
from test_image_cli import (
    OCTET,
    Glance,
    ImageApi,
    admin_tok,
    digests,
    err,
    glance_exe,
    parse_props,
    parse_table,
)

IMPORT_WAIT = 20.0
STORE_DESC = "Slow but cheap disks"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
@dataclass
class Source:
    """A loopback HTTP server handing out `files` (path -> bytes); 404 otherwise."""
    httpd: ThreadingHTTPServer
    files: dict = field(default_factory=dict)
    hits: list = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, data: bytes) -> str:
        path = f"/{unique('blob')}.raw"
        self.files[path] = data
        return self.url(path)


def start_source() -> Source:
    src: Source

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            src.hits.append(self.path)
            data = src.files.get(self.path)
            if data is None:
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"not found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    src = Source(httpd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return src


class Api(ImageApi):
    """ImageApi plus the import calls."""

    def stage(self, image_id: str, data, headers: dict | None = None) -> requests.Response:
        h = self.h({**OCTET, **(headers or {})})
        return requests.put(f"{self.base}/{image_id}/stage", data=data, headers=h, timeout=30)

    def do_import(self, image_id: str, body, headers: dict | None = None) -> requests.Response:
        h = self.h({"Content-Type": "application/json", **(headers or {})})
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return requests.post(f"{self.base}/{image_id}/import", data=raw, headers=h, timeout=15)

    def info(self, what: str) -> requests.Response:
        return requests.get(f"{self.server.image_url}/v2/info/{what}", headers=self.h(), timeout=15)

    def settle(self, image_id: str, busy=("importing",), timeout: float = IMPORT_WAIT):
        """Polls while the status is in `busy`; returns (image, statuses seen in order)."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            img = self.show(image_id)
            if not seen or seen[-1] != img["status"]:
                seen.append(img["status"])
            if img["status"] not in busy or time.monotonic() > deadline:
                return img, seen
            time.sleep(0.05)


def staged_files(srv: Server) -> list[str]:
    root = srv.data_dir / "staging"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def stored_files(srv: Server, image_id: str) -> list[str]:
    """Files under <data_dir>/images whose path names the image, relative to it."""
    root = srv.data_dir / "images"
    return sorted(str(p.relative_to(root)) for p in root.rglob(f"*{image_id}*") if p.is_file())


def message(r: requests.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error", {}).get("message") or body)
    return str(body)


def assert_imported(api: Api, image_id: str, data: bytes, seen: list[str] | None = None) -> dict:
    img, more = api.settle(image_id)
    seen = (seen or []) + more
    assert img["status"] == "active", f"statuses seen {seen}; image {img}"
    d = digests(data)
    assert img["size"] == len(data), img
    assert img["checksum"] == d["md5"], img
    assert img["os_hash_algo"] == "sha512", img
    assert img["os_hash_value"] == d["sha512"], img
    r = api.download(image_id)
    assert r.status_code == 200 and r.content == data, err(r)
    return img


def with_tty_stdin(exe: str, where: Path) -> str:
    """A wrapper running `exe` with a terminal (a fresh pty) as stdin.

    Both clients read image data from stdin whenever it is not a terminal
    (`openstack image create` would upload the empty /dev/null as the image,
    `glance image-create-via-import` refuses --file/--uri next to stdin data),
    and `openstack` fails outright with a closed stdin; a terminal means "no
    data" to both."""
    wrapper = where / (Path(exe).name + "-tty")
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "master, slave = os.openpty()\n"
        "os.set_inheritable(master, True)\n"  # the slave stays a tty only while the master is open
        "os.dup2(slave, 0)\n"
        f"os.execv({exe!r}, [{exe!r}] + sys.argv[1:])\n")
    wrapper.chmod(0o755)
    return str(wrapper)


def cli_for(srv: Server, tmp: Path, exe: str) -> Cli:
    own = tmp / "clouds.yaml"
    shutil.copy(srv.data_dir / "clouds.yaml", own)
    return Cli(server=srv, clouds_yaml=own, exe=exe)


def version_ids(srv: Server, path: str = "/versions") -> tuple[int, list[str]]:
    r = requests.get(srv.image_url + path, timeout=15)
    return r.status_code, [v["id"] for v in r.json()["versions"]]


MULTISTORE_VERSIONS = ["v2.8", "v2.10", "v2.11", "v2.12", "v2.13"]


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wrappers(tmp_path_factory) -> dict:
    where = tmp_path_factory.mktemp("ttywrap")
    return {"openstack": with_tty_stdin(openstack_exe(), where),
            "glance": with_tty_stdin(glance_exe(), where)}


@pytest.fixture(scope="module", autouse=True)
def glance_with_tty_stdin(wrappers):
    """Glance (test_image_cli) runs $FERROSTACK_GLANCE: here, the tty wrapper."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FERROSTACK_GLANCE", wrappers["glance"])
        yield


@pytest.fixture(scope="module")
def osc(cli: Cli, wrappers) -> Cli:
    """The session `cli`, run with a tty as stdin (see with_tty_stdin)."""
    return Cli(server=cli.server, clouds_yaml=cli.clouds_yaml, exe=wrappers["openstack"])


@pytest.fixture(scope="module")
def source():
    src = start_source()
    yield src
    src.httpd.shutdown()
    src.httpd.server_close()


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return Api(server, admin_tok(server))


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """web-download only; import filtering allows any port."""
    srv = Server(tmp_path_factory.mktemp("imgweb"),
                 extra_default="enabled_import_methods = [web-download]",
                 extra_config="\n[import_filtering_opts]\nallowed_ports =\n")
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def web_api(web: Server) -> Api:
    return Api(web, admin_tok(web))


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("imgmulti"),
                 extra_default="enabled_backends = fast:file, cheap:file",
                 extra_config=("\n[glance_store]\ndefault_backend = fast\n"
                               f"\n[cheap]\nstore_description = {STORE_DESC}\n"))
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def multi_api(multi: Server) -> Api:
    return Api(multi, admin_tok(multi))


# --------------------------------------------------------------------------
# discovery on the default (single store) server
# --------------------------------------------------------------------------
def test_info_import_default(api: Api, osc: Cli, server: Server):
    r = api.info("import")
    assert r.status_code == 200, err(r)
    assert r.json() == {"import-methods": {
        "description": "Import methods available.", "type": "array",
        "value": ["glance-direct", "web-download"]}}, r.json()

    out = osc.json("image", "import", "info")
    methods = out.get("import-methods") or out.get("import_methods")
    if isinstance(methods, dict):  # the raw discovery document
        methods = methods.get("value")
    assert methods == ["glance-direct", "web-download"], out

    listed = json.loads(parse_props(Glance(server).ok("import-info"))["import-methods"])
    assert listed["value"] == ["glance-direct", "web-download"], listed


def test_info_stores_single_store_404(api: Api, osc: Cli, server: Server):
    r = api.info("stores")
    assert r.status_code == 404, err(r)
    assert "Multi backend is not supported at this site." in message(r), err(r)

    res = osc.fails("image", "stores", "list")
    assert "404" in res.stderr or "Multi backend" in res.stderr or "not" in res.stderr.lower(), res.describe()


def test_glance_cli_reports_stores_info_404(api: Api, server: Server):
    """python-glanceclient sends no `Accept: application/json` (requests' default
    `*/*`); glance (webob) then renders errors as text/html (text/plain without
    any Accept), which glanceclient prints. A JSON error body makes glanceclient
    crash with "'str' object has no attribute 'get'" (it expects JSON errors
    to be nested objects)."""
    p = Glance(server).run("stores-info")
    assert p.returncode != 0, p.stdout
    # glanceclient words a 404 here itself; what matters is that it read the
    # error instead of crashing on it.
    assert "Multi Backend support is not enabled" in p.stderr, p.stderr
    assert "has no attribute" not in p.stderr, p.stderr
    for accept in (None, "*/*"):
        h = {"X-Auth-Token": api.token}
        if accept:
            h["Accept"] = accept
        r = requests.get(f"{server.image_url}/v2/info/stores", headers=h, timeout=15)
        assert r.status_code == 404, err(r)
        assert "json" not in r.headers.get("Content-Type", ""), (accept, err(r))
        assert "Multi backend is not supported at this site." in r.text, (accept, err(r))


def test_info_usage_empty(api: Api, server: Server):
    r = api.info("usage")
    assert r.status_code == 200, err(r)
    assert r.json() == {"usage": {}}, r.json()
    Glance(server).ok("usage")


def test_versions_single_store_lists_no_multistore_versions(server: Server):
    status, ids = version_ids(server)
    assert status == 200
    assert "v2.9" in ids, ids
    assert not set(MULTISTORE_VERSIONS) & set(ids), ids


# --------------------------------------------------------------------------
# glance-direct
# --------------------------------------------------------------------------
def test_osc_create_import_glance_direct(osc: Cli, api: Api, server: Server, tmp_path):
    data = secrets.token_bytes(300_000)
    f = tmp_path / "disk.raw"
    f.write_bytes(data)
    name = unique("osc-import")
    img = osc.json("image", "create", "--import", "--file", str(f), "--disk-format", "raw",
                   "--container-format", "bare", name)
    assert img["name"] == name, img
    assert_imported(api, img["id"], data)
    assert staged_files(server) == [], staged_files(server)
    shown = osc.json("image", "show", img["id"])
    assert shown["status"] == "active" and shown["checksum"] == digests(data)["md5"], shown
    osc.ok("image", "delete", img["id"])


def test_osc_stage_then_import(osc: Cli, api: Api, server: Server, tmp_path):
    data = secrets.token_bytes(50_000)
    f = tmp_path / "d.raw"
    f.write_bytes(data)
    img = osc.json("image", "create", "--disk-format", "raw", "--container-format", "bare",
                   unique("osc-stage"))
    assert img["status"] == "queued", img
    osc.ok("image", "stage", "--file", str(f), img["id"])
    staged = api.show(img["id"])
    assert staged["status"] == "uploading" and staged["size"] == len(data), staged
    osc.ok("image", "import", "--method", "glance-direct", img["id"])
    assert_imported(api, img["id"], data)
    assert staged_files(server) == []


def test_glance_stage_then_import(api: Api, server: Server, tmp_path):
    g = Glance(server)
    data = secrets.token_bytes(40_000)
    f = tmp_path / "g.raw"
    f.write_bytes(data)
    props = parse_props(g.ok("image-create", "--name", unique("g-stage"), "--disk-format", "raw",
                             "--container-format", "bare"))
    assert props["status"] == "queued", props
    image_id = props["id"]
    g.ok("image-stage", "--file", str(f), image_id)
    staged = api.show(image_id)
    assert staged["status"] == "uploading" and staged["size"] == len(data), staged
    assert len(staged_files(server)) >= 1
    g.ok("image-import", "--import-method", "glance-direct", image_id)
    assert_imported(api, image_id, data)
    assert staged_files(server) == []


def test_glance_create_via_import_glance_direct(api: Api, server: Server, tmp_path):
    data = secrets.token_bytes(60_000)
    f = tmp_path / "v.raw"
    f.write_bytes(data)
    name = unique("g-via")
    out = Glance(server).ok("image-create-via-import", "--import-method", "glance-direct",
                            "--file", str(f), "--disk-format", "raw",
                            "--container-format", "bare", "--name", name)
    props = parse_props(out)
    assert props["name"] == name, props
    assert_imported(api, props["id"], data)
    assert staged_files(server) == []


def test_raw_glance_direct_status_sequence(api: Api, server: Server):
    data = secrets.token_bytes(2_000_000)
    img = api.create()
    assert img["status"] == "queued", img
    image_id = img["id"]

    r = api.stage(image_id, data)
    assert r.status_code == 204 and not r.content, err(r)
    staged = api.show(image_id)
    assert staged["status"] == "uploading", staged
    assert staged["size"] == len(data), staged
    assert staged["checksum"] is None and staged["os_hash_value"] is None, staged
    files = staged_files(server)
    assert any(image_id in f for f in files), files
    # staged data is not image data: nothing to download yet
    r = api.download(image_id)
    assert r.status_code == 204 and not r.content, err(r)

    r = api.do_import(image_id, {"method": {"name": "glance-direct"}})
    assert r.status_code == 202, err(r)
    assert not r.content, r.content
    first = api.show(image_id)["status"]
    assert first in ("importing", "active"), first
    img = assert_imported(api, image_id, data, [first])
    _, seen = api.settle(image_id)
    assert seen == ["active"], seen
    assert staged_files(server) == [], staged_files(server)
    assert stored_files(server, image_id), "no data file for the image under data/images"
    assert img["size"] == len(data)


# --------------------------------------------------------------------------
# error cases (default server)
# --------------------------------------------------------------------------
def test_import_glance_direct_unstaged_409(api: Api):
    img = api.create()
    r = api.do_import(img["id"], {"method": {"name": "glance-direct"}})
    assert r.status_code == 409, err(r)
    assert "Image needs to be staged before 'glance-direct' method can be used" in message(r), err(r)
    assert api.show(img["id"])["status"] == "queued"


@pytest.mark.parametrize("method", [
    {"name": "glance-direct"},
    {"name": "web-download", "uri": "http://127.0.0.1/never.raw"},
], ids=["glance-direct", "web-download"])
def test_import_active_image_409(api: Api, method):
    img = api.active_image(b"x" * 1000)
    r = api.do_import(img["id"], {"method": method})
    assert r.status_code == 409, err(r)
    assert "Image with status active cannot be target for import" in message(r), err(r)
    assert api.show(img["id"])["checksum"] == img["checksum"]


def test_import_active_image_409_before_uri_filtering(api: Api):
    """glance checks the image status before it filters the web-download URI."""
    img = api.active_image(b"y" * 100)
    r = api.do_import(img["id"], {"method": {"name": "web-download",
                                             "uri": "ftp://127.0.0.1:21/x"}})
    assert r.status_code == 409, err(r)
    assert "Image with status active cannot be target for import" in message(r), err(r)


def test_import_web_download_on_staged_image_409(api: Api):
    img = api.create()
    r = api.stage(img["id"], b"z" * 500)
    assert r.status_code == 204, err(r)
    r = api.do_import(img["id"], {"method": {"name": "web-download",
                                             "uri": "http://127.0.0.1/never.raw"}})
    assert r.status_code == 409, err(r)
    assert "Image needs to be in 'queued' state to use 'web-download' method" in message(r), err(r)
    assert api.show(img["id"])["status"] == "uploading"


@pytest.mark.parametrize("body,text", [
    ({"method": {"name": "bogus-method"}}, "Unknown import method name 'bogus-method'."),
    ({"method": {"name": "copy-image"}}, "Unknown import method name 'copy-image'."),
    ({"nomethod": {}}, "Import request requires a 'method' field."),
    ({"method": {"uri": "http://x/"}}, "Import request requires a 'name' field."),
], ids=["unknown", "not-enabled", "no-method", "no-name"])
def test_import_bad_method_400(api: Api, body, text):
    img = api.create()
    r = api.stage(img["id"], b"q" * 10)
    assert r.status_code == 204, err(r)
    r = api.do_import(img["id"], body)
    assert r.status_code == 400, err(r)
    assert text in message(r), err(r)
    assert api.show(img["id"])["status"] == "uploading"


def test_stage_twice_409(api: Api, server: Server):
    first = secrets.token_bytes(1000)
    img = api.create()
    r = api.stage(img["id"], first)
    assert r.status_code == 204, err(r)
    r = api.stage(img["id"], secrets.token_bytes(3000))
    assert r.status_code == 409, err(r)
    after = api.show(img["id"])
    assert after["status"] == "uploading" and after["size"] == len(first), after
    # the first staging is intact and still importable
    r = api.do_import(img["id"], {"method": {"name": "glance-direct"}})
    assert r.status_code == 202, err(r)
    assert_imported(api, img["id"], first)


def test_stage_active_image_409(api: Api):
    img = api.active_image(b"a" * 100)
    r = api.stage(img["id"], b"b" * 100)
    assert r.status_code == 409, err(r)
    assert "Image status transition from active to uploading is not allowed" in message(r), err(r)


def test_stage_wrong_content_type_415(api: Api):
    img = api.create()
    r = requests.put(f"{api.base}/{img['id']}/stage", data=b"abc",
                     headers=api.h({"Content-Type": "application/json"}), timeout=15)
    assert r.status_code == 415, err(r)
    assert api.show(img["id"])["status"] == "queued"


def test_web_download_refused_by_default_filtering(api: Api, osc: Cli, source: Source):
    uri = source.add(b"never fetched")
    hits = len(source.hits)
    img = api.create()
    r = api.do_import(img["id"], {"method": {"name": "web-download", "uri": uri}})
    assert r.status_code == 400, err(r)
    assert f"URI for web-download does not pass filtering: {uri}" in message(r), err(r)
    assert api.show(img["id"])["status"] == "queued"
    # through the stock client too (openstacksdk's import_image does not check
    # the response, so the command itself exits 0 either way)
    osc.raw("image", "import", "--method", "web-download", "--uri", uri, img["id"])
    time.sleep(0.5)
    assert len(source.hits) == hits, source.hits
    assert api.show(img["id"])["status"] == "queued"


def test_single_store_ignores_store_header(api: Api):
    """Without enabled_backends glance does not read X-Image-Meta-Store."""
    data = b"s" * 700
    img = api.create()
    r = api.upload(img["id"], data, headers={"X-Image-Meta-Store": "cheap"})
    assert r.status_code == 204, err(r)
    assert api.show(img["id"])["status"] == "active"
    img = api.create()
    assert api.stage(img["id"], data).status_code == 204
    r = api.do_import(img["id"], {"method": {"name": "glance-direct"}},
                      headers={"X-Image-Meta-Store": "cheap"})
    assert r.status_code == 202, err(r)
    assert_imported(api, img["id"], data)


# --------------------------------------------------------------------------
# web-download (server `web`: enabled_import_methods = [web-download],
# [import_filtering_opts] allowed_ports = <empty>)
# --------------------------------------------------------------------------
def test_web_info_and_glance_direct_disabled(web_api: Api):
    r = web_api.info("import")
    assert r.status_code == 200, err(r)
    assert r.json()["import-methods"]["value"] == ["web-download"], r.json()
    img = web_api.create()
    r = web_api.stage(img["id"], b"data")
    assert r.status_code == 404, err(r)
    assert "'glance-direct' method is not available at this site." in message(r), err(r)
    r = web_api.do_import(img["id"], {"method": {"name": "glance-direct"}})
    assert r.status_code == 400, err(r)
    assert "Unknown import method name 'glance-direct'." in message(r), err(r)
    assert web_api.show(img["id"])["status"] == "queued"


def test_web_download_raw(web_api: Api, web: Server, source: Source):
    data = secrets.token_bytes(1_500_000)
    uri = source.add(data)
    img = web_api.create()
    r = web_api.do_import(img["id"], {"method": {"name": "web-download", "uri": uri}})
    assert r.status_code == 202, err(r)
    first = web_api.show(img["id"])["status"]
    assert first in ("importing", "active"), first
    assert_imported(web_api, img["id"], data, [first])
    assert any(uri.endswith(h) for h in source.hits), source.hits
    assert staged_files(web) == [], staged_files(web)


def test_web_download_404_back_to_queued_then_retry(web_api: Api, source: Source):
    img = web_api.create()
    missing = source.url(f"/{unique('missing')}.raw")
    r = web_api.do_import(img["id"], {"method": {"name": "web-download", "uri": missing}})
    assert r.status_code == 202, err(r)
    after, seen = web_api.settle(img["id"])
    assert after["status"] == "queued", f"seen {seen}: {after}"
    assert after["size"] is None and after["checksum"] is None, after
    assert any(missing.endswith(h) for h in source.hits), source.hits
    # a failed import leaves the image usable for another one
    data = secrets.token_bytes(20_000)
    r = web_api.do_import(img["id"], {"method": {"name": "web-download", "uri": source.add(data)}})
    assert r.status_code == 202, err(r)
    assert_imported(web_api, img["id"], data)


def test_web_download_glance_cli(web_api: Api, web: Server, source: Source):
    data = secrets.token_bytes(80_000)
    uri = source.add(data)
    name = unique("g-web")
    out = Glance(web).ok("image-create-via-import", "--import-method", "web-download",
                         "--uri", uri, "--disk-format", "raw", "--container-format", "bare",
                         "--name", name)
    props = parse_props(out)
    assert props["name"] == name, props
    assert_imported(web_api, props["id"], data)


def test_web_download_osc(web_api: Api, web: Server, source: Source, tmp_path, wrappers):
    cli = cli_for(web, tmp_path, wrappers["openstack"])
    data = secrets.token_bytes(90_000)
    uri = source.add(data)
    img = cli.json("image", "create", "--disk-format", "raw", "--container-format", "bare",
                   unique("osc-web"))
    assert img["status"] == "queued", img
    cli.ok("image", "import", "--method", "web-download", "--uri", uri, img["id"])
    assert_imported(web_api, img["id"], data)


# --------------------------------------------------------------------------
# multi-store (server `multi`: enabled_backends = fast:file, cheap:file)
# --------------------------------------------------------------------------
def test_multi_info_stores(multi_api: Api, multi: Server, tmp_path, wrappers):
    r = multi_api.info("stores")
    assert r.status_code == 200, err(r)
    assert r.json() == {"stores": [
        {"id": "fast", "default": "true"},
        {"id": "cheap", "description": STORE_DESC},
    ]}, r.json()

    rows = parse_table(Glance(multi).ok("stores-info"))
    text = json.dumps(rows)
    assert "fast" in text and "cheap" in text and STORE_DESC in text, rows

    listed = cli_for(multi, tmp_path, wrappers["openstack"]).json("image", "stores", "list")
    by_id = {s["ID"]: s for s in listed}
    assert set(by_id) == {"fast", "cheap"}, listed
    assert by_id["cheap"].get("Description") == STORE_DESC, listed


def test_multi_versions(multi: Server):
    status, ids = version_ids(multi)
    assert status == 200
    for v in MULTISTORE_VERSIONS + ["v2.9"]:
        assert v in ids, (v, ids)
    status, ids2 = version_ids(multi, "/")
    assert status == 300 and ids2 == ids, (status, ids2)


def test_multi_default_store_upload(multi_api: Api, multi: Server):
    data = secrets.token_bytes(3000)
    img = multi_api.active_image(data)
    assert img["stores"] == "fast", img
    files = stored_files(multi, img["id"])
    assert files and all(f.startswith("fast/") for f in files), files


def test_multi_glance_upload_to_store(multi_api: Api, multi: Server, tmp_path):
    data = secrets.token_bytes(5000)
    f = tmp_path / "c.raw"
    f.write_bytes(data)
    props = parse_props(Glance(multi).ok(
        "image-create", "--name", unique("g-cheap"), "--disk-format", "raw",
        "--container-format", "bare", "--file", str(f), "--store", "cheap"))
    assert props["status"] == "active", props
    img = multi_api.show(props["id"])
    assert img["stores"] == "cheap", img
    assert img["checksum"] == digests(data)["md5"], img
    files = stored_files(multi, img["id"])
    assert files and all(f.startswith("cheap/") for f in files), files


def test_multi_upload_unknown_store_400(multi_api: Api):
    img = multi_api.create()
    r = multi_api.upload(img["id"], b"n" * 100, headers={"X-Image-Meta-Store": "nope"})
    assert r.status_code == 400, err(r)
    assert "nope" in message(r), err(r)
    after = multi_api.show(img["id"])
    assert after["status"] == "queued" and after["size"] is None, after


def test_multi_glance_stage_import_to_store(multi_api: Api, multi: Server, tmp_path):
    g = Glance(multi)
    data = secrets.token_bytes(7000)
    f = tmp_path / "s.raw"
    f.write_bytes(data)
    props = parse_props(g.ok("image-create", "--name", unique("g-st"), "--disk-format", "raw",
                             "--container-format", "bare"))
    g.ok("image-stage", "--file", str(f), props["id"])
    g.ok("image-import", "--import-method", "glance-direct", "--store", "cheap", props["id"])
    img = assert_imported(multi_api, props["id"], data)
    assert img["stores"] == "cheap", img
    assert staged_files(multi) == []


def test_multi_osc_import_stores_body(multi_api: Api, multi: Server, tmp_path, wrappers):
    """`openstack image import --store` sends {"stores": [...]} in the body."""
    cli = cli_for(multi, tmp_path, wrappers["openstack"])
    data = secrets.token_bytes(6000)
    f = tmp_path / "o.raw"
    f.write_bytes(data)
    img = cli.json("image", "create", "--disk-format", "raw", "--container-format", "bare",
                   unique("osc-st"))
    cli.ok("image", "stage", "--file", str(f), img["id"])
    # --store takes any number of values, so the image goes first
    cli.ok("image", "import", img["id"], "--method", "glance-direct", "--store", "cheap")
    shown = assert_imported(multi_api, img["id"], data)
    assert shown["stores"] == "cheap", shown


def test_multi_raw_import_stores_body(multi_api: Api):
    data = secrets.token_bytes(4000)
    img = multi_api.create()
    assert multi_api.stage(img["id"], data).status_code == 204
    r = multi_api.do_import(img["id"], {"method": {"name": "glance-direct"}, "stores": ["cheap"]})
    assert r.status_code == 202, err(r)
    shown = assert_imported(multi_api, img["id"], data)
    assert shown["stores"] == "cheap", shown


@pytest.mark.parametrize("how", ["header", "body"])
def test_multi_import_unknown_store_409(multi_api: Api, how):
    """glance maps glance_store.UnknownScheme on import to 409."""
    img = multi_api.create()
    assert multi_api.stage(img["id"], b"u" * 100).status_code == 204
    body = {"method": {"name": "glance-direct"}}
    headers = None
    if how == "header":
        headers = {"X-Image-Meta-Store": "nope"}
    else:
        body["stores"] = ["nope"]
    r = multi_api.do_import(img["id"], body, headers=headers)
    assert r.status_code == 409, err(r)
    assert "nope" in message(r), err(r)
    assert multi_api.show(img["id"])["status"] == "uploading"
