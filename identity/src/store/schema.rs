//! Diesel table definitions; the DDL lives in `migrations.rs`.
//! Instants are `BigInt` microseconds since the epoch.

diesel::table! {
    domains (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        options -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        name -> Text,
        domain_id -> Text,
        parent_id -> Nullable<Text>,
        description -> Text,
        enabled -> Bool,
        options -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    project_tags (project_id, name) {
        project_id -> Text,
        name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        domain_id -> Text,
        enabled -> Bool,
        default_project_id -> Nullable<Text>,
        extra -> Text,
        options -> Text,
        created_at -> BigInt,
        last_active_at -> Nullable<BigInt>,
        failed_auth_count -> Integer,
        failed_auth_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    passwords (id) {
        id -> Text,
        user_id -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        self_service -> Bool,
    }
}

diesel::table! {
    identity_groups (id) {
        id -> Text,
        name -> Text,
        domain_id -> Text,
        description -> Text,
    }
}

diesel::table! {
    user_group_membership (user_id, group_id) {
        user_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        name -> Text,
        /// Empty for a global role: keeps UNIQUE(name, domain_id) working on every backend.
        domain_id -> Text,
        description -> Text,
        options -> Text,
    }
}

diesel::table! {
    implied_roles (prior_role_id, implied_role_id) {
        prior_role_id -> Text,
        implied_role_id -> Text,
    }
}

diesel::table! {
    assignments (kind, actor_id, target_id, role_id, inherited) {
        kind -> Text,
        actor_id -> Text,
        target_id -> Text,
        role_id -> Text,
        inherited -> Bool,
    }
}

diesel::table! {
    regions (id) {
        id -> Text,
        description -> Text,
        parent_region_id -> Nullable<Text>,
        extra -> Text,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        service_type -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        extra -> Text,
    }
}

diesel::table! {
    endpoints (id) {
        id -> Text,
        service_id -> Text,
        interface -> Text,
        url -> Text,
        region_id -> Nullable<Text>,
        enabled -> Bool,
        extra -> Text,
    }
}

diesel::table! {
    application_credentials (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Text,
        description -> Nullable<Text>,
        user_id -> Text,
        project_id -> Text,
        expires_at -> Nullable<BigInt>,
        unrestricted -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    application_credential_roles (application_credential_id, role_id) {
        application_credential_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        user_id -> Text,
        project_id -> Nullable<Text>,
        cred_type -> Text,
        blob_data -> Text,
        extra -> Text,
    }
}

diesel::table! {
    revocation_events (id) {
        id -> Text,
        audit_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        project_id -> Nullable<Text>,
        domain_id -> Nullable<Text>,
        app_cred_id -> Nullable<Text>,
        issued_before -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    domains,
    projects,
    project_tags,
    users,
    passwords,
    identity_groups,
    user_group_membership,
    roles,
    implied_roles,
    assignments,
    regions,
    services,
    endpoints,
    application_credentials,
    application_credential_roles,
    credentials,
    revocation_events,
);
