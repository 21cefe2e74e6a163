//! The command line against a real database, the way an operator would use it.
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::{spawn_app, ADMIN_PASSWORD};

/// The database a CLI run works on: a SQLite file, or a test app's PostgreSQL database.
#[derive(Clone)]
pub enum DbTarget {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl DbTarget {
    /// The database of a running test app (SQLite or PostgreSQL, as the run chose).
    pub fn of(app: &crate::helpers::TestApp) -> Self {
        match &app.postgres_url {
            Some(url) => DbTarget::Postgres(url.clone()),
            None => DbTarget::Sqlite(app.db_path.clone()),
        }
    }
}

impl From<&std::path::PathBuf> for DbTarget {
    fn from(p: &std::path::PathBuf) -> Self {
        DbTarget::Sqlite(p.clone())
    }
}

impl From<&Path> for DbTarget {
    fn from(p: &Path) -> Self {
        DbTarget::Sqlite(p.to_path_buf())
    }
}

impl From<&DbTarget> for DbTarget {
    fn from(t: &DbTarget) -> Self {
        t.clone()
    }
}

pub fn cli(db: impl Into<DbTarget>, args: &[&str]) -> Output {
    cli_with(db, args, &[])
}

/// [`cli`] with more environment variables.
pub fn cli_with(db: impl Into<DbTarget>, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registry-gui"));
    cmd.args(args).env("BCRYPT_COST", "4");
    cmd.envs(envs.iter().copied());
    match db.into() {
        DbTarget::Sqlite(path) => cmd
            .env("DATABASE_URL", format!("sqlite://{}", path.display()))
            .env_remove("SECRET_KEY"),
        DbTarget::Postgres(url) => cmd
            .env("DATABASE_URL", url)
            .env("SECRET_KEY", crate::helpers::TEST_SECRET_KEY),
    };
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn users_are_created_listed_promoted_and_deleted_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let out = cli(&db, &["user", "create", "ops", "--role", "admin"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("password: "),
        "a generated password is printed"
    );

    let out = cli(
        &db,
        &[
            "user",
            "create",
            "bob",
            "--password",
            "bob-password-1",
            "--role",
            "viewer",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cli(&db, &["user", "create", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("user_exists"));

    let out = cli(&db, &["user", "list", "--json"]);
    let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bob", "ops"]);

    assert_eq!(
        cli(&db, &["user", "set-role", "bob", "editor"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        cli(&db, &["user", "set-role", "bob", "root"]).status.code(),
        Some(2)
    );
    assert_eq!(cli(&db, &["user", "delete", "bob"]).status.code(), Some(0));
    let out = cli(&db, &["user", "delete", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("user_not_found"));
}

#[test]
fn the_cli_refuses_to_remove_the_last_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    cli(&db, &["user", "create", "ops", "--role", "admin"]);
    for args in [
        &["user", "delete", "ops"][..],
        &["user", "set-role", "ops", "viewer"][..],
    ] {
        let out = cli(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("last_admin"), "{}", stderr(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1);
    }
}

#[test]
fn usage_errors_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    assert_eq!(cli(&db, &["user", "frobnicate"]).status.code(), Some(2));
    assert_eq!(cli(&db, &["user", "create"]).status.code(), Some(2));
}

#[tokio::test]
async fn an_operator_recovers_a_locked_out_admin_while_the_server_runs() {
    let app = spawn_app().await;
    let session = app.admin().await;
    for _ in 0..5 {
        app.login("admin", "wrong-password").await;
    }
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 429);

    let db = DbTarget::of(&app);
    let out = tokio::task::spawn_blocking(move || {
        let unlock = cli(&db, &["user", "unlock", "admin"]);
        let reset = cli(&db, &["user", "reset-2fa", "admin"]);
        let password = cli(
            &db,
            &[
                "user",
                "set-password",
                "admin",
                "--password",
                "recovered-password",
            ],
        );
        (unlock, reset, password)
    })
    .await
    .unwrap();
    assert_eq!(out.0.status.code(), Some(0), "{}", stderr(&out.0));
    assert_eq!(out.1.status.code(), Some(0), "{}", stderr(&out.1));
    assert_eq!(out.2.status.code(), Some(0), "{}", stderr(&out.2));

    assert_eq!(
        app.get("/api/auth/me", &session.token).await.status(),
        401,
        "sessions revoked"
    );
    let res = app.login("admin", "recovered-password").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "totp_setup_required");
}

#[test]
fn registries_are_added_listed_and_removed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let out = cli(
        &db,
        &[
            "registry",
            "add",
            "mirror",
            "http://127.0.0.1:5999",
            "--username",
            "u",
            "--password",
            "cli-secret-pw",
            "--read-only",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cli(&db, &["registry", "list", "--json"]);
    let text = stdout(&out);
    assert!(!text.contains("cli-secret-pw"));
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["registries"][0]["name"], "mirror");
    assert_eq!(list["registries"][0]["has_credentials"], true);
    assert_eq!(list["registries"][0]["read_only"], true);
    let out = cli(&db, &["registry", "add", "meta", "http://169.254.169.254"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("registry_host_forbidden"));
    assert_eq!(
        cli(&db, &["registry", "remove", "mirror"]).status.code(),
        Some(0)
    );
    assert_eq!(
        cli(&db, &["registry", "remove", "mirror"]).status.code(),
        Some(1)
    );
}

#[tokio::test]
async fn a_backup_restores_and_its_users_can_sign_in() {
    // A SQLite file's snapshot; PostgreSQL refuses backup (see `postgres::backup_and_restore_point_to_pg_dump`).
    if crate::support::postgres::requested() {
        return;
    }
    let app = spawn_app().await;
    let session = app.admin().await;
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&session.token),
            &serde_json::json!({"name": "pre-backup", "scopes": ["read"], "expires_in_days": 5, "password": ADMIN_PASSWORD}),
        )
        .await;
    let created: Value = res.json().await.unwrap();
    let access_token = created["secret"].as_str().unwrap().to_string();
    let res = app
        .post(
            "/api/admin/grants",
            Some(&session.token),
            &serde_json::json!({"user": "admin", "registry": "default", "pattern": "team/**", "access": "read"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let backup = app.dir.path().join("backup.db");
    let db = app.db_path.clone();
    let b = backup.clone();
    let out = tokio::task::spawn_blocking(move || cli(&db, &["backup", b.to_str().unwrap()]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // While the server runs, restore is refused.
    let db = app.db_path.clone();
    let b = backup.clone();
    let out =
        tokio::task::spawn_blocking(move || cli(&db, &["restore", b.to_str().unwrap(), "--yes"]))
            .await
            .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("stop it"), "{}", stderr(&out));

    // Restore into a fresh location (no server there) and sign in with the restored user.
    let target_dir = tempfile::tempdir().unwrap();
    let target = target_dir.path().join("restored.db");
    let out = cli(&target, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "refused without --yes");
    // Without the key its secrets were encrypted with, the backup is refused, untouched.
    let out = cli(&target, &["restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("key"), "{}", stderr(&out));
    assert!(!target.exists());
    // With the key file beside the backup, restore takes it along.
    std::fs::copy(
        registry_gui::crypto::key_file_for(&app.db_path),
        registry_gui::crypto::key_file_for(&backup),
    )
    .unwrap();
    let out = cli(&target, &["restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let restored = crate::helpers::spawn_app_with(|s| {
        s.database.location = registry_gui::config::DatabaseLocation::Sqlite(target.clone())
    })
    .await;
    // The session issued before the backup does not come back with it.
    assert_eq!(
        restored.get("/api/auth/me", &session.token).await.status(),
        401
    );
    // Nor do access tokens: one revoked after the snapshot would otherwise work again.
    assert_eq!(
        restored.get("/api/auth/me", &access_token).await.status(),
        401
    );
    let token = restored.sign_in_again(&session).await;
    assert_eq!(restored.get("/api/auth/me", &token).await.status(), 200);
    // Grants come back with the snapshot.
    let grants: Value = restored
        .get("/api/admin/grants", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(grants["grants"][0]["pattern"], "team/**");
}

#[tokio::test]
async fn grants_and_default_access_are_managed_from_the_cli() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &serde_json::json!({"username": "vera", "password": "vera-initial-pw", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let db = DbTarget::of(&app);
    let outs = tokio::task::spawn_blocking(move || {
        vec![
            cli(
                &db,
                &["grant", "add", "vera", "default", "team-a/**", "write"],
            ),
            cli(
                &db,
                &["grant", "add", "vera", "default", "team-a/**", "read"],
            ),
            cli(&db, &["grant", "add", "vera", "default", "team-a/", "read"]),
            cli(&db, &["grant", "add", "vera", "default", "x", "admin"]),
            cli(&db, &["grant", "list", "--json"]),
            cli(
                &db,
                &["registry", "update", "default", "--default-access", "none"],
            ),
            cli(
                &db,
                &["registry", "update", "default", "--default-access", "maybe"],
            ),
            cli(&db, &["registry", "list", "--json"]),
        ]
    })
    .await
    .unwrap();
    assert_eq!(outs[0].status.code(), Some(0), "{}", stderr(&outs[0]));
    assert_eq!(outs[1].status.code(), Some(1));
    assert!(
        stderr(&outs[1]).contains("grant_exists"),
        "{}",
        stderr(&outs[1])
    );
    assert_eq!(outs[2].status.code(), Some(1));
    assert!(stderr(&outs[2]).contains("invalid_pattern"));
    assert_eq!(
        outs[3].status.code(),
        Some(2),
        "an unknown level is a usage error"
    );
    let cli_list: Value = serde_json::from_str(&stdout(&outs[4])).unwrap();
    let api_list: Value = app
        .get("/api/admin/grants", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cli_list, api_list, "the CLI prints the API's Grant objects");
    assert_eq!(outs[5].status.code(), Some(0), "{}", stderr(&outs[5]));
    assert_eq!(outs[6].status.code(), Some(2));
    let registries: Value = serde_json::from_str(&stdout(&outs[7])).unwrap();
    assert_eq!(registries["registries"][0]["default_access"], "none");

    let id = cli_list["grants"][0]["id"].as_i64().unwrap().to_string();
    let db = DbTarget::of(&app);
    let out = tokio::task::spawn_blocking(move || cli(&db, &["grant", "remove", &id]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let api_list: Value = app
        .get("/api/admin/grants", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api_list["grants"], serde_json::json!([]));
}

#[tokio::test]
async fn the_cli_creates_a_token_the_running_server_accepts_and_revokes_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &serde_json::json!({"username": "vera", "password": "vera-initial-pw", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let db = DbTarget::of(&app);
    let (created, above, unknown, days, listed) = tokio::task::spawn_blocking(move || {
        (
            cli(
                &db,
                &[
                    "token",
                    "create",
                    "admin",
                    "--name",
                    "deploy",
                    "--scope",
                    "read,write",
                    "--expires-days",
                    "10",
                ],
            ),
            cli(
                &db,
                &["token", "create", "vera", "--name", "x", "--scope", "write"],
            ),
            cli(
                &db,
                &["token", "create", "vera", "--name", "x", "--scope", "push"],
            ),
            cli(
                &db,
                &[
                    "token",
                    "create",
                    "vera",
                    "--name",
                    "x",
                    "--expires-days",
                    "366",
                ],
            ),
            cli(&db, &["token", "list", "--json"]),
        )
    })
    .await
    .unwrap();
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let secret = stdout(&created).trim().to_string();
    assert!(
        secret.starts_with("rgp_"),
        "only the secret on stdout: {secret}"
    );
    assert_eq!(
        above.status.code(),
        Some(1),
        "a scope above the role is refused"
    );
    assert!(stderr(&above).contains("forbidden"), "{}", stderr(&above));
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown scope is a usage error"
    );
    assert_eq!(days.status.code(), Some(1));
    assert!(
        stderr(&days).contains("invalid_request"),
        "{}",
        stderr(&days)
    );
    let list: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list["tokens"][0]["username"], "admin");
    assert_eq!(
        list["tokens"][0]["scopes"],
        serde_json::json!(["read", "write"])
    );
    assert!(
        !stdout(&listed).contains(&secret[4..]),
        "the list never shows the secret"
    );

    let me: Value = app.get("/api/auth/me", &secret).await.json().await.unwrap();
    assert_eq!(me["username"], "admin");
    let id = list["tokens"][0]["id"].as_i64().unwrap().to_string();
    let db = DbTarget::of(&app);
    let out = tokio::task::spawn_blocking(move || cli(&db, &["token", "revoke", &id]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(app.get("/api/auth/me", &secret).await.status(), 401);
    let db = DbTarget::of(&app);
    let out = tokio::task::spawn_blocking(move || cli(&db, &["token", "revoke", "999"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("token_not_found"), "{}", stderr(&out));
}

#[tokio::test]
async fn user_list_shows_the_throttle_state_under_the_configured_limits() {
    let app = spawn_app().await;
    app.admin().await;
    for _ in 0..3 {
        assert_eq!(app.login("admin", "wrong-password").await.status(), 401);
    }
    let list = |total: &str| {
        let out = cli_with(
            DbTarget::of(&app),
            &["user", "list", "--json"],
            &[("LOGIN_MAX_FAILURES_PER_USER_TOTAL", total)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
        list["users"][0].clone()
    };
    // Three failures reach a cap of 3, not the default of 50.
    let user = list("3");
    assert_eq!(user["active"], false, "{user}");
    assert!(user["locked_until"].is_string());
    assert_eq!(list("50")["active"], true);
    let out = cli_with(
        DbTarget::of(&app),
        &["user", "list"],
        &[("LOGIN_MAX_FAILURES_PER_USER_TOTAL", "0")],
    );
    assert_eq!(out.status.code(), Some(2), "a bad limit is a usage error");
    assert!(stderr(&out).contains("LOGIN_MAX_FAILURES_PER_USER_TOTAL"));
}

#[cfg(unix)]
#[test]
fn a_backup_is_written_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    assert_eq!(
        cli(&db, &["user", "create", "ops", "--role", "admin"])
            .status
            .code(),
        Some(0)
    );
    let backup = dir.path().join("b.db");
    let out = cli(&db, &["backup", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::metadata(&backup).unwrap().len() > 0);
}
