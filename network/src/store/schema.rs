//! Diesel table definitions; the DDL lives in `migrations.rs`.
//! Instants are `BigInt` microseconds since the epoch.

diesel::table! {
    networks (id) {
        id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        admin_state_up -> Bool,
        status -> Text,
        shared -> Bool,
        external -> Bool,
        is_default -> Bool,
        mtu -> Integer,
        port_security_enabled -> Bool,
        network_type -> Text,
        physical_network -> Nullable<Text>,
        segmentation_id -> Nullable<Integer>,
        dns_domain -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    subnets (id) {
        id -> Text,
        network_id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        ip_version -> Integer,
        cidr -> Text,
        gateway_ip -> Nullable<Text>,
        enable_dhcp -> Bool,
        ipv6_ra_mode -> Nullable<Text>,
        ipv6_address_mode -> Nullable<Text>,
        subnetpool_id -> Nullable<Text>,
        allocation_pools -> Text,
        dns_nameservers -> Text,
        host_routes -> Text,
        service_types -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    ports (id) {
        id -> Text,
        network_id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        mac_address -> Text,
        admin_state_up -> Bool,
        status -> Text,
        device_id -> Text,
        device_owner -> Text,
        port_security_enabled -> Bool,
        binding_host_id -> Text,
        binding_vnic_type -> Text,
        binding_profile -> Text,
        binding_vif_type -> Text,
        binding_vif_details -> Text,
        allowed_address_pairs -> Text,
        extra_dhcp_opts -> Text,
        dns_name -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    ip_allocations (subnet_id, ip_address) {
        subnet_id -> Text,
        ip_address -> Text,
        network_id -> Text,
        port_id -> Text,
    }
}

diesel::table! {
    security_groups (id) {
        id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        stateful -> Bool,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    default_security_groups (project_id) {
        project_id -> Text,
        security_group_id -> Text,
    }
}

diesel::table! {
    security_group_rules (id) {
        id -> Text,
        security_group_id -> Text,
        project_id -> Text,
        direction -> Text,
        ethertype -> Text,
        protocol -> Nullable<Text>,
        port_range_min -> Nullable<Integer>,
        port_range_max -> Nullable<Integer>,
        remote_ip_prefix -> Nullable<Text>,
        remote_group_id -> Nullable<Text>,
        description -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    port_security_groups (port_id, security_group_id) {
        port_id -> Text,
        security_group_id -> Text,
    }
}

diesel::table! {
    routers (id) {
        id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        admin_state_up -> Bool,
        status -> Text,
        gw_port_id -> Nullable<Text>,
        enable_snat -> Bool,
        routes -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    floating_ips (id) {
        id -> Text,
        project_id -> Text,
        floating_network_id -> Text,
        floating_ip_address -> Text,
        floating_port_id -> Text,
        fixed_port_id -> Nullable<Text>,
        fixed_ip_address -> Nullable<Text>,
        router_id -> Nullable<Text>,
        status -> Text,
        description -> Text,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    subnetpools (id) {
        id -> Text,
        project_id -> Text,
        name -> Text,
        description -> Text,
        ip_version -> Integer,
        prefixes -> Text,
        default_prefixlen -> Integer,
        min_prefixlen -> Integer,
        max_prefixlen -> Integer,
        shared -> Bool,
        is_default -> Bool,
        default_quota -> Nullable<Integer>,
        address_scope_id -> Nullable<Text>,
        revision_number -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    quotas (project_id, resource) {
        project_id -> Text,
        resource -> Text,
        hard_limit -> Integer,
    }
}

diesel::table! {
    resource_tags (resource_id, tag) {
        resource_id -> Text,
        tag -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    networks,
    subnets,
    ports,
    ip_allocations,
    security_groups,
    security_group_rules,
    port_security_groups,
    routers,
    floating_ips,
);
