//! SQL persistence shared by every service: one code path for SQLite
//! (embedded default), PostgreSQL and MariaDB/MySQL through diesel's
//! `MultiConnection`, a pool, and schema migrations.
//!
//! Each service owns its own tables (and its own schema-version table); this
//! module only knows how to connect, run closures on a pooled connection and
//! apply a service's list of DDL migrations.
//!
//! Diesel is synchronous; [`Db::read`] and [`Db::write`] run a closure on a
//! pooled connection in a blocking thread. SQLite allows one writer, so
//! writes there are serialised in-process instead of failing with BUSY.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use scheduled_thread_pool::ScheduledThreadPool;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Sqlite(diesel::SqliteConnection),
    Postgresql(diesel::PgConnection),
    Mysql(diesel::MysqlConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgresql,
    Mysql,
}

impl Backend {
    pub fn of(conn: &AnyConnection) -> Backend {
        match conn {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            AnyConnection::Postgresql(_) => Backend::Postgresql,
            AnyConnection::Mysql(_) => Backend::Mysql,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Query(#[from] DieselError),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("unsupported database connection {0:?}: use sqlite://, postgresql:// or mysql://")]
    BadUrl(String),
    #[error("{0}")]
    Task(String),
}

/// Errors that tell whether their transaction is worth running again.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for StoreError {
    /// A deadlock (MySQL) or serialization failure (PostgreSQL): the
    /// database rolled the transaction back and it may well succeed again.
    fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                _
            ))
        )
    }
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// The parsed `[database] connection` URL (oslo.db spelling accepted:
/// `sqlite:////abs/path.db`, `mysql+pymysql://...`, `postgresql+psycopg2://...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub backend: Backend,
    /// What diesel is given: a file path for SQLite, a URL otherwise.
    pub target: String,
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl, StoreError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| StoreError::BadUrl(url.into()))?;
        let driverless = scheme.split('+').next().unwrap_or(scheme);
        match driverless {
            "sqlite" => {
                // sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy
                let path = rest.strip_prefix('/').unwrap_or(rest);
                Ok(DbUrl {
                    backend: Backend::Sqlite,
                    target: path.to_owned(),
                })
            }
            "postgresql" | "postgres" => Ok(DbUrl {
                backend: Backend::Postgresql,
                target: format!("postgresql://{rest}"),
            }),
            "mysql" | "mariadb" => Ok(DbUrl {
                backend: Backend::Mysql,
                target: format!("mysql://{rest}"),
            }),
            _ => Err(StoreError::BadUrl(url.into())),
        }
    }
}

pub struct ConnectionManager {
    url: DbUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<AnyConnection, StoreError> {
        let connect_err = |e: ConnectionError| StoreError::Connect(e.to_string());
        match self.url.backend {
            Backend::Sqlite => {
                let mut conn =
                    diesel::SqliteConnection::establish(&self.url.target).map_err(connect_err)?;
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                )?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Backend::Postgresql => Ok(AnyConnection::Postgresql(
                diesel::PgConnection::establish(&self.url.target).map_err(connect_err)?,
            )),
            Backend::Mysql => {
                let mut conn =
                    diesel::MysqlConnection::establish(&self.url.target).map_err(connect_err)?;
                conn.batch_execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")?;
                Ok(AnyConnection::Mysql(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    fn has_broken(&self, _: &mut AnyConnection) -> bool {
        false
    }
}

/// The threads that open and reap pooled connections, shared by every pool
/// in the process: r2d2 would otherwise start three per pool, idle nearly
/// all the time.
fn pool_threads() -> Arc<ScheduledThreadPool> {
    static THREADS: OnceLock<Arc<ScheduledThreadPool>> = OnceLock::new();
    THREADS
        .get_or_init(|| {
            let threads = ScheduledThreadPool::builder()
                .num_threads(2)
                .thread_name_pattern("db-pool-{}")
                .build();
            Arc::new(threads)
        })
        .clone()
}

/// A service's database: a connection pool, and the SQLite writer lock.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    pub fn open(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        let url = DbUrl::parse(url)?;
        let backend = url.backend;
        let target = url.target.clone();
        let size = if backend == Backend::Sqlite {
            max_connections.min(8)
        } else {
            max_connections
        };
        // A SQLite connection is a file handle and cannot go stale; a network
        // connection is checked before use, as a server may have dropped it.
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(1))
            .test_on_check_out(backend != Backend::Sqlite)
            .thread_pool(pool_threads())
            .build(ConnectionManager { url })
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let sqlite_writer = match backend {
            Backend::Sqlite => sqlite_writer_for(&target),
            _ => Arc::new(Mutex::new(())),
        };
        Ok(Db {
            pool,
            backend,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` synchronously (start-up, management commands, tests).
    pub fn run_sync<R>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        f(&mut conn)
    }

    /// Runs `f` inside a transaction, synchronously; serialised on SQLite.
    pub fn write_sync<R, E>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<StoreError> + From<DieselError>,
    {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|e| e.into_inner())),
            _ => None,
        };
        let conn: &mut AnyConnection = &mut conn;
        conn.transaction(f)
    }

    /// Reads on a blocking thread.
    pub async fn read<R, E>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        run_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
            f(&mut conn)
        })
        .await?
    }

    /// Writes in one transaction on a blocking thread.
    pub async fn write<R, E>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + From<DieselError> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || db.write_sync(f)).await?
    }

    /// [`Db::write`], run again when the database gave up on it for a
    /// deadlock or a serialization failure (concurrent writers on MySQL or
    /// PostgreSQL), at most `WRITE_ATTEMPTS` times in all. `f` runs once
    /// per attempt, each in a fresh transaction.
    pub async fn write_retrying<R, E>(
        &self,
        f: impl Fn(&mut AnyConnection) -> Result<R, E> + Send + Sync + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + From<DieselError> + Transient + Send + 'static,
    {
        const WRITE_ATTEMPTS: u32 = 4;
        let f = Arc::new(f);
        let mut attempt = 1;
        loop {
            let g = f.clone();
            match self.write(move |c| g(c)).await {
                Err(e) if e.is_transient() && attempt < WRITE_ATTEMPTS => {
                    tracing::info!(
                        "transaction rolled back by the database, attempt {attempt}: retrying"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

/// Runs `job` on tokio's blocking threads and hands back its result.
///
/// The job goes over boxed: `spawn_blocking` generic over every closure of
/// every query would stamp out tokio's task machinery hundreds of times
/// (about two megabytes of code, much of it touched as the process starts).
pub async fn run_blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Box<dyn FnOnce() + Send> = Box::new(move || {
        // The caller may have gone away; then nobody wants the result.
        let _ = done.send(job());
    });
    drop(tokio::task::spawn_blocking(job));
    result
        .await
        .map_err(|_| StoreError::Task("the blocking task ended without a result".into()))
}

/// The writer lock of a SQLite file, one per file in this process: services
/// sharing a database file (`[database] connection` for all of them) must
/// not interleave write transactions either, or SQLite answers "database is
/// locked" to a transaction whose snapshot another service's commit made
/// stale (the busy timeout does not cover that case).
fn sqlite_writer_for(path: &str) -> Arc<Mutex<()>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    let mut writers = WRITERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    writers.entry(key).or_default().clone()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
}

/// Creates or upgrades a service's schema; returns the version reached.
///
/// `migrations` are `(version, ddl)` pairs applied in order; each DDL text
/// serves every backend, with `{OPTS}` after each `CREATE TABLE` replaced by
/// MySQL's engine and binary collation (names compare case-sensitively, as on
/// the other two). The version is kept in `<service>_schema_version`.
pub fn migrate(
    conn: &mut AnyConnection,
    service: &str,
    migrations: &[(i32, &str)],
) -> Result<i32, StoreError> {
    let opts = match Backend::of(conn) {
        Backend::Mysql => "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        _ => "",
    };
    let table = format!("{service}_schema_version");
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL PRIMARY KEY) {opts}"
    ))?;
    let current = diesel::sql_query(format!(
        "SELECT COALESCE(MAX(version), 0) AS version FROM {table}"
    ))
    .get_result::<VersionRow>(conn)?
    .version;
    let mut reached = current;
    for (version, ddl) in migrations.iter().filter(|(v, _)| *v > current) {
        let ddl = ddl.replace("{OPTS}", opts);
        // MySQL commits DDL implicitly, so run statement by statement and
        // record the version last: a failed migration is retried whole.
        for statement in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            conn.batch_execute(statement)?;
        }
        diesel::sql_query(format!("INSERT INTO {table} (version) VALUES ({version})"))
            .execute(conn)?;
        reached = *version;
        tracing::info!("{service} schema migrated to version {version}");
    }
    Ok(reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_on_one_sqlite_file_share_its_writer_lock() {
        let dir = std::env::temp_dir().join(format!("ferrostack-db-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:///{}", dir.join("shared.db").display());
        let other = format!("sqlite:///{}", dir.join("other.db").display());
        let (a, b, c) = (
            Db::open(&url, 2).unwrap(),
            Db::open(&url, 2).unwrap(),
            Db::open(&other, 2).unwrap(),
        );
        assert!(Arc::ptr_eq(&a.sqlite_writer, &b.sqlite_writer));
        assert!(!Arc::ptr_eq(&a.sqlite_writer, &c.sqlite_writer));
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn deadlocked_writes_run_again_and_other_errors_do_not() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let dir = std::env::temp_dir().join(format!("ferrostack-db-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open(&format!("sqlite:///{}", dir.join("r.db").display()), 2).unwrap();
        let deadlock = || {
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                Box::new("Deadlock found when trying to get lock".to_string()),
            ))
        };
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let done: Result<u32, StoreError> = db
            .write_retrying(move |_| match seen.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(deadlock()),
                n => Ok(n),
            })
            .await;
        assert_eq!(done.unwrap(), 2, "third attempt succeeds");
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let failed: Result<(), StoreError> = db
            .write_retrying(move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::Task("not transient".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn blocking_jobs_hand_back_their_result_and_a_panic_is_an_error() {
        assert_eq!(run_blocking(|| 6 * 7).await.unwrap(), 42);
        let panicked = run_blocking(|| -> u32 { panic!("job failed") }).await;
        assert!(matches!(panicked, Err(StoreError::Task(_))), "{panicked:?}");
    }

    #[test]
    fn parses_oslo_urls() {
        assert_eq!(
            DbUrl::parse("sqlite:////var/lib/x.db").unwrap(),
            DbUrl {
                backend: Backend::Sqlite,
                target: "/var/lib/x.db".into()
            }
        );
        assert_eq!(
            DbUrl::parse("mysql+pymysql://root@127.0.0.1/test").unwrap(),
            DbUrl {
                backend: Backend::Mysql,
                target: "mysql://root@127.0.0.1/test".into()
            }
        );
        assert_eq!(
            DbUrl::parse("postgresql://h/test").unwrap().backend,
            Backend::Postgresql
        );
        assert!(DbUrl::parse("oracle://x").is_err());
    }
}
