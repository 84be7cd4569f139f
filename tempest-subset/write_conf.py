#!/usr/bin/env python3
"""Generate a tempest.conf for ferrostack from a clouds.yaml.

Usage:
  write_conf.py --clouds clouds.yaml [--cloud ferrostack] --security-ini FILE
                --workspace DIR [--services identity,image] [--conf-extra FILE]...
                --out DIR/etc/tempest.conf

Values come from the named cloud (auth_url, admin user/project/domains,
region, TLS settings) and from the shared [security_compliance] INI file
(lockout / password-history settings the server is also started with).
For network and compute, some values are looked up in the cloud with the
admin credentials (public network id, compute hosts); for compute, two small
images are created in it (once; reused by later runs).
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
# Services whose configuration another service's tests need. Nova boots
# Glance images and plugs its servers into Neutron networks: with glance
# False Tempest skips the compute image tests (ImagesOneServerTestJSON), with
# neutron False it skips the security group tests and looks for
# fixed_network_name through the nova-network proxy API instead of Neutron.
# Only the configuration is implied; the tests run are still those of the
# services named on the command line.
SERVICE_NEEDS = {"compute": ["image", "network"]}


def with_needed_services(services):
    """services plus the ones they need (SERVICE_NEEDS), in a stable order."""
    out = []
    for svc in services:
        for s in [svc] + SERVICE_NEEDS.get(svc, []):
            if s not in out:
                out.append(s)
    return out


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


class AdminSession:
    """A token of the admin credentials and the catalog it came with.

    write_conf.py looks a few things up in (or creates them in) the cloud
    itself, so that tempest.conf names resources that really exist: the
    public network's id, the images and flavors servers are booted from.
    """

    def __init__(self, auth, user_domain, project_domain, interface):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": auth["username"], "password": auth["password"],
                "domain": {"name": user_domain}}}},
            "scope": {"project": {"name": auth["project_name"],
                                  "domain": {"name": project_domain}}},
        }}
        headers, token = self._request(
            "POST", v3_url(auth["auth_url"]) + "/auth/tokens", body)
        self.token = headers["X-Subject-Token"]
        self.catalog = token["token"]["catalog"]
        self.interface = interface

    def endpoint(self, service_type):
        urls = [e["url"] for s in self.catalog if s["type"] == service_type
                for e in s["endpoints"] if e["interface"] == self.interface]
        if not urls:
            die("no %s %s endpoint in the catalog"
                % (self.interface, service_type))
        return urls[0].rstrip("/")

    def call(self, method, service_type, path, body=None, data=None,
             headers=None):
        """One request to a catalog endpoint; returns the decoded JSON body
        (None when empty)."""
        hdrs = {"X-Auth-Token": self.token}
        hdrs.update(headers or {})
        return self._request(method, self.endpoint(service_type) + path,
                             body, data, hdrs)[1]

    @staticmethod
    def _request(method, url, body=None, data=None, headers=None):
        import json
        import urllib.error
        import urllib.request

        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url, data=data, headers=hdrs,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.headers, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            die("%s %s: %s %s" % (method, url, e.code,
                                  e.read().decode(errors="replace")[:500]))


def find_public_network(session):
    """The id of the external network named 'public' (created by ferrostack's
    bootstrap)."""
    nets = session.call(
        "GET", "network", "/v2.0/networks?router:external=True&name=public")
    if not nets["networks"]:
        die("no external network named 'public'")
    return nets["networks"][0]["id"]


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


# Images servers are booted from: tiny public raw images, created through
# the image API on the first run and reused afterwards (looked up by name).
# Two distinct images, so that the tests filtering servers by image and
# rebuilding onto another image (image_ref != image_ref_alt) run.
COMPUTE_IMAGES = {"image_ref": "tempest-image",
                  "image_ref_alt": "tempest-image-alt"}
COMPUTE_IMAGE_SIZE = 4096
# Flavors ferrostack's compute bootstrap creates (compute/src/flavors.rs):
# m1.nano (128 MB, 1 vCPU, 1 GB disk) and m1.micro (192 MB, 1 vCPU, 1 GB).
# The smallest two: the fake hypervisor doesn't care, and resize tests need
# two different flavors that both fit the (zero min_disk) images.
FLAVOR_REF, FLAVOR_REF_ALT = "42", "84"
# ferrostack's default [filter_scheduler] enabled_filters
# (compute/src/config.rs DEFAULT_FILTERS); Tempest skips the tests needing
# filters not listed (SameHostFilter, DifferentHostFilter, ...).
SCHEDULER_FILTERS = [
    "ComputeFilter", "AvailabilityZoneFilter", "ComputeCapabilitiesFilter",
    "ImagePropertiesFilter", "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
]
# [compute-feature-enabled]: what ferrostack's Nova API and fake driver do.
COMPUTE_FEATURES = {
    # resize (confirm/revert) and cold migrate between fake hosts
    "resize": True,
    "cold_migration": True,
    "live_migration": False,
    "live_migrate_back_and_forth": False,
    "block_migration_for_live_migration": False,
    "volume_backed_live_migration": False,
    "shelve_migrate": False,
    "can_migrate_between_any_hosts": True,
    "change_password": True,
    "console_output": True,
    "pause": True,
    "suspend": True,
    "shelve": False,
    "rescue": False,
    "stable_rescue": False,
    # createImage stores a snapshot in the image service
    "snapshot": True,
    # injected files (personality, removed in 2.57) are not supported
    "personality": False,
    "enable_instance_password": True,
    # os-interface: attach a port or a network, detach
    "interface_attach": True,
    # no console proxies (Tempest 47 has no rdp_console option any more)
    "vnc_console": False,
    "spice_console": False,
    "serial_console": False,
    "config_drive": False,
    "metadata_service": False,
    # no block storage service yet
    "attach_encrypted_volume": False,
    "swap_volume": False,
    "volume_multiattach": False,
    # no OS-DCF:diskConfig attribute
    "disk_config": False,
    "hostname_fqdn_sanitization": False,
    "unified_limits": False,
}


def ensure_image(session, name, data):
    """The id of the active public image `name`, created (raw/bare, `data`
    uploaded) if there is none, so reruns against the same cloud reuse it.
    Leftovers of an interrupted run (same name, never became active) are
    deleted."""
    from urllib.parse import quote

    images = session.call("GET", "image", "/v2/images?name=%s&visibility=all"
                          % quote(name))["images"]
    active = [i for i in images if i["status"] == "active"
              and i.get("visibility") == "public"]
    for stale in (i for i in images if i["status"] in ("queued", "saving")):
        session.call("DELETE", "image", "/v2/images/%s" % stale["id"])
    if active:
        return active[0]["id"]
    image = session.call("POST", "image", "/v2/images", body={
        "name": name, "disk_format": "raw", "container_format": "bare",
        "visibility": "public", "min_disk": 0, "min_ram": 0})
    session.call("PUT", "image", "/v2/images/%s/file" % image["id"],
                 data=data,
                 headers={"Content-Type": "application/octet-stream"})
    return image["id"]


def compute_image_data(name):
    """A few KiB of recognisable bytes; different for each image name."""
    line = ("ferrostack %s\n" % name).encode()
    return (line * (COMPUTE_IMAGE_SIZE // len(line) + 1))[:COMPUTE_IMAGE_SIZE]


def count_compute_nodes(session):
    """How many nova-compute services are enabled and up: Tempest's
    min_compute_nodes, which gates the multi-node tests (migration, servers
    on different hosts). One per [fake_driver] hosts entry."""
    services = session.call(
        "GET", "compute", "/os-services?binary=nova-compute")["services"]
    return sum(1 for s in services
               if s.get("status") == "enabled" and s.get("state") == "up")


def check_flavors(session, *flavor_ids):
    """Fail early (rather than in every server test) if a flavor is gone."""
    for flavor_id in flavor_ids:
        session.call("GET", "compute", "/flavors/%s" % flavor_id)


def add_compute_options(conf, region, interface, images, compute_nodes):
    """[compute], [compute-feature-enabled] and [validation] for ferrostack's
    Nova v2.1 API (microversions 2.1 to 2.100) on the fake hypervisor.

    The fake driver's servers boot nothing that could be reached over SSH,
    so validation (SSH into guests, floating IPs for it) is off.
    """
    conf["compute"] = {
        "catalog_type": "compute",
        "endpoint_type": interface,
        "region": region,
        "image_ref": images["image_ref"],
        "image_ref_alt": images["image_ref_alt"],
        "flavor_ref": FLAVOR_REF,
        "flavor_ref_alt": FLAVOR_REF_ALT,
        "min_microversion": "2.1",
        "max_microversion": "2.100",
        # the shared network ferrostack's network bootstrap creates; dynamic
        # credentials get no isolated network ([auth] above)
        "fixed_network_name": "private",
        # fake builds take well under a second
        "build_timeout": "60",
        "min_compute_nodes": str(max(1, compute_nodes)),
    }
    conf["compute-feature-enabled"] = {
        k: str(v) for k, v in COMPUTE_FEATURES.items()}
    conf["compute-feature-enabled"]["scheduler_enabled_filters"] = \
        ",".join(SCHEDULER_FILTERS)
    conf["validation"] = {"run_validation": "False"}


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
    for svc in services:
        if svc not in SERVICE_AVAILABLE:
            die("unknown service %r (known: %s)"
                % (svc, ", ".join(sorted(SERVICE_AVAILABLE))))
    services = with_needed_services(services)
    available = {k: False for k in ALL_AVAILABLE}
    for svc in services:
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
    session = None
    if "network" in services or "compute" in services:
        session = AdminSession(auth, user_domain, project_domain, interface)
    if "image" in services:
        add_image_options(conf, region, interface)
    if "network" in services:
        add_network_options(conf, region, interface,
                            find_public_network(session))
    if "compute" in services:
        images = {opt: ensure_image(session, name, compute_image_data(name))
                  for opt, name in COMPUTE_IMAGES.items()}
        check_flavors(session, FLAVOR_REF, FLAVOR_REF_ALT)
        add_compute_options(conf, region, interface, images,
                            count_compute_nodes(session))

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
