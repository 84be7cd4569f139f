//! `clouds.yaml` and `openrc` for the admin user, so the stock clients work
//! against a fresh cloud at once.

use anyhow::{Context, Result};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

pub fn write(dir: &Path, identity_url: &str, password: &str, region: &str) -> Result<()> {
    let auth_url = format!("{identity_url}/v3");
    let clouds = format!(
        "clouds:\n  ferrostack:\n    auth:\n      auth_url: {url}\n      username: admin\n      password: {pw}\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: {region}\n    interface: public\n    identity_api_version: 3\n  ferrostack-system:\n    auth:\n      auth_url: {url}\n      username: admin\n      password: {pw}\n      user_domain_name: Default\n      system_scope: all\n    region_name: {region}\n    interface: public\n    identity_api_version: 3\n",
        url = yaml_quote(&auth_url),
        pw = yaml_quote(password),
    );
    write_private(&dir.join("clouds.yaml"), &clouds)?;
    let openrc = format!(
        "export OS_AUTH_URL={url}\nexport OS_USERNAME=admin\nexport OS_PASSWORD={pw}\nexport OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\nexport OS_REGION_NAME={region}\nexport OS_IDENTITY_API_VERSION=3\nexport OS_INTERFACE=public\n",
        url = shell_quote(&auth_url),
        pw = shell_quote(password),
        region = shell_quote(region),
    );
    write_private(&dir.join("openrc"), &openrc)
}
