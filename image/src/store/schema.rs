//! Diesel table definitions; the DDL lives in `migrations.rs`.
//! Instants are `BigInt` microseconds since the epoch.

diesel::table! {
    images (id) {
        id -> Text,
        name -> Nullable<Text>,
        status -> Text,
        visibility -> Text,
        protected -> Bool,
        os_hidden -> Bool,
        owner -> Nullable<Text>,
        size -> Nullable<BigInt>,
        virtual_size -> Nullable<BigInt>,
        disk_format -> Nullable<Text>,
        container_format -> Nullable<Text>,
        checksum -> Nullable<Text>,
        os_hash_algo -> Nullable<Text>,
        os_hash_value -> Nullable<Text>,
        min_disk -> Integer,
        min_ram -> Integer,
        location -> Nullable<Text>,
        store_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    image_properties (image_id, name) {
        image_id -> Text,
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    image_tags (image_id, value) {
        image_id -> Text,
        value -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    image_members (image_id, member) {
        image_id -> Text,
        member -> Text,
        status -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    image_generation (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    image_tasks (id) {
        id -> Text,
        image_id -> Text,
        task_type -> Text,
        status -> Text,
        owner -> Nullable<Text>,
        user_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        input -> Text,
        result -> Nullable<Text>,
        message -> Text,
        expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(images, image_properties, image_tags, image_members);
