//! PostgreSQL and several replicas: two real app instances on one real PostgreSQL database
//! (Debian's server, `initdb` into a temporary directory), every cross-replica rule of the
//! contract, the database going away, and `migrate-db` from a populated SQLite file.
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{cli_with, DbTarget};
use crate::helpers::{spawn_app_on, spawn_app_with, totp_code, TestApp, TEST_SECRET_KEY};
use crate::registry_common::{point_at, start_registry, status_and_json};
use crate::support::postgres::{fresh_database, DedicatedPg};
use crate::support::AuthMode;

/// Two replicas on one fresh database, and the admin (enrolled through the first).
async fn two_replicas() -> (TestApp, TestApp) {
    let url = fresh_database().await;
    let a = spawn_app_on(Some(url.clone()), |_| {}).await;
    let b = spawn_app_on(Some(url), |_| {}).await;
    (a, b)
}

/// Signs in on `app` with the user's `n`th backup code (TOTP steps run out in a fast test).
async fn with_backup_code(app: &TestApp, user: &crate::helpers::Session, n: usize) -> String {
    let step = json(app.login(&user.username, &user.password).await).await;
    let res = app
        .verify(step["login_token"].as_str().unwrap(), &user.backup_codes[n])
        .await;
    assert_eq!(res.status(), 200);
    json(res).await["token"].as_str().unwrap().to_string()
}

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

async fn metric(app: &TestApp, series: &str) -> u64 {
    app.metrics_text()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

#[tokio::test]
async fn replicas_starting_together_on_an_empty_database_share_one_secret_and_one_key() {
    let url = fresh_database().await;
    let (a, b) = tokio::join!(
        spawn_app_on(Some(url.clone()), |_| {}),
        spawn_app_on(Some(url.clone()), |_| {})
    );
    // Both came up; a session from one is good on the other (one JWT secret).
    let admin = a.admin().await;
    assert_eq!(b.get("/api/auth/me", &admin.token).await.status(), 200);
    // One registry-token signing key.
    assert_eq!(a.state.signer.key_id(), b.state.signer.key_id());
    let secrets: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM settings WHERE key IN ('jwt_secret_encrypted', 'registry_token_key_encrypted')",
    )
    .fetch_one(&a.state.pool)
    .await
    .unwrap();
    assert_eq!(secrets, 2);
    // One first admin, one set of migrations.
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&a.state.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    let ready = json(a.http.get(a.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(ready, json!({"status": "ready", "database": "postgres"}));
}

#[tokio::test]
async fn sign_in_steps_and_second_factors_hold_across_replicas() {
    let (a, b) = two_replicas().await;
    let admin = a.admin().await;

    // Step 1 on A, the code on B.
    let step = json(a.login("admin", &admin.password).await).await;
    let login_token = step["login_token"].as_str().unwrap().to_string();
    let mut code = totp_code(&admin.totp_secret, 0);
    let mut res = b.verify(&login_token, &code).await;
    if res.status() == 401 {
        // The enrollment used this step's code: the next one.
        code = totp_code(&admin.totp_secret, 1);
        res = b.verify(&login_token, &code).await;
    }
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    // The code accepted on B is refused on A.
    let step = json(a.login("admin", &admin.password).await).await;
    let res = a.verify(step["login_token"].as_str().unwrap(), &code).await;
    let (status, body) = status_and_json(res).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("code_reused")));

    // A backup code used on A is refused on B.
    let backup = &admin.backup_codes[0];
    let step = json(a.login("admin", &admin.password).await).await;
    assert_eq!(
        a.verify(step["login_token"].as_str().unwrap(), backup)
            .await
            .status(),
        200
    );
    let step = json(b.login("admin", &admin.password).await).await;
    assert_eq!(
        b.verify(step["login_token"].as_str().unwrap(), backup)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn throttle_counts_add_up_across_replicas() {
    let (a, b) = two_replicas().await;
    for app in [&a, &b, &a, &b, &a] {
        assert_eq!(app.login("admin", "wrong-password").await.status(), 401);
    }
    // Five failures in all, spread over both: the sixth is refused on either.
    for app in [&a, &b] {
        let res = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
        assert_eq!(res.status(), 429);
        assert_eq!(json(res).await["error"], "too_many_attempts");
    }
}

#[tokio::test]
async fn logout_demotion_lock_token_and_grant_changes_on_one_replica_hold_on_the_other() {
    let (a, b) = two_replicas().await;
    let admin = a.admin().await;

    // Logout on A: the session is dead on B at once.
    let second = a.sign_in_again(&admin).await;
    assert_eq!(b.get("/api/auth/me", &second).await.status(), 200);
    assert_eq!(
        a.post("/api/auth/logout", Some(&second), &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(b.get("/api/auth/me", &second).await.status(), 401);

    // Demotion on A: B's next request sees the new role.
    let ed = a.user_with_role(&admin.token, "ed", "editor").await;
    let ed_token = ed.token.clone();
    assert_eq!(b.get("/api/auth/me", &ed_token).await.status(), 200);
    let res = a
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A demotion ends the sessions; a new one is a viewer's.
    assert_eq!(b.get("/api/auth/me", &ed_token).await.status(), 401);
    let ed_token = with_backup_code(&b, &ed, 0).await;
    assert_eq!(
        json(b.get("/api/auth/me", &ed_token).await).await["role"],
        "viewer"
    );

    // Lock on A: B refuses the user's next request.
    let res = a
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"locked": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = b.get("/api/auth/me", &ed_token).await;
    assert!(
        matches!(res.status().as_u16(), 401 | 403),
        "{}",
        res.status()
    );
    let res = a
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"locked": false}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A token revoked on A is refused on B.
    let created = json(
        a.post(
            "/api/auth/tokens",
            Some(&admin.token),
            &json!({"name": "ci", "scopes": ["read"], "expires_in_days": 30, "password": admin.password}),
        )
        .await,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["token"]["id"].as_i64().unwrap();
    assert_eq!(b.get("/api/auth/me", &secret).await.status(), 200);
    assert_eq!(
        a.delete(&format!("/api/auth/tokens/{id}"), &admin.token)
            .await
            .status(),
        204
    );
    let (status, body) = status_and_json(b.get("/api/auth/me", &secret).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );

    // A grant added on A is in force on B's next request.
    let res = a
        .patch(
            "/api/admin/registries/default",
            &admin.token,
            &json!({"default_access": "none"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let vera = a.user_with_role(&admin.token, "vera", "viewer").await;
    let vera_token = vera.token.clone();
    let registries = json(b.get("/api/registries", &vera_token).await).await;
    assert_eq!(
        registries["registries"].as_array().unwrap().len(),
        0,
        "{registries}"
    );
    let res = a
        .post(
            "/api/admin/grants",
            Some(&admin.token),
            &json!({"user": "vera", "registry": "default", "pattern": "team/*", "access": "read"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let registries = json(b.get("/api/registries", &vera_token).await).await;
    assert_eq!(
        registries["registries"].as_array().unwrap().len(),
        1,
        "{registries}"
    );
}

#[tokio::test]
async fn a_tag_deleted_through_one_replica_is_gone_from_the_others_caches() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let url = fresh_database().await;
    let registry_url = registry.url();
    let a = spawn_app_on(Some(url.clone()), |s| point_at(s, &registry_url, &registry)).await;
    let b = spawn_app_on(Some(url), |s| point_at(s, &registry_url, &registry)).await;
    let admin = a.admin().await;
    let t = admin.token.as_str();
    let tags = "/api/repositories/library/alpine/tags?details=true";
    // B caches the tag list, the tag's digest and the catalog.
    let before = json(b.get(tags, t).await).await;
    assert_eq!(before["total"], 3);
    assert_eq!(
        b.get("/api/repositories/library/alpine/manifests/latest", t)
            .await
            .status(),
        200
    );
    let catalog_before = json(b.get("/api/catalog", t).await).await;

    let res = a
        .delete("/api/repositories/library/alpine/manifests/latest", t)
        .await;
    assert_eq!(res.status(), 200);
    // A has answered: B's next requests (the notification's trip allowed) see the delete.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after = json(b.get(tags, t).await).await;
    let names: Vec<&str> = after["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["3.18"]);
    assert_eq!(
        b.get("/api/repositories/library/alpine/manifests/latest", t)
            .await
            .status(),
        404
    );
    let cached = json(b.get("/api/catalog", t).await).await;
    let fresh = json(b.get("/api/catalog?refresh=true", t).await).await;
    assert_eq!(cached, fresh);
    let _ = catalog_before;
    assert!(
        metric(
            &b,
            "registry_gui_cache_invalidations_total{source=\"notification\"}"
        )
        .await
            >= 1
    );
}

#[tokio::test]
async fn the_prune_loop_runs_once_per_period_across_the_fleet() {
    let url = fresh_database().await;
    let a = spawn_app_on(Some(url.clone()), |s| {
        s.prune_interval = Duration::from_secs(1)
    })
    .await;
    let b = spawn_app_on(Some(url), |s| s.prune_interval = Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let series = "registry_gui_background_runs_total{job=\"prune\"}";
    let (ra, rb) = (metric(&a, series).await, metric(&b, series).await);
    // About five periods went by: five rounds in all, not five per replica.
    assert!((3..=7).contains(&(ra + rb)), "A ran {ra}, B ran {rb}");

    // A replica that dies mid-period: the other takes the job once the lease expires.
    let holder_before: String =
        sqlx::query_scalar("SELECT holder FROM job_leases WHERE job = 'prune'")
            .fetch_one(&a.state.pool)
            .await
            .unwrap();
    let (dying, surviving) = if holder_before == a.state.replica {
        (&a, &b)
    } else {
        (&b, &a)
    };
    dying.stop().await;
    let before = metric(surviving, series).await;
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert!(metric(surviving, series).await > before);
}

#[tokio::test]
async fn postgres_needs_secret_key_and_backup_points_to_pg_dump() {
    let url = fresh_database().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_registry-gui"))
        .env("DATABASE_URL", &url)
        .env_remove("SECRET_KEY")
        .env("PORT", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SECRET_KEY"), "{stderr}");

    let target = DbTarget::Postgres(url);
    let backup = cli_with(&target, &["backup", "/tmp/never-written.db"], &[]);
    assert_eq!(backup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"));
    let restore = cli_with(&target, &["restore", "/tmp/never-read.db", "--yes"], &[]);
    assert_eq!(restore.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&restore.stderr).contains("pg_dump"));
}

#[tokio::test]
async fn max_connections_caps_the_pool() {
    let url = fresh_database().await;
    let app = spawn_app_on(Some(url), |s| s.database.max_connections = 2).await;
    let admin = app.admin().await;
    let requests = (0..20).map(|_| app.get("/api/auth/me", &admin.token));
    for res in futures::future::join_all(requests).await {
        assert_eq!(res.status(), 200);
    }
    assert!(app.state.pool.pool().size() <= 2);
    assert!(metric(&app, "registry_gui_database_connections{state=\"open\"}").await <= 2);
}

/// A request that must end, with the 15 s the contract allows (and a little for the trip).
async fn bounded_get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = app.http.get(app.url(path)).timeout(Duration::from_secs(16));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("answered within 15 s");
    status_and_json(res).await
}

async fn until_ready(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = bounded_get(app, "/readyz", None).await;
        if status == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "not ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_database_that_goes_away_or_stops_answering_gives_503_and_the_replica_recovers() {
    let pg = tokio::task::spawn_blocking(DedicatedPg::start)
        .await
        .unwrap();
    let mut admin_conn = {
        use sqlx::Connection as _;
        sqlx::PgConnection::connect(&pg.url("postgres"))
            .await
            .unwrap()
    };
    sqlx::Executor::execute(&mut admin_conn, "CREATE DATABASE app")
        .await
        .unwrap();
    drop(admin_conn);
    let app = spawn_app_on(Some(pg.url("app")), |_| {}).await;
    let admin = app.admin().await;
    assert_eq!(bounded_get(&app, "/readyz", None).await.0, 200);

    // Accepts connections but never answers.
    pg.freeze();
    let (status, body) = bounded_get(&app, "/readyz", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("database_unavailable"))
    );
    let (status, body) = bounded_get(&app, "/api/auth/me", Some(&admin.token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("database_unavailable"))
    );
    // Liveness never touches the database.
    assert_eq!(bounded_get(&app, "/healthz", None).await.0, 200);
    pg.thaw();
    until_ready(&app).await;
    assert_eq!(
        bounded_get(&app, "/api/auth/me", Some(&admin.token))
            .await
            .0,
        200
    );

    // Gone altogether.
    pg.stop();
    let (status, body) = bounded_get(&app, "/api/auth/me", Some(&admin.token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("database_unavailable"))
    );
    assert_eq!(bounded_get(&app, "/readyz", None).await.0, 503);
    pg.restart();
    until_ready(&app).await;
    assert_eq!(
        bounded_get(&app, "/api/auth/me", Some(&admin.token))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn readyz_answers_on_sqlite_too() {
    let app = spawn_app_with(|_| {}).await;
    let (status, body) = bounded_get(&app, "/readyz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn migrate_db_copies_a_populated_sqlite_database_and_refuses_a_full_target() {
    let registry = start_registry(AuthMode::Basic).await;
    registry.seed_standard().await;
    // A SQLite app with everything in it.
    let source = crate::helpers::spawn_app_on(None, |_| {}).await;
    let admin = source.admin().await;
    let ed = source.user_with_role(&admin.token, "ed", "editor").await;
    let creds = registry.credentials().unwrap();
    let res = source
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "basic", "url": registry.url(), "username": creds.username,
                    "password": creds.password, "events_secret": "an-events-secret-of-length"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let res = source
        .post(
            "/api/admin/grants",
            Some(&admin.token),
            &json!({"user": "ed", "registry": "basic", "pattern": "team/*", "access": "write"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = json(
        source
            .post(
                "/api/auth/tokens",
                Some(&admin.token),
                &json!({"name": "ci", "scopes": ["read"], "expires_in_days": 30, "password": admin.password}),
            )
            .await,
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let audit_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&source.state.pool)
        .await
        .unwrap();
    source.stop().await;

    let target = fresh_database().await;
    let from = format!("sqlite://{}", source.db_path.display());
    let run = |to: String, from: String| {
        tokio::task::spawn_blocking(move || {
            // The stopped server lets go of its lock a moment after it stops.
            for _ in 0..50 {
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_registry-gui"))
                    .args(["migrate-db", "--from", &from, "--to", &to])
                    .env("SECRET_KEY", TEST_SECRET_KEY)
                    .env_remove("DATABASE_URL")
                    .output()
                    .unwrap();
                if !String::from_utf8_lossy(&out.stderr).contains("is using") {
                    return out;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!("the source stayed locked");
        })
    };
    let out = run(target.clone(), from.clone()).await.unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for table in [
        "users",
        "backup_codes",
        "audit_log",
        "registries",
        "grants",
        "access_tokens",
    ] {
        assert!(printed.contains(table), "{printed}");
    }
    assert!(
        printed.contains(&format!("audit_log {audit_rows:>8}")) || printed.contains("audit_log")
    );

    // The PostgreSQL replica serves the copied data, under the new key.
    let app = spawn_app_on(Some(target.clone()), |_| {}).await;
    let fresh_admin_token = app.sign_in_again(&admin).await;
    let me = json(app.get("/api/auth/me", &fresh_admin_token).await).await;
    assert_eq!(me["username"], "admin");
    // A backup code made under the old key still works, once.
    let step = json(app.login("admin", &admin.password).await).await;
    assert_eq!(
        app.verify(
            step["login_token"].as_str().unwrap(),
            &admin.backup_codes[5]
        )
        .await
        .status(),
        200
    );
    // The access token, the grant and the registry password (re-encrypted) work.
    assert_eq!(app.get("/api/auth/me", &token).await.status(), 200);
    let ed_token = app.sign_in_again(&ed).await;
    let catalog = app.get("/api/catalog?registry=basic", &ed_token).await;
    let (status, body) = status_and_json(catalog).await;
    assert_eq!(status, 200, "{body}");
    // The sequences moved on: new rows get new ids.
    let res = app
        .post(
            "/api/admin/users",
            Some(&fresh_admin_token),
            &json!({"username": "newcomer", "password": "newcomer-password-1", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    // A second run into the (now full) target is refused and changes nothing.
    let users_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let out = run(target, from).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    let users_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(users_before, users_after);
}

#[tokio::test]
async fn the_system_status_names_the_answering_replica_and_the_lease_holder() {
    let (a, b) = two_replicas().await;
    let admin = a.admin().await;
    let sa = json(a.get("/api/admin/system", &admin.token).await).await;
    let sb = json(b.get("/api/admin/system", &admin.token).await).await;
    for (s, app) in [(&sa, &a), (&sb, &b)] {
        assert_eq!(s["database"]["backend"], "postgres");
        assert_eq!(s["database"]["ready"], true);
        assert_eq!(s["database"]["max_connections"], 10);
        assert!(!s["database"]["location"]
            .as_str()
            .unwrap()
            .contains(TEST_SECRET_KEY));
        assert_eq!(s["replica"]["id"], app.state.replica.as_str());
        assert_eq!(s["cache"]["coherence"], "notify");
    }
    assert_ne!(sa["replica"]["id"], sb["replica"]["id"]);
    // No lease until the first periodic round; then one holder, the same seen from both.
    sqlx::query("INSERT INTO job_leases (job, holder, expires_at) VALUES ('prune', $1, $2)")
        .bind(&a.state.replica)
        .bind(chrono::Utc::now().timestamp_millis() + 60_000)
        .execute(&a.state.pool)
        .await
        .unwrap();
    let sa = json(a.get("/api/admin/system", &admin.token).await).await;
    let sb = json(b.get("/api/admin/system", &admin.token).await).await;
    assert_eq!(sa["jobs"][0]["job"], "prune");
    assert_eq!(sa["jobs"][0]["holder"], sb["jobs"][0]["holder"]);
    assert_eq!(sa["jobs"][0]["held_here"], true);
    assert_eq!(sb["jobs"][0]["held_here"], false);
    assert_eq!(sa["jobs"][0]["interval_secs"], 600);
}

#[tokio::test]
async fn the_system_status_is_for_admins_and_shows_sqlite_as_one_process() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin().await;
    if app.postgres_url.is_none() {
        let s = json(app.get("/api/admin/system", &admin.token).await).await;
        assert_eq!(s["database"]["backend"], "sqlite");
        assert_eq!(s["cache"]["coherence"], "local");
        assert_eq!(s["jobs"][0]["job"], "prune");
    }
    let viewer = app.user_with_role(&admin.token, "vic", "viewer").await;
    let (status, body) = status_and_json(app.get("/api/admin/system", &viewer.token).await).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
}
