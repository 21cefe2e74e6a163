//! `make bench`: performance figures against a real local registry (Debian's `docker-registry`).
//!
//! Seeds one repository with 1,000 tags (each its own config) and 9,999 more repositories
//! (10,000 in the catalog), starts the app in this process on 127.0.0.1, and prints:
//! (a) the 1,000-tag list with details, cold and warm; (b) the 10,000-repository catalog, cold
//! and warm; (c) requests/s and p99 of warm authenticated pages under 32 concurrent clients;
//! (d) this process's RSS afterwards; (e) the reference: a plain client fetching the same
//! manifests and configs straight from the registry with the same concurrency; (f) a complete
//! sign-in (password at bcrypt cost 12, then a backup code) while 120 bad logins from another
//! address are in flight, against the same sign-in on an idle server; (g) the warm catalog page
//! of (c) authenticated with an access token against the same page with the session; (h) that
//! page for a viewer whose access is 50 grants on a `default_access: none` registry, against the
//! admin's; (i) registry token issuance for `docker push` with an access token; (j) sign-in,
//! warm catalog and token issuance on SQLite against two PostgreSQL replicas.
//!
//! Loopback only; every loop is bounded in time and count.
#![allow(dead_code)]

#[path = "../tests/api/support/mod.rs"]
mod support;

#[path = "../tests/api/helpers.rs"]
mod helpers;

#[path = "parts/backends.rs"]
mod backends;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::{stream, StreamExt as _};

use support::image::ALL_MANIFEST_TYPES;
use support::{AuthMode, TestRegistry};

const TAG_REPO: &str = "bench/tags";
const TAGS: usize = 1_000;
const REPOSITORIES: usize = 10_000;
const SEED_CONCURRENCY: usize = 32;
const COLD_SAMPLES: usize = 5;
const WARM_SAMPLES: usize = 50;
const LOAD_CLIENTS: usize = 32;
const LOAD_DURATION: Duration = Duration::from_secs(5);
const LOAD_MAX_REQUESTS: usize = 200_000;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Bench {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Bench {
    /// One authenticated GET, body read; fails on anything but 200.
    async fn get(&self, path: &str) -> anyhow::Result<(Duration, usize)> {
        let started = Instant::now();
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = res.status();
        let body = res.bytes().await?;
        if status != 200 {
            bail!("GET {path}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((started.elapsed(), body.len()))
    }

    async fn samples(
        &self,
        path: &str,
        n: usize,
        before_each: impl Fn(),
    ) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            before_each();
            out.push(self.get(path).await?.0);
        }
        Ok(out)
    }

    /// `LOAD_CLIENTS` loops hammering `path` for `LOAD_DURATION`: (requests/s, p50, p99).
    async fn load(self: &Arc<Self>, path: &str) -> anyhow::Result<(f64, Duration, Duration)> {
        let issued = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..LOAD_CLIENTS {
            let bench = self.clone();
            let issued = issued.clone();
            let path = path.to_string();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < LOAD_DURATION
                    && issued.fetch_add(1, Ordering::Relaxed) < LOAD_MAX_REQUESTS
                {
                    latencies.push(bench.get(&path).await?.0);
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await??);
        }
        let elapsed = started.elapsed();
        let rate = all.len() as f64 / elapsed.as_secs_f64();
        let p50 = percentile(&mut all, 0.50);
        let p99 = percentile(&mut all, 0.99);
        Ok((rate, p50, p99))
    }
}

/// The physical reference: what the registry needs to serve the tag list plus every
/// manifest and config to a plain client with `concurrency` requests in flight.
async fn reference_fetch(registry: &TestRegistry, concurrency: usize) -> anyhow::Result<Duration> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let base = registry.url();
    let accept = ALL_MANIFEST_TYPES.join(", ");
    let started = Instant::now();
    let list: serde_json::Value = http
        .get(format!("{base}/v2/{TAG_REPO}/tags/list"))
        .send()
        .await?
        .json()
        .await?;
    let tags: Vec<String> = list["tags"]
        .as_array()
        .context("tags")?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let fetched: Vec<anyhow::Result<()>> = stream::iter(tags)
        .map(|tag| {
            let http = &http;
            let base = &base;
            let accept = &accept;
            async move {
                let manifest: serde_json::Value = http
                    .get(format!("{base}/v2/{TAG_REPO}/manifests/{tag}"))
                    .header("Accept", accept.as_str())
                    .send()
                    .await?
                    .json()
                    .await?;
                let config = manifest["config"]["digest"]
                    .as_str()
                    .context("config digest")?;
                let blob = http
                    .get(format!("{base}/v2/{TAG_REPO}/blobs/{config}"))
                    .send()
                    .await?
                    .bytes()
                    .await?;
                anyhow::ensure!(!blob.is_empty(), "empty config");
                Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for r in fetched {
        r?;
    }
    Ok(started.elapsed())
}

async fn run() -> anyhow::Result<()> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("registry-gui bench: {cpus} CPU(s), docker-registry on 127.0.0.1, app in-process (release)\n");

    let registry = TestRegistry::start(AuthMode::None).await;
    let seeder = registry.seeder();
    let tag_seed = seeder
        .seed_tags_with_distinct_configs(TAG_REPO, TAGS, SEED_CONCURRENCY)
        .await?;
    println!(
        "seeded {TAGS} tags with distinct configs in {:.1} s",
        tag_seed.elapsed.as_secs_f64()
    );
    let bulk = seeder
        .seed_bulk(REPOSITORIES - 1, 1, SEED_CONCURRENCY)
        .await?;
    println!(
        "seeded {} more repositories in {:.1} s\n",
        bulk.repositories.len(),
        bulk.elapsed.as_secs_f64()
    );

    let url = registry.url();
    let app = helpers::spawn_app_with(|s| {
        s.registry.url = url.parse().expect("registry URL");
    })
    .await;
    let admin = app.admin().await;
    let concurrency = app.state.settings.registry_client.concurrency;
    let bench = Arc::new(Bench {
        http: reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(LOAD_CLIENTS * 2)
            .build()?,
        base: app.address.clone(),
        token: admin.token.clone(),
    });
    let clear = || app.state.registries.clear_caches();

    // (e) first, so the registry's own caches are as warm for the app as for the reference.
    let mut reference = Vec::new();
    for _ in 0..COLD_SAMPLES {
        reference.push(reference_fetch(&registry, concurrency).await?);
    }
    let reference_p50 = percentile(&mut reference, 0.5);

    // (a)
    let all_tags = format!("/api/repositories/{TAG_REPO}/tags?details=true&per_page=1000");
    let check: shared::registry::TagPage = {
        clear();
        let res = bench
            .http
            .get(format!("{}{all_tags}", bench.base))
            .bearer_auth(&bench.token)
            .send()
            .await?;
        res.json().await?
    };
    let with_errors = check
        .tags
        .iter()
        .filter(|t| t.error.is_some() || t.created.is_none())
        .count();
    if check.total != TAGS || check.tags.len() != TAGS || with_errors > 0 {
        bail!(
            "tag list sanity check failed: total {} / {} rows, {with_errors} incomplete",
            check.total,
            check.tags.len()
        );
    }
    let mut cold_tags = bench.samples(&all_tags, COLD_SAMPLES, clear).await?;
    let mut warm_tags = bench.samples(&all_tags, WARM_SAMPLES, || {}).await?;
    let by_date = format!("/api/repositories/{TAG_REPO}/tags?sort=created&per_page=100");
    let mut warm_by_date = bench.samples(&by_date, WARM_SAMPLES, || {}).await?;
    let tags_body = bench.get(&all_tags).await?.1;

    // (b)
    let catalog = "/api/catalog?per_page=100";
    let mut cold_catalog = bench.samples(catalog, COLD_SAMPLES, clear).await?;
    let mut warm_catalog = bench.samples(catalog, WARM_SAMPLES * 4, || {}).await?;
    let total: shared::registry::CatalogPage = {
        let res = bench
            .http
            .get(format!("{}{catalog}", bench.base))
            .bearer_auth(&bench.token)
            .send()
            .await?;
        res.json().await?
    };
    if total.total != REPOSITORIES {
        bail!("catalog sanity check failed: {} repositories", total.total);
    }

    // (c) each right after priming, well within the cache TTL.
    bench.get(catalog).await?;
    let (catalog_rate, catalog_p50, catalog_p99) = bench.load(catalog).await?;

    // (g) the same page with an access token instead of the session, alternating the two so
    // neither gets a warmer machine; each figure is the better of its two rounds.
    let created = app
        .post(
            "/api/auth/tokens",
            Some(&admin.token),
            &serde_json::json!({"name": "bench", "scopes": ["read"], "expires_in_days": 1,
                                "password": helpers::ADMIN_PASSWORD}),
        )
        .await;
    anyhow::ensure!(created.status() == 201, "token: {}", created.status());
    let created: serde_json::Value = created.json().await?;
    let with_token = Arc::new(Bench {
        http: bench.http.clone(),
        base: bench.base.clone(),
        token: created["secret"].as_str().context("secret")?.to_string(),
    });
    with_token.get(catalog).await?;
    let (mut session_rate, mut token_rate) = (0f64, 0f64);
    let mut token_p99 = Duration::ZERO;
    for _ in 0..2 {
        session_rate = session_rate.max(bench.load(catalog).await?.0);
        let (rate, _, p99) = with_token.load(catalog).await?;
        if rate > token_rate {
            (token_rate, token_p99) = (rate, p99);
        }
    }
    let tag_page = format!("/api/repositories/{TAG_REPO}/tags?details=true");
    bench.get(&tag_page).await?;
    let (tags_rate, tags_p50, tags_p99) = bench.load(&tag_page).await?;
    bench.get(&all_tags).await?;
    let (all_rate, all_p50, all_p99) = bench.load(&all_tags).await?;

    // (h) a viewer whose only access is 50 grants on a `default_access: none` registry, against
    // the admin on the same page, alternating, best of two rounds each.
    let res = app
        .patch(
            "/api/admin/registries/default",
            &admin.token,
            &serde_json::json!({"default_access": "none"}),
        )
        .await;
    anyhow::ensure!(res.status() == 200, "default access: {}", res.status());
    let viewer = app
        .user_with_role(&admin.token, "restricted", "viewer")
        .await;
    let mut patterns: Vec<String> = (0..49).map(|i| format!("bulk/r{:05}", i * 200)).collect();
    patterns.push("bench/**".into());
    for pattern in &patterns {
        let res = app
            .post(
                "/api/admin/grants",
                Some(&admin.token),
                &serde_json::json!({"user": "restricted", "registry": "default", "pattern": pattern, "access": "read"}),
            )
            .await;
        anyhow::ensure!(res.status() == 201, "grant {pattern}: {}", res.status());
    }
    let restricted = Arc::new(Bench {
        http: bench.http.clone(),
        base: bench.base.clone(),
        token: viewer.token.clone(),
    });
    let (_, body) = restricted.get(catalog).await?;
    anyhow::ensure!(body > 0, "empty catalog page");
    let visible: shared::registry::CatalogPage = serde_json::from_slice(
        &bench
            .http
            .get(format!("{}{catalog}", bench.base))
            .bearer_auth(&viewer.token)
            .send()
            .await?
            .bytes()
            .await?,
    )?;
    anyhow::ensure!(
        visible.total == 50,
        "the viewer sees {} repositories",
        visible.total
    );
    let (mut admin_rate, mut granted_rate) = (0f64, 0f64);
    let mut granted_p99 = Duration::ZERO;
    for _ in 0..2 {
        admin_rate = admin_rate.max(bench.load(catalog).await?.0);
        let (rate, _, p99) = restricted.load(catalog).await?;
        if rate > granted_rate {
            (granted_rate, granted_p99) = (rate, p99);
        }
    }

    // (d)
    let rss = rss_kib("VmRSS:");
    let peak = rss_kib("VmHWM:");

    let cold_tags_p50 = percentile(&mut cold_tags, 0.5);
    let ratio = cold_tags_p50.as_secs_f64() / reference_p50.as_secs_f64();
    let warm_tags_p50 = percentile(&mut warm_tags, 0.5);
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };

    println!("| measurement | result | target | |");
    println!("|---|---|---|---|");
    println!(
        "| (a) tag list, {TAGS} tags with details, cold (p50 of {COLD_SAMPLES}) | {} ({ratio:.2}x reference) | <= 1.5x (e) | {} |",
        ms(cold_tags_p50),
        verdict(ratio <= 1.5)
    );
    println!(
        "| (a) tag list, {TAGS} tags with details, warm (p50 of {WARM_SAMPLES}; {} KiB JSON) | {} | <= 30 ms | {} |",
        tags_body / 1024,
        ms(warm_tags_p50),
        verdict(warm_tags_p50 <= Duration::from_millis(30))
    );
    println!(
        "| (a) same, sorted by created, first page of 100, warm (p50) | {} | | |",
        ms(percentile(&mut warm_by_date, 0.5))
    );
    println!(
        "| (b) catalog, {REPOSITORIES} repositories, cold (p50 of {COLD_SAMPLES}) | {} | | |",
        ms(percentile(&mut cold_catalog, 0.5))
    );
    println!(
        "| (b) catalog page of 100, warm (p50 of {}) | {} | | |",
        WARM_SAMPLES * 4,
        ms(percentile(&mut warm_catalog, 0.5))
    );
    println!(
        "| (c) warm catalog page, {LOAD_CLIENTS} clients, {} s | {catalog_rate:.0} req/s, p50 {}, p99 {} | >= 5,000 req/s | {} |",
        LOAD_DURATION.as_secs(),
        ms(catalog_p50),
        ms(catalog_p99),
        verdict(catalog_rate >= 5000.0)
    );
    println!(
        "| (c) warm tag list page (100 tags with details), {LOAD_CLIENTS} clients | {tags_rate:.0} req/s, p50 {}, p99 {} | | |",
        ms(tags_p50),
        ms(tags_p99)
    );
    println!(
        "| (c) warm tag list, all {TAGS} tags with details, {LOAD_CLIENTS} clients | {all_rate:.0} req/s, p50 {}, p99 {} | | |",
        ms(all_p50),
        ms(all_p99)
    );
    println!(
        "| (d) RSS of this process after (a)-(c) (peak) | {:.1} MiB ({:.1} MiB) | <= 64 MiB | {} |",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        verdict(rss <= 64 * 1024)
    );
    println!(
        "| (e) reference: plain client, tag list + {TAGS} manifests + {TAGS} configs, {concurrency} in flight (p50 of {COLD_SAMPLES}) | {} | | |",
        ms(reference_p50)
    );
    let token_ratio = token_rate / session_rate;
    println!(
        "| (g) warm catalog page with an access token, {LOAD_CLIENTS} clients (best of 2 rounds each) | {token_rate:.0} req/s, p99 {} vs session {session_rate:.0} req/s: {:.0} % | >= 90 % of session | {} |",
        ms(token_p99),
        token_ratio * 100.0,
        verdict(token_ratio >= 0.9)
    );
    let granted_ratio = granted_rate / admin_rate;
    println!(
        "| (h) warm catalog page for a viewer with 50 grants on a `default_access: none` registry (sees 50 of {REPOSITORIES}), {LOAD_CLIENTS} clients (best of 2 rounds each) | {granted_rate:.0} req/s, p99 {} vs admin {admin_rate:.0} req/s: {:.0} % | >= 80 % of admin | {} |",
        ms(granted_p99),
        granted_ratio * 100.0,
        verdict(granted_ratio >= 0.8)
    );
    let (token_rate, token_p50, token_p99) = registry_token_load().await?;
    println!(
        "| (i) registry tokens: Basic user:<access token>, one repository scope, {LOAD_CLIENTS} clients, {} s | {token_rate:.0} tokens/s, p50 {}, p99 {} | >= 2,000 tokens/s, p99 <= 50 ms | {} |",
        LOAD_DURATION.as_secs(),
        ms(token_p50),
        ms(token_p99),
        verdict(token_rate >= 2000.0 && token_p99 <= Duration::from_millis(50))
    );
    let (idle, flooded, refused) = sign_in_under_flood().await?;
    println!(
        "| (f) sign-in (password + backup code) with 120 bad logins in flight from another address (worst of {FLOOD_SAMPLES}) | {} ({:.1}x idle {}; {refused} of each flood refused at once, 503 or 429) | < 2 s | {} |",
        ms(flooded),
        flooded.as_secs_f64() / idle.as_secs_f64(),
        ms(idle),
        verdict(flooded < Duration::from_secs(2))
    );
    println!(
        "\nmanifest/config cache: {:.1} MiB; the RSS includes the load generator and the seeding data.",
        app.state.registries.content_cache_bytes() as f64 / (1024.0 * 1024.0)
    );

    // (j) the two back ends, each on its own fresh database against the same registry.
    let sqlite_side = backends::measure(&url, false).await?;
    let postgres_side = backends::measure(&url, true).await?;
    backends::report(&sqlite_side, &postgres_side);
    Ok(())
}

/// (i): `GET /auth/token` with Basic `user:<access token>` for one repository scope, under
/// [`LOAD_CLIENTS`] clients: (tokens/s, p50, p99).
async fn registry_token_load() -> anyhow::Result<(f64, Duration, Duration)> {
    let app = helpers::spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &serde_json::json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": "bench"}),
        )
        .await;
    anyhow::ensure!(res.status() == 201, "registry: {}", res.status());
    let editor = app.user_with_role(&admin.token, "pusher", "editor").await;
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&editor.token),
            &serde_json::json!({"name": "ci", "scopes": ["write"], "expires_in_days": 1, "password": editor.password}),
        )
        .await;
    let created: serde_json::Value = res.json().await?;
    let secret = created["secret"].as_str().context("secret")?.to_string();
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(LOAD_CLIENTS * 2)
        .build()?;
    let url = app.url("/auth/token?service=bench&scope=repository:team/app:pull,push");
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..LOAD_CLIENTS {
        let (http, url, secret, issued) =
            (http.clone(), url.clone(), secret.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < LOAD_DURATION
                && issued.fetch_add(1, Ordering::Relaxed) < LOAD_MAX_REQUESTS
            {
                let t = Instant::now();
                let res = http
                    .get(&url)
                    .basic_auth("pusher", Some(&secret))
                    .send()
                    .await?;
                anyhow::ensure!(res.status() == 200, "token: {}", res.status());
                res.bytes().await?;
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
    Ok((rate, percentile(&mut all, 0.5), percentile(&mut all, 0.99)))
}

const FLOOD_SAMPLES: usize = 3;
const FLOOD_REQUESTS: usize = 120;

/// (f): the worst of [`FLOOD_SAMPLES`] complete sign-ins on an idle server, the worst under a
/// flood of [`FLOOD_REQUESTS`] bad logins from 127.0.0.2, and how many of a flood were refused
/// without a password check (503 `server_busy` or 429).
async fn sign_in_under_flood() -> anyhow::Result<(Duration, Duration, usize)> {
    let app = helpers::spawn_app_with(|s| s.bcrypt_cost = 12).await;
    let admin = app.admin().await;
    let mut codes = admin.backup_codes.clone().into_iter();
    let sign_in = |code: String| {
        let app = &app;
        async move {
            let started = Instant::now();
            let res = app.login("admin", helpers::ADMIN_PASSWORD).await;
            anyhow::ensure!(res.status() == 200, "login answered {}", res.status());
            let body: serde_json::Value = res.json().await?;
            let token = body["login_token"].as_str().unwrap_or_default().to_string();
            let res = app.verify(&token, &code).await;
            anyhow::ensure!(res.status() == 200, "verify answered {}", res.status());
            Ok::<_, anyhow::Error>(started.elapsed())
        }
    };
    let mut idle = Duration::ZERO;
    for _ in 0..FLOOD_SAMPLES {
        idle = idle.max(sign_in(codes.next().context("backup codes")?).await?);
    }
    let attacker = helpers::client_from("127.0.0.2");
    let mut flooded = Duration::ZERO;
    let mut refused = 0;
    for round in 0..FLOOD_SAMPLES {
        let flood: Vec<_> = (0..FLOOD_REQUESTS)
            .map(|i| {
                let (http, url) = (attacker.clone(), app.url("/api/auth/login"));
                tokio::spawn(async move {
                    http.post(url)
                        .json(&serde_json::json!({"username": format!("flood{round}x{i}"), "password": "wrong-password"}))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        flooded = flooded.max(sign_in(codes.next().context("backup codes")?).await?);
        for handle in flood {
            if handle.await?? != 401 {
                refused += 1;
            }
        }
    }
    Ok((idle, flooded, refused / FLOOD_SAMPLES))
}
