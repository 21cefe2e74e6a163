//! (j) SQLite against PostgreSQL: the same sign-in, warm catalog and registry-token loads on one
//! SQLite app and on two replicas sharing one PostgreSQL database (the load spread over both),
//! side by side with the ratio, and the database statements one warm catalog request costs.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::helpers::{self, TestApp};
use super::{percentile, LOAD_CLIENTS, LOAD_DURATION, LOAD_MAX_REQUESTS};

/// What one back end measured.
pub struct Side {
    pub sign_in: (f64, Duration),
    pub catalog: (f64, Duration),
    pub tokens: (f64, Duration),
    pub statements_per_catalog: f64,
}

/// Starts the apps of one back end against the registry at `registry_url`.
async fn apps(registry_url: &str, postgres: bool) -> Vec<TestApp> {
    let configure = |s: &mut registry_gui::config::Settings| {
        s.registry.url = registry_url.parse().expect("registry URL");
    };
    if postgres {
        let url = super::support::postgres::fresh_database().await;
        let a = helpers::spawn_app_on(Some(url.clone()), configure).await;
        let b = helpers::spawn_app_on(Some(url), configure).await;
        vec![a, b]
    } else {
        vec![helpers::spawn_app_on(None, configure).await]
    }
}

/// `LOAD_CLIENTS` loops for `LOAD_DURATION`, client `i` on `bases[i % n]` from its own
/// loopback address (the password checks in flight are bounded per address): (req/s, p99).
async fn spread<F>(bases: &[String], request: F) -> anyhow::Result<(f64, Duration)>
where
    F: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..LOAD_CLIENTS {
        let http = reqwest::Client::builder()
            .no_proxy()
            .local_address(format!("127.0.1.{}", i + 1).parse::<std::net::IpAddr>()?)
            .build()?;
        let base = bases[i % bases.len()].clone();
        let (issued, request) = (issued.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < LOAD_DURATION
                && issued.fetch_add(1, Ordering::Relaxed) < LOAD_MAX_REQUESTS
            {
                let t = Instant::now();
                let res = request(&http, &base).send().await?;
                let status = res.status();
                res.bytes().await?;
                anyhow::ensure!(status == 200, "answered {status}");
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, percentile(&mut all, 0.99)))
}

pub async fn measure(registry_url: &str, postgres: bool) -> anyhow::Result<Side> {
    let apps = apps(registry_url, postgres).await;
    let first = &apps[0];
    let admin = first.admin().await;
    let bases: Vec<String> = apps.iter().map(|a| a.address.clone()).collect();

    // Warm catalog page, every replica primed.
    let catalog = "/api/catalog?per_page=100";
    for app in &apps {
        let res = app.get(catalog, &admin.token).await;
        anyhow::ensure!(res.status() == 200, "catalog: {}", res.status());
    }
    let token = admin.token.clone();
    let catalog_load = spread(&bases, move |http, base| {
        http.get(format!("{base}{catalog}")).bearer_auth(&token)
    })
    .await?;
    let before = first.state.pool.statements();
    const PROBES: u64 = 200;
    for _ in 0..PROBES {
        first.get(catalog, &admin.token).await;
    }
    let statements_per_catalog = (first.state.pool.statements() - before) as f64 / PROBES as f64;

    // Sign-in, password step (bcrypt cost 4: the database's share shows).
    let res = first
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &serde_json::json!({"username": "signer", "password": "signer-password-1", "role": "viewer"}),
        )
        .await;
    anyhow::ensure!(res.status() == 201, "user: {}", res.status());
    let sign_in = spread(&bases, |http, base| {
        http.post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"username": "signer", "password": "signer-password-1"}))
    })
    .await?;

    // Registry tokens with an access token.
    let res = first
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &serde_json::json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": "bench"}),
        )
        .await;
    anyhow::ensure!(res.status() == 201, "registry: {}", res.status());
    let created: serde_json::Value = first
        .post(
            "/api/auth/tokens",
            Some(&admin.token),
            &serde_json::json!({"name": "ci", "scopes": ["write"], "expires_in_days": 1, "password": admin.password}),
        )
        .await
        .json()
        .await?;
    let secret = created["secret"].as_str().context("secret")?.to_string();
    let tokens = spread(&bases, move |http, base| {
        http.get(format!(
            "{base}/auth/token?service=bench&scope=repository:team/app:pull,push"
        ))
        .basic_auth("admin", Some(&secret))
    })
    .await?;
    Ok(Side {
        sign_in,
        catalog: catalog_load,
        tokens,
        statements_per_catalog,
    })
}

/// Prints (j).
pub fn report(sqlite: &Side, postgres: &Side) {
    let row = |what: &str, unit: &str, s: (f64, Duration), p: (f64, Duration), target: &str| {
        let ratio = p.0 / s.0 * 100.0;
        let verdict = match target {
            "" => "",
            _ if ratio >= 70.0 => "ok",
            _ => "MISSED",
        };
        println!(
            "| {what} | {:.0} {unit}, p99 {} | {:.0} {unit}, p99 {} | {ratio:.0} % | {target} | {verdict} |",
            s.0,
            super::ms(s.1),
            p.0,
            super::ms(p.1),
        );
    };
    println!("\n(j) SQLite (one app) against PostgreSQL (two replicas on one database, the load spread over both), {LOAD_CLIENTS} clients, {} s each\n", LOAD_DURATION.as_secs());
    println!("| measurement | SQLite | PostgreSQL | PostgreSQL / SQLite | target | |");
    println!("|---|---|---|---|---|---|");
    row(
        "sign-in, password step (bcrypt cost 4)",
        "req/s",
        sqlite.sign_in,
        postgres.sign_in,
        "",
    );
    row(
        "warm catalog page of 100",
        "req/s",
        sqlite.catalog,
        postgres.catalog,
        ">= 70 %",
    );
    row(
        "registry tokens (Basic admin:<access token>)",
        "tokens/s",
        sqlite.tokens,
        postgres.tokens,
        "",
    );
    let ok = |n: f64| if n <= 2.0 { "ok" } else { "MISSED" };
    println!(
        "| database statements per warm catalog request | {:.2} | {:.2} | | <= 2 | {} |",
        sqlite.statements_per_catalog,
        postgres.statements_per_catalog,
        ok(sqlite
            .statements_per_catalog
            .max(postgres.statements_per_catalog))
    );
}
