//! Sign-in under load: bcrypt stays off the workers and bounded per client address.
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{client_from, spawn_app_with, totp_code, ADMIN_PASSWORD};

#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_passwords() {
    // Cost 10 makes a bcrypt verification long enough to tell apart from no verification.
    let app = spawn_app_with(|s| {
        s.bcrypt_cost = 10;
        s.throttle.max_failures_per_user = 100;
        s.throttle.max_failures_per_ip = 100;
    })
    .await;
    let time = |user: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            for _ in 0..3 {
                app.login(user, "not-the-password").await;
            }
            started.elapsed()
        }
    };
    let wrong = time("admin").await;
    let unknown = time("nobody-here").await;
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "wrong {wrong:?} vs unknown {unknown:?}"
    );
}

#[tokio::test]
async fn a_flood_of_logins_from_one_address_does_not_keep_a_real_user_waiting() {
    let app = spawn_app_with(|s| {
        // Cost 12 is the production default: a quarter of a second per check on this machine.
        s.bcrypt_cost = 12;
        s.throttle.max_failures_per_ip = 1000;
        s.throttle.max_failures_per_user = 1000;
        s.throttle.max_failures_per_user_total = 1000;
    })
    .await;
    let session = app.admin().await;
    let attacker = client_from("127.0.0.2");
    let flood: Vec<_> = (0..120)
        .map(|i| {
            let http = attacker.clone();
            let url = app.url("/api/auth/login");
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"username": format!("flood{i}"), "password": "wrong-password"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // The real user, from another address, signs in completely (password and TOTP).
    let started = Instant::now();
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let token = body["login_token"].as_str().unwrap().to_string();
    let mut signed_in = false;
    for offset in [0, 1] {
        let res = app
            .verify(&token, &totp_code(&session.totp_secret, offset))
            .await;
        if res.status() == 200 {
            signed_in = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(signed_in);
    assert!(
        took < Duration::from_secs(2),
        "the real user waited {took:?}"
    );
    // Other requests are not held up either.
    let started = Instant::now();
    assert_eq!(app.get("/api/auth/me", &session.token).await.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));

    let mut statuses = Vec::new();
    for handle in flood {
        statuses.push(handle.await.unwrap().unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 503).count() >= 100,
        "{statuses:?}"
    );
}
