// The compute tables, as diesel sees them (written by hand to match
// migrations.rs; every backend shares them).

diesel::table! {
    flavors (id) {
        id -> Text,
        name -> Text,
        memory_mb -> Integer,
        vcpus -> Integer,
        root_gb -> Integer,
        ephemeral_gb -> Integer,
        swap -> Integer,
        rxtx_factor -> Double,
        is_public -> Bool,
        description -> Nullable<Text>,
        extra_specs -> Text,
        created_at -> BigInt,
        updated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    flavor_projects (flavor_id, project_id) {
        flavor_id -> Text,
        project_id -> Text,
    }
}

diesel::table! {
    key_pairs (user_id, name) {
        user_id -> Text,
        name -> Text,
        fingerprint -> Text,
        public_key -> Text,
        key_type -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    instances (id) {
        id -> Text,
        project_id -> Text,
        user_id -> Text,
        name -> Text,
        hostname -> Text,
        description -> Nullable<Text>,
        image_ref -> Text,
        flavor -> Text,
        vcpus -> Integer,
        memory_mb -> Integer,
        host -> Nullable<Text>,
        node -> Nullable<Text>,
        availability_zone -> Nullable<Text>,
        vm_state -> Text,
        task_state -> Nullable<Text>,
        power_state -> Integer,
        key_name -> Nullable<Text>,
        locked_by -> Nullable<Text>,
        locked_reason -> Nullable<Text>,
        access_ipv4 -> Nullable<Text>,
        access_ipv6 -> Nullable<Text>,
        metadata -> Text,
        tags -> Text,
        security_groups -> Text,
        network_info -> Text,
        fault -> Nullable<Text>,
        reservation_id -> Text,
        config_drive -> Text,
        launched_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    instance_extra (instance_id) {
        instance_id -> Text,
        launch_index -> Integer,
        key_data -> Nullable<Text>,
        user_data -> Nullable<Text>,
        requested_networks -> Text,
        scheduler_hints -> Text,
        image_properties -> Text,
        admin_password -> Nullable<Text>,
        old_flavor -> Nullable<Text>,
        new_flavor -> Nullable<Text>,
    }
}

diesel::table! {
    compute_nodes (id) {
        id -> Text,
        seq -> BigInt,
        host -> Text,
        hypervisor_hostname -> Text,
        hypervisor_type -> Text,
        hypervisor_version -> BigInt,
        host_ip -> Text,
        vcpus -> Integer,
        memory_mb -> Integer,
        local_gb -> Integer,
        cpu_allocation_ratio -> Double,
        ram_allocation_ratio -> Double,
        disk_allocation_ratio -> Double,
        reserved_host_cpus -> Integer,
        reserved_host_memory_mb -> Integer,
        reserved_host_disk_mb -> Integer,
        generation -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    allocations (consumer_id, node_id) {
        consumer_id -> Text,
        node_id -> Text,
        vcpus -> Integer,
        memory_mb -> Integer,
        disk_gb -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    compute_node_changes (id) {
        id -> Text,
        node_id -> Text,
        field -> Text,
        old_value -> Text,
        new_value -> Text,
        changed_by -> Text,
        changed_at -> BigInt,
    }
}

diesel::table! {
    compute_services (id) {
        id -> Text,
        seq -> BigInt,
        host -> Text,
        service_binary -> Text,
        topic -> Text,
        disabled -> Bool,
        disabled_reason -> Nullable<Text>,
        forced_down -> Bool,
        last_seen_up -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    instance_actions (id) {
        id -> Text,
        instance_id -> Text,
        action -> Text,
        request_id -> Text,
        user_id -> Text,
        project_id -> Text,
        message -> Nullable<Text>,
        events -> Text,
        start_time -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    compute_quotas (project_id, resource) {
        project_id -> Text,
        resource -> Text,
        hard_limit -> BigInt,
    }
}

diesel::table! {
    compute_quota_classes (class_name, resource) {
        class_name -> Text,
        resource -> Text,
        hard_limit -> BigInt,
    }
}

diesel::table! {
    migrations (id) {
        id -> Text,
        seq -> BigInt,
        instance_id -> Text,
        project_id -> Text,
        user_id -> Text,
        migration_type -> Text,
        status -> Text,
        source_compute -> Text,
        source_node -> Text,
        dest_compute -> Nullable<Text>,
        dest_node -> Nullable<Text>,
        old_flavor_id -> Text,
        new_flavor_id -> Text,
        old_vm_state -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    aggregates (id) {
        id -> Text,
        seq -> BigInt,
        name -> Text,
        metadata -> Text,
        created_at -> BigInt,
        updated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    aggregate_hosts (aggregate_id, host) {
        aggregate_id -> Text,
        host -> Text,
    }
}

diesel::table! {
    server_groups (id) {
        id -> Text,
        name -> Text,
        project_id -> Text,
        user_id -> Text,
        policy -> Text,
        rules -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    server_group_members (group_id, instance_id) {
        group_id -> Text,
        instance_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    flavors,
    flavor_projects,
    instances,
    instance_extra,
    compute_nodes,
    allocations,
);
