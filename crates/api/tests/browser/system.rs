//! Journey: an administrator of a PostgreSQL deployment checks the system page: which database,
//! whether it answers, which replica served the page, who runs the prune loop, how caches stay
//! coherent.
use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::first_sign_in;

#[tokio::test]
async fn an_admin_sees_the_database_replica_jobs_and_coherence_of_a_postgres_deployment() {
    let url = crate::support::postgres::fresh_database().await;
    let t = BrowserTest::start_on(Some(url), |s| {
        s.prune_interval = std::time::Duration::from_secs(1)
    })
    .await;
    let b = &t.browser;
    first_sign_in(b, "admin", ADMIN_PASSWORD).await;
    b.click(&tid("nav-settings")).await;
    b.click(&tid("settings-nav-system")).await;
    b.wait(&tid("system-page")).await;
    b.wait_text(&tid("system-backend"), "PostgreSQL").await;
    b.wait_text(&tid("system-ready"), "Answering").await;
    b.wait_text(&tid("system-coherence"), "LISTEN/NOTIFY").await;
    // The page names the replica that answered, and this one runs the prune loop.
    b.wait_text(&tid("system-replica-id"), &t.app.state.replica)
        .await;
    // The first periodic round takes the lease (1 s here); Refresh shows it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    b.click(&tid("system-refresh")).await;
    b.wait(&tid_with("system-job", "data-held-here", "true"))
        .await;
    b.wait_text(&tid("system-jobs"), "Held by this replica")
        .await;
    t.finish().await;
}
