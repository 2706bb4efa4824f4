//! A PostgreSQL database per test, on the cluster of this checkout that `script/postgres.sh`
//! starts (on first use): a schema of its own in the cluster's `postgres` database, which its
//! URL selects (`options=-c search_path=…`; creating a schema takes milliseconds, a database
//! about half a second). Without PostgreSQL the tests fail, saying how to install it.

use std::{
    process::Command,
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
};

use sqlx::{Connection, PgConnection};

/// The script that starts the cluster and prints its URL.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../script/postgres.sh");

/// The URL of the cluster's `postgres` database; starts the cluster on first use.
fn cluster_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let output = Command::new("bash")
            .arg(SCRIPT)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {SCRIPT}: {error}"));
        assert!(
            output.status.success(),
            "the PostgreSQL store's tests need a PostgreSQL server, and {SCRIPT} could not start \
             one (install Debian's postgresql package: script/setup.sh as root does):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("the script prints a URL")
            .trim()
            .to_owned()
    })
}

/// Runs `statement` on the cluster's `postgres` database, on a thread of its own (so it works
/// from async tests too).
fn admin(statement: String) -> Result<(), sqlx::Error> {
    let url = cluster_url();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    let mut connection = PgConnection::connect(url).await?;
                    sqlx::raw_sql(&statement).execute(&mut connection).await?;
                    connection.close().await
                })
            })
            .join()
            .expect("the admin thread does not panic")
    })
}

/// A fresh, empty database (schema) for one test, dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a database of its own for one test.
    pub fn create() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "broker_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        // A schema left by a killed run of a process with the same id goes first.
        admin(format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        ))
        .unwrap();
        let url = format!("{}?options=-c%20search_path%3D{name}", cluster_url());
        Self { name, url }
    }

    /// Its connection URL (for `BROKER_DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Err(error) = admin(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)) {
            eprintln!("cannot drop test database {}: {error}", self.name);
        }
    }
}
