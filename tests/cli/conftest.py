"""Fixtures for the end-to-end CLI suite.

The suite starts a real `ferrostack all-in-one` server on a free loopback
port and drives it with the stock, unpatched python-openstackclient
(`openstack` from the same venv as the Python running pytest).

Environment:
  FERROSTACK_BIN      server binary (default: $CARGO_TARGET_DIR/debug/ferrostack,
                      where CARGO_TARGET_DIR defaults to <repo>/target)
  FERROSTACK_OPENSTACK  path of the `openstack` executable (default: next to
                      sys.executable, else from PATH)
  FERROSTACK_CLI_DEBUG=1  pass --debug to every openstack call, so failure
                      messages show the HTTP exchange
"""
from __future__ import annotations

import configparser
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 20.0
CLI_TIMEOUT = 120.0
SECURITY_OPTIONS = (
    "lockout_failure_attempts",
    "lockout_duration",
    "unique_last_password_count",
    "minimum_password_age",
)


# --------------------------------------------------------------------------
# locating things
# --------------------------------------------------------------------------
def ferrostack_bin() -> Path:
    if os.environ.get("FERROSTACK_BIN"):
        return Path(os.environ["FERROSTACK_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / "ferrostack"


def openstack_exe() -> str:
    if os.environ.get("FERROSTACK_OPENSTACK"):
        return os.environ["FERROSTACK_OPENSTACK"]
    beside = Path(sys.executable).parent / "openstack"
    if beside.exists():
        return str(beside)
    found = shutil.which("openstack")
    if not found:
        pytest.fail(
            "the `openstack` CLI was not found next to %s nor on PATH; install "
            "tests/cli/requirements.txt into the venv running pytest"
            % sys.executable,
            pytrace=False,
        )
    return found


def security_compliance_options() -> dict[str, str]:
    """Options copied from tempest-subset/identity-security.ini, if it exists."""
    ini = REPO / "tempest-subset" / "identity-security.ini"
    out: dict[str, str] = {}
    if not ini.exists():
        return out
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ini)
    sections = ["security_compliance"] + [s for s in cp.sections() if s != "security_compliance"]
    for sec in sections + ["DEFAULT"]:
        if sec != "DEFAULT" and not cp.has_section(sec):
            continue
        for opt in SECURITY_OPTIONS:
            if opt not in out and cp.has_option(sec, opt):
                out[opt] = cp.get(sec, opt).strip()
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------
# raw HTTP (for checks the CLI cannot express)
# --------------------------------------------------------------------------
@dataclass
class HttpResult:
    status: int
    headers: dict  # keys lower-cased (HTTP header names are case-insensitive)
    body: object

    def header(self, name: str):
        return self.headers.get(name.lower())


def http(method: str, url: str, headers: dict | None = None, body: object = None) -> HttpResult:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, dict(e.headers), e.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return HttpResult(status, {k.lower(): v for k, v in hdrs.items()}, parsed)


# --------------------------------------------------------------------------
# server process
# --------------------------------------------------------------------------
class Server:
    def __init__(self, workdir: Path, port: int | None = None, password: str | None = None,
                 extra_config: str = "", extra_default: str = ""):
        # extra_config is appended after the last section. extra_default is put
        # inside [DEFAULT]: rust-ini does not merge a repeated section (a
        # second [DEFAULT] header starts a new, ignored copy), so options of
        # [DEFAULT] (e.g. "image_size_cap = 1000") must go here.
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.image_port = free_port()
        self.compute_port = free_port()
        self.network_port = free_port()
        self.extra_config = extra_config
        self.extra_default = extra_default
        self.password = password or ("Pw-" + secrets.token_hex(12))
        self.config = workdir / "ferrostack.conf"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.write_config()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return self.base_url + "/v3"

    @property
    def image_url(self) -> str:
        return f"http://127.0.0.1:{self.image_port}"

    @property
    def compute_url(self) -> str:
        return f"http://127.0.0.1:{self.compute_port}"

    @property
    def network_url(self) -> str:
        return f"http://127.0.0.1:{self.network_port}"

    def write_config(self) -> None:
        lines = [
            "[DEFAULT]",
            "bind_host = 127.0.0.1",
            f"public_port = {self.port}",
            f"osapi_compute_listen_port = {self.compute_port}",
            *[l for l in self.extra_default.splitlines() if l.strip()],
            "",
            "[image]",
            f"bind_port = {self.image_port}",
            "",
            "[network]",
            f"bind_port = {self.network_port}",
            "",
            "[identity]",
            "password_hash_rounds = 4",
            "",
            "[security_compliance]",
        ]
        for k, v in security_compliance_options().items():
            lines.append(f"{k} = {v}")
        self.config.write_text("\n".join(lines) + "\n" + self.extra_config)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def start(self, wait: bool = True) -> None:
        """Starts the all-in-one process and, unless `wait` is false, waits
        until identity answers (polling every 0.2 s)."""
        binary = ferrostack_bin()
        if not binary.exists():
            pytest.fail(
                f"ferrostack binary not found at {binary}. Build it first "
                f"(`cargo build`), or point FERROSTACK_BIN at it.",
                pytrace=False,
            )
        env = dict(os.environ)
        env["OS_BOOTSTRAP_PASSWORD"] = self.password
        for k in list(env):
            if k.startswith("OS_") and k != "OS_BOOTSTRAP_PASSWORD":
                del env[k]
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts}: port {self.port} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [str(binary), "all-in-one", "--data-dir", str(self.data_dir), "--config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"ferrostack exited with code {self.proc.returncode} before serving.\n"
                    f"--- server log ---\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                r = http("GET", self.auth_url)
                if r.status == 200:
                    return
                last = f"HTTP {r.status}: {r.body}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.2)
        self.stop()
        pytest.fail(
            f"ferrostack did not answer 200 on GET {self.auth_url} within {READY_TIMEOUT}s "
            f"(last: {last}).\n--- server log ---\n{self.log_tail()}",
            pytrace=False,
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --------------------------------------------------------------------------
# CLI wrapper
# --------------------------------------------------------------------------
class CliError(AssertionError):
    pass


@dataclass
class CliResult:
    args: list
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        err = self.stderr
        if len(err) > 6000:
            err = "...\n" + err[-6000:]
        return (
            f"$ openstack {' '.join(self.args)}\n(rc={self.returncode})\n"
            f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{err}"
        )


@dataclass
class Cli:
    server: Server
    clouds_yaml: Path
    exe: str = field(default_factory=openstack_exe)

    # -- clouds.yaml management ------------------------------------------
    def clouds(self) -> dict:
        return yaml.safe_load(self.clouds_yaml.read_text())

    def add_cloud(self, name: str, auth: dict, auth_type: str | None = None) -> str:
        data = self.clouds()
        entry = {
            "auth": {"auth_url": self.server.auth_url, **auth},
            "region_name": "RegionOne",
            "identity_api_version": 3,
        }
        if auth_type:
            entry["auth_type"] = auth_type
        data["clouds"][name] = entry
        self.clouds_yaml.write_text(yaml.safe_dump(data))
        return name

    def add_password_cloud(self, name: str, username: str, password: str, project: str | None) -> str:
        auth = {"username": username, "password": password, "user_domain_name": "Default"}
        if project:
            auth.update(project_name=project, project_domain_name="Default")
        return self.add_cloud(name, auth)

    # -- running ----------------------------------------------------------
    def raw(self, *args: str, cloud: str | None = "ferrostack", config: Path | None = None,
            extra_env: dict | None = None) -> CliResult:
        argv = []
        if os.environ.get("FERROSTACK_CLI_DEBUG") == "1":
            argv.append("--debug")
        if cloud:
            argv += ["--os-cloud", cloud]
        argv += list(args)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["OS_CLIENT_CONFIG_FILE"] = str(config or self.clouds_yaml)
        env.update(extra_env or {})
        try:
            p = subprocess.run(
                [self.exe, *argv],
                capture_output=True,
                text=True,
                env=env,
                timeout=CLI_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            raise CliError(f"openstack {' '.join(argv)} timed out after {CLI_TIMEOUT}s; "
                           f"stderr: {e.stderr}") from None
        return CliResult(argv, p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, **kw) -> CliResult:
        r = self.raw(*args, **kw)
        if r.returncode != 0:
            raise CliError("command failed unexpectedly:\n" + r.describe()
                           + "\n--- server log tail ---\n" + self.server.log_tail(25))
        return r

    def json(self, *args: str, **kw):
        r = self.ok(*args, "-f", "json", **kw)
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise CliError("output is not JSON:\n" + r.describe()) from None

    def fails(self, *args: str, **kw) -> CliResult:
        r = self.raw(*args, **kw)
        if r.returncode == 0:
            raise CliError("command succeeded but was expected to fail:\n" + r.describe())
        return r

    # -- helpers ------------------------------------------------------------
    def token(self, cloud: str = "ferrostack") -> dict:
        return self.json("token", "issue", cloud=cloud)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("ferrostack"))
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def cli(server, tmp_path_factory) -> Cli:
    generated = server.data_dir / "clouds.yaml"
    assert generated.exists(), (
        f"ferrostack did not write {generated} on first start.\n--- server log ---\n{server.log_tail()}"
    )
    own = tmp_path_factory.mktemp("clients") / "clouds.yaml"
    shutil.copy(generated, own)
    return Cli(server=server, clouds_yaml=own)


@dataclass
class Account:
    """A user with a role on a fresh project, plus a clouds.yaml entry."""
    name: str
    id: str
    password: str
    project: str
    project_id: str
    cloud: str


def make_account(cli: Cli, role: str | None = "member", password: str | None = None,
                 project: str | None = None) -> Account:
    pname = project or unique("proj")
    if project is None:
        proj = cli.json("project", "create", "--domain", "default", pname)
    else:
        proj = cli.json("project", "show", pname)
    uname = unique("user")
    pw = password or ("Pw-" + secrets.token_hex(8))
    user = cli.json("user", "create", "--domain", "default", "--password", pw,
                    "--project", pname, uname)
    if role:
        cli.ok("role", "add", "--project", pname, "--user", uname, role)
    cloud = cli.add_password_cloud(uname, uname, pw, pname)
    return Account(uname, user["id"], pw, pname, proj["id"], cloud)


@pytest.fixture(scope="session")
def member(cli) -> Account:
    """A user holding only the `member` role on its own project."""
    return make_account(cli, "member")


@pytest.fixture(scope="session")
def admin_token(cli) -> str:
    return cli.json("token", "issue")["id"]


# --------------------------------------------------------------------------
# compute helpers shared by the compute modules
# --------------------------------------------------------------------------
def own_cloud(workdir: Path, extra_config: str = "", extra_default: str = ""):
    """A module's own cloud (see Server for the two config arguments): a
    generator for a module-scoped fixture; the server stops at the end."""
    srv = Server(workdir, extra_config=extra_config, extra_default=extra_default)
    try:
        srv.start()
        own = srv.workdir / "clients-clouds.yaml"
        shutil.copy(srv.data_dir / "clouds.yaml", own)
        yield Cli(server=srv, clouds_yaml=own)
    finally:
        srv.stop()


def nova(server: Server, *args: str) -> str:
    """The stock `nova` CLI (python-novaclient), authenticated as admin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=server.auth_url, OS_USERNAME="admin", OS_PASSWORD=server.password,
               OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3")
    exe = Path(openstack_exe()).parent / "nova"
    r = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert r.returncode == 0, f"nova {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def upload_image(cli: Cli, workdir: Path, *options: str) -> str:
    """A small raw image made with `image create`; returns its name."""
    disk = workdir / "disk.img"
    disk.write_bytes(b"\0" * 65536)
    name = unique("cirros")
    cli.ok("image", "create", "--file", str(disk), "--disk-format", "raw",
           "--container-format", "bare", *options, name)
    return name


def wait_server(cli: Cli, name: str, done, timeout: float = 60.0) -> dict:
    """Polls `server show` until `done(shown)`; fails on ERROR unless that
    is what `done` waits for, and after `timeout` seconds."""
    deadline = time.time() + timeout
    while True:
        shown = cli.json("server", "show", name)
        if done(shown):
            return shown
        assert shown["status"] != "ERROR", f"server {name} went to ERROR: {shown.get('fault')}"
        assert time.time() < deadline, (
            f"server {name} still {shown['status']} ({shown.get('OS-EXT-STS:task_state')})"
        )
        time.sleep(0.1)


def settled(status: str):
    """`wait_server`'s test for a status with no task under way."""
    return lambda s: s["status"] == status and not s.get("OS-EXT-STS:task_state")


def wait_status(cli: Cli, name: str, status: str, timeout: float = 60.0) -> dict:
    return wait_server(cli, name, settled(status), timeout)
