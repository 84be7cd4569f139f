//! The identity rules end to end (without HTTP) on every database backend:
//! SQLite (embedded), PostgreSQL and MariaDB. The two servers are the local
//! ones the test command starts; `FERROSTACK_TEST_POSTGRES_URL` and
//! `FERROSTACK_TEST_MYSQL_URL` point elsewhere. Each run works in a database
//! of its own and drops it afterwards.

use compat_api::config::Config;
use compat_api::AuthContext;
use diesel::prelude::*;
use identity::bootstrap::{BootstrapOptions, CatalogEntry};
use identity::resource::NewProject;
use identity::roles::Grant;
use identity::tokens::{DomainSel, Method, ProjectSel, ScopeRequest, UserSel};
use identity::users::{NewUser, UserPatch};
use identity::{assignment, Error, Identity, IdentityConfig};
use std::path::PathBuf;
use std::sync::Arc;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrostack-{tag}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn open(url: &str, dir: &std::path::Path) -> Arc<Identity> {
    let text = format!(
        "[database]\nconnection = {url}\n[identity]\npassword_hash_rounds = 4\n\
         [security_compliance]\nlockout_failure_attempts = 2\nlockout_duration = 300\nunique_last_password_count = 2\n"
    );
    let conf = text.parse::<Config>().expect("config");
    let conf = IdentityConfig::from_config(&conf, dir).expect("identity config");
    let identity = Identity::open(conf).expect("open identity");
    identity
        .bootstrap(&BootstrapOptions {
            admin_password: Some("admin-secret".into()),
            reset_password: false,
            region: "RegionOne".into(),
            services: vec![CatalogEntry {
                service_type: "identity".into(),
                name: "keystone".into(),
                url: "http://127.0.0.1:5000/v3".into(),
            }],
        })
        .expect("bootstrap");
    identity
}

fn password(user: &str, pw: &str) -> Vec<Method> {
    vec![Method::Password {
        user: UserSel::Name {
            name: user.into(),
            domain: DomainSel::Id("default".into()),
        },
        password: pw.into(),
    }]
}

fn project(name: &str) -> ScopeRequest {
    ScopeRequest::Project(ProjectSel::Name {
        name: name.into(),
        domain: DomainSel::Name("Default".into()),
    })
}

async fn login(
    id: &Arc<Identity>,
    user: &str,
    pw: &str,
    scope: ScopeRequest,
) -> Result<AuthContext, Error> {
    let issued = id.issue_token(password(user, pw), scope).await?;
    let claims = id.validate_token(&issued.id)?;
    Ok(AuthContext {
        token: issued.id,
        claims,
    })
}

async fn grant_on_project(
    id: &Arc<Identity>,
    admin: &AuthContext,
    user: &str,
    project: &str,
    role: &str,
) {
    let grant = Grant {
        actor: assignment::Actor::User,
        actor_id: user.to_owned(),
        target: assignment::Target::Project(project.to_owned()),
        role_id: role.to_owned(),
        inherited: false,
    };
    id.create_grant(admin, grant).await.expect("grant");
}

fn unauthorized(r: Result<AuthContext, Error>) -> bool {
    matches!(r, Err(Error::Unauthorized(_)))
}

async fn scenario(id: Arc<Identity>) {
    let admin = login(&id, "admin", "admin-secret", project("admin"))
        .await
        .expect("admin login");
    assert!(admin.is_admin());

    // Projects: create, duplicate name refused.
    let p1 = id
        .create_project(
            &admin,
            serde_json::from_value::<NewProject>(serde_json::json!({"name": "p1", "tags": ["a"]}))
                .unwrap(),
        )
        .await
        .expect("create p1");
    assert_eq!(p1.tags, vec!["a".to_string()]);
    let dup = id
        .create_project(
            &admin,
            serde_json::from_value::<NewProject>(serde_json::json!({"name": "p1"})).unwrap(),
        )
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");

    // A user with the member role on p1 gets member and the implied reader.
    let user: NewUser = serde_json::from_value(
        serde_json::json!({"name": "alice", "password": "pw-one", "email": "a@example.org"}),
    )
    .unwrap();
    let alice = id
        .create_user(&admin, user)
        .await
        .expect("create user")
        .user;
    let roles = id
        .list_roles(&admin, Some("member".into()), None)
        .await
        .expect("roles");
    let member = roles[0].clone();
    assert!(unauthorized(
        login(&id, "alice", "pw-one", project("p1")).await
    ));
    grant_on_project(&id, &admin, &alice.id, &p1.project.id, &member.id).await;
    let ctx = login(&id, "alice", "pw-one", project("p1"))
        .await
        .expect("alice on p1");
    let names: Vec<&str> = ctx.claims.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["member", "reader"]);

    // A member cannot create users.
    let denied = id
        .create_user(
            &ctx,
            serde_json::from_value(serde_json::json!({"name": "bob"})).unwrap(),
        )
        .await;
    assert!(matches!(denied, Err(Error::Forbidden(_))), "{denied:?}");

    // Password history and revocation on change.
    let reuse = id
        .change_password(alice.id.clone(), "pw-one".into(), "pw-one".into())
        .await;
    assert!(matches!(reuse, Err(Error::Validation(_))), "{reuse:?}");
    id.change_password(alice.id.clone(), "pw-one".into(), "pw-two".into())
        .await
        .expect("change password");
    assert!(
        id.validate_token(&ctx.token).is_err(),
        "old token must be revoked"
    );
    assert!(unauthorized(
        login(&id, "alice", "pw-one", project("p1")).await
    ));
    let ctx = login(&id, "alice", "pw-two", project("p1"))
        .await
        .expect("new password works");

    // Application credential: authenticate with it, then delete it.
    let cred = id
        .create_app_cred(
            &ctx,
            alice.id.clone(),
            serde_json::from_value(serde_json::json!({"name": "ci"})).unwrap(),
        )
        .await
        .expect("app cred");
    let secret = cred.secret.clone().expect("secret shown once");
    let methods = vec![Method::ApplicationCredential {
        credential: identity::tokens::AppCredSel::Id(cred.cred.id.clone()),
        secret: secret.clone(),
    }];
    let issued = id
        .issue_token(methods.clone(), ScopeRequest::Unscoped)
        .await
        .expect("app cred login");
    assert_eq!(
        issued.claims.project.as_ref().map(|p| p.id.as_str()),
        Some(p1.project.id.as_str())
    );
    id.delete_app_cred(&ctx, alice.id.clone(), cred.cred.id.clone())
        .await
        .expect("delete app cred");
    assert!(id.validate_token(&issued.id).is_err());
    assert!(id
        .issue_token(methods, ScopeRequest::Unscoped)
        .await
        .is_err());

    // A user with ignore_lockout_failure_attempts is never locked out.
    let bob: NewUser = serde_json::from_value(serde_json::json!({
        "name": "bob", "password": "pw-bob", "default_project_id": p1.project.id,
        "options": {"ignore_lockout_failure_attempts": true},
    }))
    .unwrap();
    let bob = id.create_user(&admin, bob).await.expect("create bob").user;
    grant_on_project(&id, &admin, &bob.id, &p1.project.id, &member.id).await;
    for _ in 0..3 {
        assert!(unauthorized(
            login(&id, "bob", "wrong", project("p1")).await
        ));
    }
    // No scope asked: the default project is used.
    let bob_ctx = login(&id, "bob", "pw-bob", ScopeRequest::Unscoped)
        .await
        .expect("bob not locked");
    assert_eq!(bob_ctx.project_id(), Some(p1.project.id.as_str()));

    // Lockout after two failures, even with the right password.
    for _ in 0..2 {
        assert!(unauthorized(
            login(&id, "alice", "wrong", project("p1")).await
        ));
    }
    assert!(unauthorized(
        login(&id, "alice", "pw-two", project("p1")).await
    ));

    // Disabling the user revokes their tokens.
    let admin_token_alive = id.validate_token(&admin.token).is_ok();
    assert!(admin_token_alive);
    id.update_user(
        &admin,
        alice.id.clone(),
        UserPatch {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .expect("disable");
    assert!(id.validate_token(&ctx.token).is_err());

    // Effective role assignments expand implied roles.
    let rows = id
        .list_role_assignments(
            &admin,
            assignment::AssignmentQuery {
                user_id: Some(alice.id.clone()),
                effective: true,
                ..Default::default()
            },
        )
        .await
        .expect("assignments");
    assert_eq!(rows.len(), 2);

    // Deleting the project removes it and its grants.
    id.delete_project(&admin, p1.project.id.clone())
        .await
        .expect("delete project");
    let gone = id.get_project(&admin, p1.project.id.clone()).await;
    assert!(matches!(gone, Err(Error::NotFound { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = temp_dir("sqlite");
    let url = format!("sqlite:///{}", dir.join("identity.db").display());
    scenario(open(&url, &dir)).await;
    // A second open of the same database reuses everything.
    let again = open(&url, &dir);
    assert!(login(&again, "admin", "admin-secret", project("admin"))
        .await
        .is_ok());
    std::fs::remove_dir_all(dir).ok();
}

/// Creates a scratch database on a server and drops it afterwards.
struct Scratch {
    admin_url: String,
    name: String,
    postgres: bool,
}

impl Scratch {
    fn create(admin_url: &str, postgres: bool) -> (Scratch, String) {
        let name = format!("ferrostack_t_{}", uuid::Uuid::new_v4().simple());
        let scratch = Scratch {
            admin_url: admin_url.into(),
            name: name.clone(),
            postgres,
        };
        scratch.execute(&format!("CREATE DATABASE {name}"));
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        (scratch, format!("{base}/{name}"))
    }

    fn execute(&self, sql: &str) {
        let result = if self.postgres {
            diesel::PgConnection::establish(&self.admin_url)
                .map(|mut c| diesel::sql_query(sql).execute(&mut c))
        } else {
            diesel::MysqlConnection::establish(&self.admin_url)
                .map(|mut c| diesel::sql_query(sql).execute(&mut c))
        };
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("{sql}: {e}"),
            Err(e) => panic!(
                "cannot reach {}: {e} (the test command starts the local servers)",
                self.admin_url
            ),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {}", self.name);
        let _ = std::panic::catch_unwind(|| self.execute(&sql));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql() {
    let admin = std::env::var("FERROSTACK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into());
    let (_scratch, url) = Scratch::create(&admin, true);
    let dir = temp_dir("pg");
    scenario(open(&url, &dir)).await;
    drop(open(&url, &dir));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb() {
    let admin = std::env::var("FERROSTACK_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let (_scratch, url) = Scratch::create(&admin, false);
    let dir = temp_dir("mysql");
    scenario(open(&url, &dir)).await;
    drop(open(&url, &dir));
    std::fs::remove_dir_all(dir).ok();
}
