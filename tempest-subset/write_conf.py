#!/usr/bin/env python3
"""Generate a tempest.conf for ferrostack from a clouds.yaml.

Usage:
  write_conf.py --clouds clouds.yaml [--cloud ferrostack] --security-ini FILE
                --workspace DIR [--services identity,image] [--conf-extra FILE]...
                --out DIR/etc/tempest.conf

Values come from the named cloud (auth_url, admin user/project/domains,
region, TLS settings) and from the shared [security_compliance] INI file
(lockout / password-history settings the server is also started with).
Each --conf-extra INI file is merged last and overrides generated values.
"""

import argparse
import configparser
import os
import re
import sys

import yaml

# service name on the run.sh command line -> tempest [service_available] key.
# identity (keystone) has no switch: it is always required.
SERVICE_AVAILABLE = {
    "identity": None,
    "compute": "nova",
    "image": "glance",
    "volume": "cinder",
    "network": "neutron",
    "object-storage": "swift",
    "dashboard": "horizon",
}
# every [service_available] option tempest knows; all default to True in
# tempest, so each must be switched off explicitly.
ALL_AVAILABLE = ["nova", "glance", "cinder", "neutron", "swift", "horizon"]


def die(msg):
    print("write_conf.py: " + msg, file=sys.stderr)
    sys.exit(2)


def load_cloud(path, name):
    if not os.path.isfile(path):
        die("clouds file %s not found" % path)
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    clouds = data.get("clouds") or {}
    if name not in clouds:
        die("cloud %r not found in %s (have: %s)"
            % (name, path, ", ".join(sorted(clouds)) or "none"))
    return clouds[name]


def v3_url(auth_url):
    """auth_url with a /v3 version segment (keystoneauth accepts both)."""
    url = auth_url.rstrip("/")
    if re.search(r"/v3(\.\d+)?$", url):
        return url
    if re.search(r"/v2(\.\d+)?$", url):
        return re.sub(r"/v2(\.\d+)?$", "/v3", url)
    return url + "/v3"


def load_security(path):
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(path):
        die("cannot read %s" % path)
    if not cp.has_section("security_compliance"):
        die("%s has no [security_compliance] section" % path)
    sec = cp["security_compliance"]
    out = {}
    for key in ("lockout_failure_attempts", "lockout_duration",
                "unique_last_password_count", "minimum_password_age"):
        if key not in sec:
            die("%s: [security_compliance] %s missing" % (path, key))
        out[key] = int(sec[key])
    return out


# Formats the ferrostack image service accepts (Glance's defaults, image/src/config.rs).
# Order matters to Tempest: container_formats[0] is used for most created images, and
# ListUserImagesTest creates its fixtures from the first 6 (container, disk) pairs, i.e.
# 'bare' x the first 6 disk formats; test_list_images_param_disk_format then filters on
# disk_format=raw, so 'raw' must be among the first 6 disk formats (Glance's own order,
# ami,ari,aki,vhd,vhdx,vmdk,raw,..., would leave no raw fixture).
IMAGE_DISK_FORMATS = ["qcow2", "raw", "vhd", "vhdx", "vmdk", "vdi", "iso",
                      "ploop", "ami", "ari", "aki"]
IMAGE_CONTAINER_FORMATS = ["bare", "ovf", "ova", "ami", "ari", "aki",
                           "docker", "compressed"]


def add_image_options(conf, region, interface):
    """[image] and [image-feature-enabled] for ferrostack's Glance v2 API.

    Only options defined by the installed Tempest (47.0.0) are set; there is
    no api_v1 option any more (Tempest has no Glance v1 tests).
    """
    conf["image"] = {
        "catalog_type": "image",
        "endpoint_type": interface,
        "region": region,
        # no /v2/cache API (gates admin.test_image_caching)
        "image_caching_enabled": "False",
        "container_formats": ",".join(IMAGE_CONTAINER_FORMATS),
        "disk_formats": ",".join(IMAGE_DISK_FORMATS),
    }
    conf["image-feature-enabled"] = {
        "api_v2": "True",
        # no interoperable image import (stage/import, /v2/info/import)
        "import_image": "False",
        # os_glance_* property keys are rejected with 403 on create/update
        # (ImagesNegativeTest.test_{create,update}_image_reserved_property)
        "os_glance_reserved": "True",
        # no 'locations' property / show_multiple_locations
        "manage_locations": "False",
        "image_conversion": "False",
        # uploaded data is not inspected for its disk format. Must be False:
        # when True, ListUserImagesTest (11 interop tests) skips itself,
        # since its fixtures upload random bytes as qcow2/vhd/... images.
        "image_format_enforcement": "False",
        # os_hash_algo/os_hash_value are computed on upload (Glance default);
        # only consulted by the location tests, which are excluded
        "do_secure_hash": "True",
        "http_store_enabled": "False",
        "store_weight_enabled": "False",
    }
    # reader_image_client etc. are the primary (member) clients; with True
    # Tempest would read through a project_reader user of another project.
    conf["enforce_scope"] = {"glance": "False"}


# Extension aliases ferrostack's network service lists at /v2.0/extensions
# (network/src/api/extensions.rs); Tempest skips tests needing others.
NETWORK_EXTENSIONS = [
    "allowed-address-pairs", "auto-allocated-topology", "binding",
    "default-subnetpools", "external-net", "ext-gw-mode", "extra_dhcp_opt",
    "extraroute", "extraroute-atomic", "l2_adjacency", "net-mtu",
    "net-mtu-writable", "network-ip-availability", "pagination",
    "port-security", "project-id", "provider", "quotas", "quota_details",
    "revision-if-match", "router", "security-group", "sorting",
    "standard-attr-description", "standard-attr-revisions",
    "standard-attr-tag", "standard-attr-timestamp", "stateful-security-group",
    "subnet_allocation", "subnet-service-types",
]


def find_public_network(auth, user_domain, project_domain, interface):
    """The id of the external network named 'public' (created by ferrostack's
    bootstrap), looked up through the catalog with the admin credentials."""
    import json
    import urllib.request

    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "password": auth["password"],
            "domain": {"name": user_domain}}}},
        "scope": {"project": {"name": auth["project_name"],
                              "domain": {"name": project_domain}}},
    }}
    req = urllib.request.Request(
        v3_url(auth["auth_url"]) + "/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        token = r.headers["X-Subject-Token"]
        catalog = json.load(r)["token"]["catalog"]
    urls = [e["url"] for s in catalog if s["type"] == "network"
            for e in s["endpoints"] if e["interface"] == interface]
    if not urls:
        die("no network endpoint in the catalog")
    req = urllib.request.Request(
        urls[0].rstrip("/") + "/v2.0/networks?router:external=True&name=public",
        headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=30) as r:
        nets = json.load(r)["networks"]
    if not nets:
        die("no external network named 'public'")
    return nets[0]["id"]


def add_network_options(conf, region, interface, public_network_id):
    """[network] and [network-feature-enabled] for ferrostack's Neutron API."""
    conf["network"] = {
        "catalog_type": "network",
        "endpoint_type": interface,
        "region": region,
        "project_network_cidr": "10.100.0.0/16",
        "project_network_mask_bits": "28",
        "project_network_v6_cidr": "2001:db8::/48",
        "project_network_v6_mask_bits": "64",
        "public_network_id": public_network_id,
        "floating_network_name": "public",
        "shared_physical_network": "False",
    }
    conf["network-feature-enabled"] = {
        "ipv6": "True",
        "ipv6_subnet_attributes": "True",
        "port_security": "True",
        "floating_ips": "True",
        "api_extensions": ",".join(NETWORK_EXTENSIONS),
    }


def truthy(v):
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("1", "true", "yes", "on")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clouds", required=True)
    ap.add_argument("--cloud", default="ferrostack")
    ap.add_argument("--security-ini", required=True)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--services", default="identity")
    ap.add_argument("--conf-extra", action="append", default=[])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    cloud = load_cloud(args.clouds, args.cloud)
    auth = cloud.get("auth") or {}
    for key in ("auth_url", "username", "password", "project_name"):
        if not auth.get(key):
            die("cloud %r: auth.%s is required" % (args.cloud, key))
    user_domain = (auth.get("user_domain_name") or auth.get("domain_name")
                   or "Default")
    project_domain = (auth.get("project_domain_name")
                      or auth.get("domain_name") or user_domain)
    region = cloud.get("region_name") or "RegionOne"
    interface = cloud.get("interface") or "public"
    verify = cloud.get("verify", True)
    cacert = cloud.get("cacert")
    sec = load_security(args.security_ini)

    services = [s for s in args.services.split(",") if s]
    available = {k: False for k in ALL_AVAILABLE}
    for svc in services:
        if svc not in SERVICE_AVAILABLE:
            die("unknown service %r (known: %s)"
                % (svc, ", ".join(sorted(SERVICE_AVAILABLE))))
        if SERVICE_AVAILABLE[svc]:
            available[SERVICE_AVAILABLE[svc]] = True

    ws = os.path.abspath(args.workspace)
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str  # keep keys as written
    conf["DEFAULT"] = {
        "log_dir": os.path.join(ws, "logs"),
        "log_file": "tempest.log",
        "debug": "True",
    }
    conf["oslo_concurrency"] = {"lock_path": os.path.join(ws, "lock")}
    conf["auth"] = {
        "use_dynamic_credentials": "True",
        "admin_username": auth["username"],
        "admin_password": auth["password"],
        "admin_project_name": auth["project_name"],
        "admin_user_domain_name": user_domain,
        "admin_project_domain_name": project_domain,
        "admin_domain_name": user_domain,
        "default_credentials_domain_name": user_domain,
    }
    # Network tests create their own networks; the others need none.
    conf["auth"]["create_isolated_networks"] = "False"
    conf["identity"] = {
        "uri_v3": v3_url(auth["auth_url"]),
        "auth_version": "v3",
        "region": region,
        "catalog_type": "identity",
        "v3_endpoint_type": interface,
        "default_domain_id": "default",
        "admin_role": "admin",
        "disable_ssl_certificate_validation": str(not truthy(verify)),
        "user_lockout_failure_attempts": str(sec["lockout_failure_attempts"]),
        "user_lockout_duration": str(sec["lockout_duration"]),
        "user_unique_last_password_count":
            str(sec["unique_last_password_count"]),
        "user_minimum_password_age": str(sec["minimum_password_age"]),
    }
    if cacert:
        conf["identity"]["ca_certificates_file"] = cacert
    conf["identity-feature-enabled"] = {
        "api_v2": "False",
        "api_v2_admin": "False",
        "api_v3": "True",
        "trust": "True",
        "security_compliance": "True",
        "immutable_user_source": "False",
        "access_rules": "False",
        # no longer defined by recent tempest (ignored there); kept for
        # older releases, where they gate the same tests
        "application_credentials": "True",
        "project_tags": "True",
    }
    conf["service_available"] = {k: str(v) for k, v in available.items()}
    if "image" in services:
        add_image_options(conf, region, interface)
    if "network" in services:
        public = find_public_network(auth, user_domain, project_domain, interface)
        add_network_options(conf, region, interface, public)

    for extra in args.conf_extra:
        cp = configparser.ConfigParser(interpolation=None)
        cp.optionxform = str
        if not cp.read(extra):
            die("cannot read --conf-extra %s" % extra)
        for key, value in cp.defaults().items():
            conf["DEFAULT"][key] = value
        for section in cp.sections():
            if not conf.has_section(section):
                conf.add_section(section)
            for key, value in cp.items(section, raw=True):
                if key in cp.defaults() and cp.defaults()[key] == value:
                    continue
                conf[section][key] = value

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# generated by tempest-subset/write_conf.py from %s "
                "(cloud %s)\n" % (os.path.abspath(args.clouds), args.cloud))
        conf.write(f)


if __name__ == "__main__":
    main()
