//! Spawning the real application on port 0 with a fresh database, and signing in over HTTP.
use std::path::PathBuf;

use registry_gui::auth::totp;
use registry_gui::config::Settings;
use registry_gui::secret::Secret;
use registry_gui::startup::Application;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A client whose requests leave from another loopback address, so the server sees another
/// client address (Linux routes all of 127/8 to the loopback interface).
pub fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// The admin password the test app is started with (not the default, so no forced change).
pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub http: reqwest::Client,
    pub dir: TempDir,
    pub db_path: PathBuf,
    /// The PostgreSQL database, when the app runs on one.
    pub postgres_url: Option<String>,
    pub handle: actix_web::dev::ServerHandle,
    pub state: actix_web::web::Data<registry_gui::state::AppState>,
}

/// Every test checks the contract on the way out: no error it provoked was one its operation's
/// OpenAPI documentation does not list (the server counts those).
impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let undocumented = self.state.metrics.undocumented_errors();
            assert!(
                undocumented.is_empty(),
                "errors not documented for their operation: {undocumented:?}"
            );
        }
    }
}

/// A signed-in user: the session token and what is needed to sign in again.
#[derive(Debug, Clone)]
pub struct Session {
    pub username: String,
    pub password: String,
    pub token: String,
    pub totp_secret: String,
    pub backup_codes: Vec<String>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `configure` adjusts the settings first (e.g. the registry URL). With
/// `TEST_DATABASE=postgres` the app gets a fresh database on the run's PostgreSQL.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = if crate::support::postgres::requested() {
        Some(crate::support::postgres::fresh_database().await)
    } else {
        None
    };
    spawn_app_on(database, configure).await
}

/// The `SECRET_KEY` of apps on PostgreSQL (replicas of one database share it).
pub const TEST_SECRET_KEY: &str = "test-secret-key-0123456789abcdef-shared";

/// Starts the app on the PostgreSQL database `postgres_url` (SQLite in its temp dir when
/// `None`): two apps on one URL are two replicas.
pub async fn spawn_app_on(
    postgres_url: Option<String>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        // Debugging aid: the app's log on stderr (`TEST_LOG=1 cargo test … -- --nocapture`).
        static LOG: std::sync::Once = std::sync::Once::new();
        LOG.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "warn,registry_gui=debug",
                ))
                .try_init();
        });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("data").join("test.db");
    let static_dir = dir.path().join("dist");
    std::fs::create_dir_all(&static_dir).unwrap();
    std::fs::write(
        static_dir.join("index.html"),
        "<!doctype html><html><head><script type=\"module\">import init from '/web-0123456789abcdef.js';init();</script></head><body>registry-gui test app</body></html>",
    )
    .unwrap();
    std::fs::write(
        static_dir.join("web-0123456789abcdef.js"),
        "export default function init(){}",
    )
    .unwrap();

    let mut settings = Settings::for_tests(&db_path);
    settings.static_dir = static_dir;
    settings.admin_password = Secret::new(ADMIN_PASSWORD);
    // Port 9 (discard) on loopback: nothing listens, so the default registry is unreachable.
    settings.registry.url = "http://127.0.0.1:9".parse().unwrap();
    if let Some(url) = &postgres_url {
        settings.database.location =
            registry_gui::config::DatabaseLocation::Postgres(Secret::new(url.clone()));
        settings.database.secret_key = Some(Secret::new(TEST_SECRET_KEY));
    }
    configure(&mut settings);

    let app = Application::build(settings).await.expect("the app starts");
    let port = app.port();
    let state = app.state();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        dir,
        db_path,
        postgres_url,
        state,
        handle,
    }
}

/// The current TOTP code, or the next step's when the current one was already used.
pub fn totp_code(secret: &str, step_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp() + step_offset * 30;
    totp::current_code(secret, now as u64).unwrap()
}

impl TestApp {
    /// Stops the server (in-flight requests drain) and closes its database pool: what
    /// stopping the process does.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        self.state.pool.close().await;
    }

    /// Test settings on this app's database (its SQLite file, or its PostgreSQL database with
    /// the shared key): what a restart, or a second replica, starts with.
    pub fn settings_on_same_database(&self) -> Settings {
        let mut settings = Settings::for_tests(&self.db_path);
        settings.static_dir = self.dir.path().join("dist");
        settings.admin_password = Secret::new(ADMIN_PASSWORD);
        settings.registry.url = "http://127.0.0.1:9".parse().unwrap();
        if let Some(url) = &self.postgres_url {
            settings.database.location =
                registry_gui::config::DatabaseLocation::Postgres(Secret::new(url.clone()));
            settings.database.secret_key = Some(Secret::new(TEST_SECRET_KEY));
        }
        settings
    }

    /// The `/metrics` text (no `METRICS_TOKEN` in tests unless one sets it).
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn verify(&self, login_token: &str, code: &str) -> reqwest::Response {
        self.post(
            "/api/auth/verify-2fa",
            None,
            &json!({"login_token": login_token, "code": code}),
        )
        .await
    }

    /// First sign-in of a user without 2FA: enrolls with a code computed from the secret.
    pub async fn enroll(&self, username: &str, password: &str) -> Session {
        let res = self.login(username, password).await;
        assert_eq!(res.status(), 200, "login of {username}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "totp_setup_required", "{body}");
        let secret = body["totp_secret"].as_str().unwrap().to_string();
        let login_token = body["login_token"].as_str().unwrap();
        let res = self.verify(login_token, &totp_code(&secret, 0)).await;
        assert_eq!(res.status(), 200);
        let session: Value = res.json().await.unwrap();
        Session {
            username: username.to_string(),
            password: password.to_string(),
            token: session["token"].as_str().unwrap().to_string(),
            totp_secret: secret,
            backup_codes: session["backup_codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect(),
        }
    }

    /// A later sign-in with TOTP; uses the next step's code when the current one was used.
    pub async fn sign_in_again(&self, session: &Session) -> String {
        for offset in [0, 1] {
            let res = self.login(&session.username, &session.password).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            let login_token = body["login_token"].as_str().unwrap().to_string();
            let res = self
                .verify(&login_token, &totp_code(&session.totp_secret, offset))
                .await;
            if res.status() == 200 {
                let body: Value = res.json().await.unwrap();
                return body["token"].as_str().unwrap().to_string();
            }
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "code_reused", "{body}");
        }
        panic!("could not sign in again");
    }

    /// The bootstrapped admin, enrolled.
    pub async fn admin(&self) -> Session {
        self.enroll("admin", ADMIN_PASSWORD).await
    }

    /// Creates a user with `role` through the admin API and signs them in (password changed,
    /// 2FA enrolled). Returns their session.
    pub async fn user_with_role(&self, admin_token: &str, username: &str, role: &str) -> Session {
        let initial = format!("{username}-initial-pw");
        let res = self
            .post(
                "/api/admin/users",
                Some(admin_token),
                &json!({"username": username, "password": initial, "role": role}),
            )
            .await;
        assert_eq!(res.status(), 201, "create {username}");
        let mut session = self.enroll(username, &initial).await;
        let new_password = format!("{username}-changed-pw");
        let res = self
            .post(
                "/api/auth/change-password",
                Some(&session.token),
                &json!({"current_password": initial, "new_password": new_password}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        session.token = body["token"].as_str().unwrap().to_string();
        session.password = new_password;
        session
    }
}
