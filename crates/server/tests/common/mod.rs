//! A server started in the test's own process over a fresh directory, for the driver tests.

use std::time::Duration;

use basalt_server::{Config, Server};

/// A running server; [`Running::stop`] shuts it down.
pub struct Running {
    _dir: tempfile::TempDir,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// A server whose TCP clients authenticate with `method` (`trust`, `scram-sha-256`), its
/// bootstrap superuser `basalt` having `password`.
pub async fn start(method: &str, password: &str) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let hba = dir.path().join("hba.conf");
    std::fs::write(&hba, format!("host all all 127.0.0.1/32 {method}\n")).unwrap();
    let config = Config {
        data: dir.path().join("db"),
        listen: "127.0.0.1:0".parse().unwrap(),
        hba_file: Some(hba),
        password: Some(password.into()),
        shutdown_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let server = Server::bind(config).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        _dir: dir,
        port,
        stop: Some(tx),
        task,
    }
}

impl Running {
    /// Shuts the server down (waiting up to 30 s).
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), &mut self.task).await;
    }
}

impl Running {
    /// A tokio-postgres client of the server (user `basalt`, database `basalt`, no TLS),
    /// its connection driven by a task of its own.
    #[allow(dead_code)] // (not every test crate that includes this module uses it)
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(
            &format!(
                "host=127.0.0.1 port={} user=basalt dbname=basalt",
                self.port
            ),
            tokio_postgres::NoTls,
        )
        .await
        .unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
    }
}
