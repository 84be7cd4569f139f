"""End-to-end Identity tests: stock `openstack` CLI against `ferrostack all-in-one`.

Run:  $VENV/bin/python -m pytest tests/cli -q
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import subprocess

import pytest
import yaml

from conftest import (
    Account,
    Cli,
    Server,
    http,
    make_account,
    security_compliance_options,
    unique,
)

AUTH_FAILED = re.compile(r"HTTP 401|401|requires authentication", re.I)
FORBIDDEN = re.compile(r"HTTP 403|\b403\b|Forbidden", re.I)


def rows_by(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


def parse_expires(s: str) -> dt.datetime:
    # `token issue` prints e.g. 2026-11-21T14:51:40+0000
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S%z")


def _token_roles(cli: Cli, acct: Account) -> list[dict]:
    """Roles in a fresh token of acct, read back with GET /v3/auth/tokens."""
    tok = cli.token(acct.cloud)["id"]
    r = http("GET", cli.server.auth_url + "/auth/tokens", {"X-Auth-Token": tok, "X-Subject-Token": tok})
    assert r.status == 200, r
    return r.body["token"]["roles"]


def sec_opt(name: str, default: int = 0) -> int:
    try:
        return int(float(security_compliance_options().get(name, default)))
    except ValueError:
        return default


# --------------------------------------------------------------------------
# bootstrap state, tokens, catalog
# --------------------------------------------------------------------------
def test_version_document(server: Server):
    r = http("GET", server.auth_url)
    assert r.status == 200, r
    v = r.body["version"]
    assert v["id"].startswith("v3."), v
    assert v["status"] == "stable", v
    assert any(l["rel"] == "self" and l["href"].rstrip("/") == server.auth_url for l in v["links"]), v


def test_generated_clouds_yaml(server: Server, cli: Cli):
    data = yaml.safe_load((server.data_dir / "clouds.yaml").read_text())
    c = data["clouds"]["ferrostack"]
    assert c["auth"]["auth_url"].rstrip("/") == server.auth_url
    assert c["auth"]["username"] == "admin"
    assert c["auth"]["password"] == server.password
    assert c["auth"]["project_name"] == "admin"
    assert c["auth"]["user_domain_name"] == "Default"
    assert c["auth"]["project_domain_name"] == "Default"
    assert c["region_name"] == "RegionOne"
    assert str(c["identity_api_version"]) == "3"
    # and the generated file itself works, unmodified
    tok = cli.json("token", "issue", config=server.data_dir / "clouds.yaml")
    assert len(tok["id"]) > 20


def test_generated_openrc(server: Server, cli: Cli):
    openrc = server.data_dir / "openrc"
    assert openrc.exists(), f"{openrc} was not written"
    text = openrc.read_text()
    assert server.auth_url in text
    env = {"PATH": f"{os.path.dirname(cli.exe)}:/usr/bin:/bin", "HOME": str(server.workdir)}
    p = subprocess.run(
        ["bash", "-c", f". '{openrc}' && openstack token issue -f value -c user_id && echo \"$OS_USERNAME/$OS_PROJECT_NAME\""],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split()
    assert re.fullmatch(r"[0-9a-f]{32}|[0-9a-zA-Z_-]{8,}", lines[0]), p.stdout
    assert lines[1] == "admin/admin", p.stdout


def test_token_issue_admin(cli: Cli):
    tok = cli.token()
    assert set(tok) >= {"id", "expires", "project_id", "user_id"}, tok
    admin_project = cli.json("project", "show", "admin")
    admin_user = cli.json("user", "show", "admin")
    assert tok["project_id"] == admin_project["id"]
    assert tok["user_id"] == admin_user["id"]
    expires = parse_expires(tok["expires"])
    now = dt.datetime.now(dt.timezone.utc)
    assert now + dt.timedelta(minutes=5) < expires < now + dt.timedelta(days=2), tok["expires"]
    # each call gets its own token
    assert cli.token()["id"] != tok["id"]


def test_token_validate_raw(cli: Cli, server: Server, admin_token: str):
    """GET /v3/auth/tokens with X-Subject-Token returns the token body."""
    r = http("GET", server.auth_url + "/auth/tokens",
             {"X-Auth-Token": admin_token, "X-Subject-Token": admin_token})
    assert r.status == 200, r
    assert r.header("X-Subject-Token") == admin_token
    t = r.body["token"]
    assert t["user"]["name"] == "admin"
    assert t["user"]["domain"]["id"] == "default"
    assert t["project"]["name"] == "admin"
    assert "admin" in {x["name"] for x in t["roles"]}
    assert "password" in t["methods"]


def test_wrong_password_rejected(cli: Cli):
    acct = make_account(cli, "member")
    cli.add_password_cloud("badpw", acct.name, acct.password + "-wrong", acct.project)
    r = cli.fails("token", "issue", cloud="badpw")
    assert AUTH_FAILED.search(r.stderr), r.describe()


def test_catalog_list_identity(cli: Cli, server: Server):
    cat = cli.json("catalog", "list")
    ident = [s for s in cat if s["Type"] == "identity"]
    assert len(ident) == 1, cat
    eps = ident[0]["Endpoints"]
    assert {e["interface"] for e in eps} >= {"public", "internal", "admin"}, eps
    for e in eps:
        assert e["region"] == "RegionOne" or e.get("region_id") == "RegionOne", e
        assert e["url"].startswith(server.base_url), e


def test_endpoint_list(cli: Cli, server: Server):
    eps = cli.json("endpoint", "list")
    ident = [e for e in eps if e["Service Type"] == "identity"]
    assert {e["Interface"] for e in ident} >= {"public", "internal", "admin"}, eps
    for e in ident:
        assert e["Region"] == "RegionOne", e
        assert e["Enabled"] is True, e
        assert e["URL"].startswith(server.base_url), e
        assert e["Service Name"], e
    # --service filter narrows to the identity service only
    only = cli.json("endpoint", "list", "--service", "identity", "--interface", "public")
    assert [e["Interface"] for e in only] == ["public"], only
    assert only[0]["Service Type"] == "identity"


def test_service_list(cli: Cli):
    svcs = cli.json("service", "list")
    ident = [s for s in svcs if s["Type"] == "identity"]
    assert len(ident) == 1, svcs
    eps = cli.json("endpoint", "list")
    assert ident[0]["Name"] in {e["Service Name"] for e in eps if e["Service Type"] == "identity"}


def test_region_list(cli: Cli):
    regions = cli.json("region", "list")
    assert "RegionOne" in [r["Region"] for r in regions], regions


def test_domain_list_and_show(cli: Cli):
    doms = rows_by(cli.json("domain", "list"), "ID")
    assert doms["default"]["Name"] == "Default"
    assert doms["default"]["Enabled"] is True
    by_id = cli.json("domain", "show", "default")
    by_name = cli.json("domain", "show", "Default")
    assert by_id["id"] == by_name["id"] == "default"
    assert by_id["name"] == "Default"
    assert by_id["enabled"] is True


def test_role_list(cli: Cli):
    names = {r["Name"] for r in cli.json("role", "list")}
    assert names >= {"admin", "member", "reader"}, names


def test_user_list(cli: Cli, member: Account):
    users = rows_by(cli.json("user", "list"), "Name")
    assert "admin" in users
    assert users[member.name]["ID"] == member.id
    in_default = {u["Name"] for u in cli.json("user", "list", "--domain", "default")}
    assert {"admin", member.name} <= in_default


def test_bootstrap_projects_and_admin_assignments(cli: Cli):
    projects = {p["Name"] for p in cli.json("project", "list")}
    assert {"admin", "demo"} <= projects
    rows = cli.json("role", "assignment", "list", "--names", "--user", "admin")
    got = {(r["Role"], r["User"], r["Project"], r["System"]) for r in rows}
    assert ("admin", "admin@Default", "admin@Default", "") in got, rows
    assert ("admin", "admin@Default", "", "all") in got, rows


# --------------------------------------------------------------------------
# projects
# --------------------------------------------------------------------------
def test_project_lifecycle(cli: Cli):
    name = unique("proj")
    p = cli.json("project", "create", "--domain", "default", "--description", "first",
                 "--enable", "--tag", "alpha", "--tag", "beta", name)
    assert p["name"] == name
    assert p["domain_id"] == "default"
    assert p["description"] == "first"
    assert p["enabled"] is True
    assert sorted(p["tags"]) == ["alpha", "beta"]
    assert re.fullmatch(r"[0-9a-f]{32}", p["id"]), p["id"]
    pid = p["id"]

    listed = rows_by(cli.json("project", "list"), "ID")
    assert listed[pid]["Name"] == name
    long = rows_by(cli.json("project", "list", "--long"), "ID")
    assert long[pid]["Description"] == "first"
    assert long[pid]["Enabled"] is True
    assert long[pid]["Domain ID"] == "default"

    by_name = cli.json("project", "show", name)
    by_id = cli.json("project", "show", pid)
    by_dom = cli.json("project", "show", "--domain", "Default", name)
    for shown in (by_name, by_id, by_dom):
        assert shown["id"] == pid and shown["name"] == name
        assert shown["description"] == "first"

    cli.ok("project", "set", "--description", "second", "--disable", "--tag", "gamma", name)
    after = cli.json("project", "show", pid)
    assert after["description"] == "second"
    assert after["enabled"] is False
    assert sorted(after["tags"]) == ["alpha", "beta", "gamma"]

    new_name = unique("renamed")
    cli.ok("project", "set", "--name", new_name, "--enable", pid)
    renamed = cli.json("project", "show", pid)
    assert renamed["name"] == new_name and renamed["enabled"] is True

    tagged = {p["ID"] for p in cli.json("project", "list", "--tags", "gamma")}
    assert pid in tagged
    assert pid not in {p["ID"] for p in cli.json("project", "list", "--tags", "no-such-tag")}

    cli.ok("project", "delete", new_name)
    assert pid not in {p["ID"] for p in cli.json("project", "list")}
    r = cli.fails("project", "show", pid)
    assert "No Project found" in r.stderr or "No project with a name or ID" in r.stderr, r.describe()


def test_project_create_duplicate_conflicts(cli: Cli):
    name = unique("dup")
    cli.json("project", "create", "--domain", "default", name)
    r = cli.fails("project", "create", "--domain", "default", name)
    assert re.search(r"409|Conflict|Duplicate", r.stderr, re.I), r.describe()
    # --or-show returns the existing one
    shown = cli.json("project", "create", "--domain", "default", "--or-show", name)
    assert shown["name"] == name


def test_project_show_unknown(cli: Cli):
    name = unique("nosuch")
    r = cli.fails("project", "show", name)
    assert re.search(r"No Project found for " + re.escape(name) + r"|No project with a name or ID of '"
                     + re.escape(name), r.stderr), r.describe()


def test_project_delete_unknown(cli: Cli):
    r = cli.fails("project", "delete", unique("nosuch"))
    assert "1 of 1 projects failed to delete" in r.stderr, r.describe()


def test_domain_show_unknown(cli: Cli):
    r = cli.fails("domain", "show", unique("nodomain"))
    assert re.search(r"No Domain found|No domain with a name or ID", r.stderr), r.describe()


# --------------------------------------------------------------------------
# users, roles, passwords
# --------------------------------------------------------------------------
def test_user_create_role_add_and_login(cli: Cli):
    pname = unique("proj")
    proj = cli.json("project", "create", "--domain", "default", pname)
    uname = unique("user")
    pw = "Pw-" + secrets.token_hex(8)
    u = cli.json("user", "create", "--password", pw, "--project", pname, "--domain", "default", uname)
    assert u["name"] == uname
    assert u["domain_id"] == "default"
    assert u["default_project_id"] == proj["id"]
    assert u["enabled"] is True
    assert "password" not in u, u
    shown = cli.json("user", "show", uname)
    assert shown["id"] == u["id"]

    cloud = cli.add_password_cloud(uname, uname, pw, pname)
    # no role on the project yet: a project-scoped token must be refused
    r = cli.fails("token", "issue", cloud=cloud)
    assert AUTH_FAILED.search(r.stderr), r.describe()

    cli.ok("role", "add", "--project", pname, "--user", uname, "member")
    tok = cli.token(cloud)
    assert tok["user_id"] == u["id"]
    assert tok["project_id"] == proj["id"]

    rows = cli.json("role", "assignment", "list", "--names", "--user", uname, "--project", pname)
    assert [(r["Role"], r["User"], r["Project"], r["Group"], r["Inherited"]) for r in rows] == [
        ("member", f"{uname}@Default", f"{pname}@Default", "", False)
    ], rows
    ids = cli.json("role", "assignment", "list", "--user", u["id"], "--project", proj["id"])
    member_id = rows_by(cli.json("role", "list"), "Name")["member"]["ID"]
    assert [(r["Role"], r["User"], r["Project"]) for r in ids] == [(member_id, u["id"], proj["id"])], ids


def test_role_assignment_list_names_all(cli: Cli, member: Account):
    rows = cli.json("role", "assignment", "list", "--names")
    got = {(r["Role"], r["User"], r["Project"]) for r in rows}
    assert ("member", f"{member.name}@Default", f"{member.project}@Default") in got, rows
    assert ("admin", "admin@Default", "admin@Default") in got, rows


def test_role_add_with_domains_and_remove(cli: Cli):
    acct = make_account(cli, "member")
    cli.ok("role", "add", "--project", acct.project, "--project-domain", "default",
           "--user", acct.name, "--user-domain", "default", "reader")
    roles = {r["Role"] for r in cli.json("role", "assignment", "list", "--names",
                                          "--user", acct.name, "--project", acct.project)}
    assert roles == {"member", "reader"}
    cli.ok("role", "remove", "--project", acct.project, "--user", acct.name, "reader")
    roles = {r["Role"] for r in cli.json("role", "assignment", "list", "--names",
                                          "--user", acct.name, "--project", acct.project)}
    assert roles == {"member"}
    # removing it again: no such grant. NOTE: openstacksdk ignores a non-204 answer to
    # grant PUT/DELETE, so the CLI exits 0 either way; check the state instead.
    cli.raw("role", "remove", "--project", acct.project, "--user", acct.name, "reader")
    roles = {r["Role"] for r in cli.json("role", "assignment", "list", "--names",
                                          "--user", acct.name, "--project", acct.project)}
    assert roles == {"member"}


def test_role_remove_revokes_access(cli: Cli):
    acct = make_account(cli, "member")
    cli.token(acct.cloud)
    cli.ok("role", "remove", "--project", acct.project, "--user", acct.name, "member")
    r = cli.fails("token", "issue", cloud=acct.cloud)
    assert AUTH_FAILED.search(r.stderr), r.describe()


def test_user_set_password(cli: Cli):
    acct = make_account(cli, "member")
    cli.token(acct.cloud)
    new_pw = "New-" + secrets.token_hex(8)
    cli.ok("user", "set", "--password", new_pw, acct.name)
    # old password stops working
    r = cli.fails("token", "issue", cloud=acct.cloud)
    assert AUTH_FAILED.search(r.stderr), r.describe()
    # new one works
    cloud = cli.add_password_cloud(acct.name + "-new", acct.name, new_pw, acct.project)
    assert cli.token(cloud)["user_id"] == acct.id


def test_user_password_set_self_service(cli: Cli):
    acct = make_account(cli, "member")
    new_pw = "Self-" + secrets.token_hex(8)
    min_age = sec_opt("minimum_password_age")
    r = cli.raw("user", "password", "set", "--original-password", acct.password,
                "--password", new_pw, cloud=acct.cloud)
    if min_age > 0:
        # security_compliance.minimum_password_age forbids changing a fresh password
        assert r.returncode != 0, r.describe()
        assert re.search(r"400|minimum", r.stderr, re.I), r.describe()
        return
    assert r.returncode == 0, r.describe()
    cloud = cli.add_password_cloud(acct.name + "-self", acct.name, new_pw, acct.project)
    assert cli.token(cloud)["user_id"] == acct.id
    bad = cli.fails("token", "issue", cloud=acct.cloud)
    assert AUTH_FAILED.search(bad.stderr), bad.describe()


def test_user_password_set_wrong_original(cli: Cli):
    acct = make_account(cli, "member")
    r = cli.fails("user", "password", "set", "--original-password", "not-" + acct.password,
                  "--password", "Whatever-" + secrets.token_hex(6), cloud=acct.cloud)
    assert re.search(r"401|400|403", r.stderr), r.describe()
    # the password is unchanged
    assert cli.token(acct.cloud)["user_id"] == acct.id


def test_lockout_after_failed_attempts(cli: Cli):
    """[security_compliance] lockout_failure_attempts / lockout_duration."""
    import time
    attempts = sec_opt("lockout_failure_attempts")
    duration = sec_opt("lockout_duration")
    acct = make_account(cli, "member")
    bad = cli.add_password_cloud(acct.name + "-bad", acct.name, acct.password + "-wrong", acct.project)
    for _ in range(max(attempts, 1)):
        r = cli.fails("token", "issue", cloud=bad)
        assert AUTH_FAILED.search(r.stderr), r.describe()
    if attempts <= 0:
        # no lockout configured: the right password still works
        assert cli.token(acct.cloud)["user_id"] == acct.id
        return
    locked_at = time.monotonic()
    r = cli.fails("token", "issue", cloud=acct.cloud)
    assert AUTH_FAILED.search(r.stderr), "correct password must be refused while locked:\n" + r.describe()
    if 0 < duration <= 30:
        time.sleep(max(0.0, duration + 1 - (time.monotonic() - locked_at)))
        assert cli.token(acct.cloud)["user_id"] == acct.id
    # an admin can still see the user (it is locked, not deleted or disabled)
    assert cli.json("user", "show", acct.id)["enabled"] is True


def test_password_history(cli: Cli):
    """[security_compliance] unique_last_password_count (self-service change)."""
    count = sec_opt("unique_last_password_count")
    if sec_opt("minimum_password_age") > 0:
        pytest.fail("test_password_history needs minimum_password_age = 0 in identity-security.ini")
    acct = make_account(cli, "member")
    second = "Second-" + secrets.token_hex(6)
    cli.ok("user", "password", "set", "--original-password", acct.password, "--password", second,
           cloud=acct.cloud)
    cloud2 = cli.add_password_cloud(acct.name + "-2", acct.name, second, acct.project)
    r = cli.raw("user", "password", "set", "--original-password", second, "--password", acct.password,
                cloud=cloud2)
    if count >= 2:
        assert r.returncode != 0, "re-using the previous password must be refused:\n" + r.describe()
        assert re.search(r"400|password", r.stderr, re.I), r.describe()
        assert cli.token(cloud2)["user_id"] == acct.id  # still the second password
    else:
        assert r.returncode == 0, r.describe()
        assert cli.token(acct.cloud)["user_id"] == acct.id


def test_member_cannot_create_user(cli: Cli, member: Account):
    name = unique("sneaky")
    r = cli.fails("user", "create", "--password", "x-" + secrets.token_hex(6), name, cloud=member.cloud)
    assert FORBIDDEN.search(r.stderr), r.describe()
    assert name not in {u["Name"] for u in cli.json("user", "list")}


def test_member_cannot_create_project_or_grant_roles(cli: Cli, member: Account):
    r = cli.fails("project", "create", "--domain", "default", unique("sneaky"), cloud=member.cloud)
    assert FORBIDDEN.search(r.stderr), r.describe()
    # openstacksdk does not raise on a non-204 answer to a grant PUT, so `role add`
    # exits 0 even when refused: the proof is that no admin grant appears.
    cli.raw("role", "add", "--project", member.project_id, "--user", member.id, "admin",
            cloud=member.cloud)
    roles = {r["Role"] for r in cli.json("role", "assignment", "list", "--names",
                                          "--user", member.name, "--project", member.project)}
    assert roles == {"member"}
    assert "admin" not in {x["name"] for x in _token_roles(cli, member)}


# --------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------
def test_group_membership(cli: Cli):
    gname = unique("group")
    g = cli.json("group", "create", "--domain", "default", "--description", "grp", gname)
    assert g["name"] == gname
    assert g["domain_id"] == "default"
    assert g["description"] == "grp"
    inside = make_account(cli, None)
    outside = make_account(cli, None)
    cli.ok("group", "add", "user", gname, inside.name)

    # the CLI prints "U in group G" on stdout (HEAD -> 204) and "U not in group G"
    # on stderr (HEAD -> 404); exit code 0 in both cases
    r = cli.ok("group", "contains", "user", gname, inside.name)
    assert f"{inside.name} in group {gname}" in r.stdout, r.describe()
    assert "not in group" not in r.stdout + r.stderr, r.describe()
    r = cli.ok("group", "contains", "user", gname, outside.name)
    assert f"{outside.name} not in group {gname}" in r.stderr, r.describe()

    users = {u["Name"] for u in cli.json("user", "list", "--group", gname)}
    assert users == {inside.name}
    groups = {x["Name"] for x in cli.json("group", "list", "--user", inside.name)}
    assert gname in groups

    cli.ok("group", "remove", "user", gname, inside.name)
    r = cli.ok("group", "contains", "user", gname, inside.name)
    assert f"{inside.name} not in group {gname}" in r.stderr, r.describe()


def test_group_role_grants_project_access(cli: Cli):
    gname = unique("group")
    cli.json("group", "create", "--domain", "default", gname)
    acct = make_account(cli, None)
    r = cli.fails("token", "issue", cloud=acct.cloud)
    assert AUTH_FAILED.search(r.stderr), r.describe()
    cli.ok("role", "add", "--project", acct.project, "--group", gname, "member")
    cli.ok("group", "add", "user", gname, acct.name)
    tok = cli.token(acct.cloud)
    assert tok["project_id"] == acct.project_id


# --------------------------------------------------------------------------
# application credentials
# --------------------------------------------------------------------------
def test_application_credential_flow(cli: Cli, server: Server, admin_token: str):
    acct = make_account(cli, "member")
    cli.ok("role", "add", "--project", acct.project, "--user", acct.name, "reader")
    secret = "AppSecret-" + secrets.token_hex(8)
    name = unique("appcred")
    ac = cli.json("application", "credential", "create", "--secret", secret, "--role", "member",
                  "--expiration", "2099-01-01T00:00:00", "--unrestricted", "--description", "ci",
                  name, cloud=acct.cloud)
    assert ac["Name"] == name
    assert ac["Secret"] == secret
    assert ac["Unrestricted"] is True
    assert ac["Project ID"] == acct.project_id
    assert ac["Description"] == "ci"
    assert [r["name"] for r in ac["Roles"]] == ["member"], ac["Roles"]
    assert str(ac["Expires At"]).startswith("2099-01-01T00:00:00"), ac["Expires At"]
    acid = ac["ID"]

    # a second one without --secret/--role: server generates the secret, copies the token roles
    other = cli.json("application", "credential", "create", unique("appcred"), cloud=acct.cloud)
    assert other["Secret"] and len(other["Secret"]) >= 16, other
    assert other["Unrestricted"] is False
    assert {r["name"] for r in other["Roles"]} == {"member", "reader"}, other["Roles"]

    listed = rows_by(cli.json("application", "credential", "list", cloud=acct.cloud), "ID")
    assert set(listed) == {acid, other["ID"]}
    assert listed[acid]["Name"] == name
    assert "Secret" not in listed[acid] or not listed[acid]["Secret"]

    shown = cli.json("application", "credential", "show", name, cloud=acct.cloud)
    assert shown["ID"] == acid and shown["Unrestricted"] is True
    assert "Secret" not in shown or not shown["Secret"]
    assert cli.json("application", "credential", "show", acid, cloud=acct.cloud)["Name"] == name

    # authenticate with it, by id and by name + user
    by_id = cli.add_cloud(name + "-id", {"application_credential_id": acid,
                                         "application_credential_secret": secret},
                          auth_type="v3applicationcredential")
    by_name = cli.add_cloud(name + "-name", {"application_credential_name": name,
                                             "application_credential_secret": secret,
                                             "username": acct.name, "user_domain_name": "Default"},
                            auth_type="v3applicationcredential")
    tok = cli.token(by_id)
    assert tok["user_id"] == acct.id
    assert tok["project_id"] == acct.project_id
    assert cli.token(by_name)["user_id"] == acct.id

    # the token carries only the app cred's roles and identifies the app cred
    r = http("GET", server.auth_url + "/auth/tokens",
             {"X-Auth-Token": admin_token, "X-Subject-Token": tok["id"]})
    assert r.status == 200, r
    t = r.body["token"]
    assert t["methods"] == ["application_credential"], t["methods"]
    assert [x["name"] for x in t["roles"]] == ["member"], t["roles"]
    assert t["application_credential"]["id"] == acid
    assert t["project"]["id"] == acct.project_id
    # a CLI command works with the app-cred session
    cat = cli.json("catalog", "list", cloud=by_id)
    assert "identity" in {s["Type"] for s in cat}

    # wrong secret fails
    bad = cli.add_cloud(name + "-bad", {"application_credential_id": acid,
                                        "application_credential_secret": secret + "x"},
                        auth_type="v3applicationcredential")
    r2 = cli.fails("token", "issue", cloud=bad)
    assert AUTH_FAILED.search(r2.stderr), r2.describe()

    # delete: auth with it fails afterwards and the issued token is no longer valid
    cli.ok("application", "credential", "delete", name, cloud=acct.cloud)
    remaining = {x["ID"] for x in cli.json("application", "credential", "list", cloud=acct.cloud)}
    assert remaining == {other["ID"]}
    r3 = cli.fails("token", "issue", cloud=by_id)
    assert AUTH_FAILED.search(r3.stderr), r3.describe()
    r4 = http("GET", server.auth_url + "/auth/tokens",
              {"X-Auth-Token": admin_token, "X-Subject-Token": tok["id"]})
    assert r4.status == 404, r4
    r5 = cli.fails("application", "credential", "show", acid, cloud=acct.cloud)
    assert acid in r5.stderr or "not found" in r5.stderr.lower() or "No " in r5.stderr, r5.describe()


def test_restricted_application_credential_cannot_create_app_creds(cli: Cli):
    acct = make_account(cli, "member")
    secret = "S-" + secrets.token_hex(10)
    name = unique("restricted")
    ac = cli.json("application", "credential", "create", "--secret", secret, name, cloud=acct.cloud)
    assert ac["Unrestricted"] is False
    cloud = cli.add_cloud(name, {"application_credential_id": ac["ID"],
                                 "application_credential_secret": secret},
                          auth_type="v3applicationcredential")
    r = cli.fails("application", "credential", "create", unique("child"), cloud=cloud)
    assert FORBIDDEN.search(r.stderr), r.describe()


# --------------------------------------------------------------------------
# token revocation
# --------------------------------------------------------------------------
def test_token_revoke(cli: Cli, server: Server, admin_token: str, member: Account):
    victim = cli.token(member.cloud)["id"]
    url = server.auth_url + "/auth/tokens"
    before = http("GET", url, {"X-Auth-Token": admin_token, "X-Subject-Token": victim})
    assert before.status == 200, before
    assert before.body["token"]["user"]["id"] == member.id
    # the victim token works for its own requests
    assert http("GET", url, {"X-Auth-Token": victim, "X-Subject-Token": victim}).status == 200

    cli.ok("token", "revoke", victim)

    after = http("GET", url, {"X-Auth-Token": admin_token, "X-Subject-Token": victim})
    assert after.status == 404, after
    own = http("GET", server.auth_url + "/auth/projects", {"X-Auth-Token": victim})
    assert own.status == 401, own
    again = cli.fails("token", "revoke", victim)
    assert re.search(r"404|not found", again.stderr, re.I), again.describe()
    # the user can still get new tokens
    assert cli.token(member.cloud)["user_id"] == member.id


def test_token_revoke_self(cli: Cli, server: Server, member: Account):
    """A user may revoke their own token (HEAD/GET then 404)."""
    mine = cli.token(member.cloud)["id"]
    r = http("DELETE", server.auth_url + "/auth/tokens", {"X-Auth-Token": mine, "X-Subject-Token": mine})
    assert r.status == 204, r
    other = cli.token(member.cloud)["id"]
    r2 = http("GET", server.auth_url + "/auth/tokens", {"X-Auth-Token": other, "X-Subject-Token": mine})
    assert r2.status == 404, r2


# --------------------------------------------------------------------------
# restart keeps everything
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("restart"))
    try:
        srv.start()
        own = srv.workdir / "clients-clouds.yaml"
        shutil.copy(srv.data_dir / "clouds.yaml", own)
        c = Cli(server=srv, clouds_yaml=own)
        acct = make_account(c, "member")
        before = {
            "clouds_yaml": (srv.data_dir / "clouds.yaml").read_text(),
            "admin_user": c.json("user", "show", "admin")["id"],
            "demo": c.json("project", "show", "demo")["id"],
            "projects": sorted(p["Name"] for p in c.json("project", "list")),
            "roles": sorted(r["Name"] for r in c.json("role", "list")),
            "endpoints": sorted(e["ID"] for e in c.json("endpoint", "list")),
        }
        before["token"] = c.token(acct.cloud)["id"]
        srv.stop()
        assert srv.proc.returncode is not None
        srv.start()
        yield c, acct, before
    finally:
        srv.stop()


def test_restart_admin_password_still_works(restarted):
    c, acct, before = restarted
    assert c.server.starts == 2
    tok = c.token()
    assert tok["user_id"] == before["admin_user"]
    after_yaml = yaml.safe_load((c.server.data_dir / "clouds.yaml").read_text())
    assert after_yaml["clouds"]["ferrostack"]["auth"]["password"] == c.server.password
    assert yaml.safe_load(before["clouds_yaml"])["clouds"]["ferrostack"]["auth"] == \
        after_yaml["clouds"]["ferrostack"]["auth"]


def test_restart_keeps_bootstrap_without_duplicates(restarted):
    c, acct, before = restarted
    assert c.json("project", "show", "demo")["id"] == before["demo"]
    projects = sorted(p["Name"] for p in c.json("project", "list"))
    assert projects == before["projects"]
    assert projects.count("admin") == 1 and projects.count("demo") == 1
    assert sorted(r["Name"] for r in c.json("role", "list")) == before["roles"]
    assert sorted(e["ID"] for e in c.json("endpoint", "list")) == before["endpoints"]
    assert [u["Name"] for u in c.json("user", "list")].count("admin") == 1


def test_restart_keeps_users_and_grants(restarted):
    c, acct, before = restarted
    tok = c.token(acct.cloud)
    assert tok["user_id"] == acct.id and tok["project_id"] == acct.project_id
    rows = c.json("role", "assignment", "list", "--names", "--user", acct.name)
    assert [(r["Role"], r["Project"]) for r in rows] == [("member", f"{acct.project}@Default")]


def test_restart_keeps_issued_tokens_valid(restarted):
    c, acct, before = restarted
    admin = c.token()["id"]
    r = http("GET", c.server.auth_url + "/auth/tokens",
             {"X-Auth-Token": admin, "X-Subject-Token": before["token"]})
    assert r.status == 200, r
    assert r.body["token"]["user"]["id"] == acct.id
