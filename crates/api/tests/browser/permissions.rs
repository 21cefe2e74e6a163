//! Journey 8: a viewer restricted to one namespace sees only it and no delete controls; once an
//! administrator grants `write` on one repository, delete controls appear there and only there.

use serde_json::json;

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::sign_in::{change_forced_password, enroll};
use crate::support::fixture;

#[tokio::test]
async fn a_restricted_viewer_sees_the_granted_namespace_and_deletes_only_where_granted_write() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    let app = &t.app;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "vera", "password": "vera-initial-pw", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .patch(
            "/api/admin/registries/default",
            &admin.token,
            &json!({"default_access": "none"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            "/api/admin/grants",
            Some(&admin.token),
            &json!({"user": "vera", "registry": "default", "pattern": "team/**", "access": "read"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let mut vera = enroll(b, "vera", "vera-initial-pw").await;
    b.wait_path("/change-password").await;
    change_forced_password(b, &mut vera, "vera-chose-this-one").await;

    // Only the granted namespace is listed.
    b.wait_path("/r/default").await;
    b.wait(&tid("repo-tree")).await;
    let mut expected = vec![fixture::APP, fixture::WORKER, fixture::MULTIARCH];
    expected.sort_unstable();
    b.until("the three team repositories in the sidebar", async || {
        let mut shown = b.attrs(&tid("repo-link"), "data-repo").await;
        shown.sort_unstable();
        (shown == expected).then_some(())
    })
    .await;
    b.wait_text(&tid("repo-count"), "3 repositories").await;
    assert!(
        !b.exists(&tid_with("repo-link", "data-repo", fixture::ALPINE))
            .await
    );

    b.click(&tid_with("repo-link", "data-repo", fixture::APP))
        .await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::APP,
    ))
    .await;
    b.wait(&tid("tag-row")).await;
    for control in ["tag-delete", "tag-select", "select-all-tags", "bulk-delete"] {
        assert!(
            !b.exists(&tid(control)).await,
            "no {control} with read only"
        );
    }

    // Write on team/app alone: the next visit shows delete controls there, not next door.
    let res = app
        .post(
            "/api/admin/grants",
            Some(&admin.token),
            &json!({"user": "vera", "registry": "default", "pattern": "team/app", "access": "write"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    b.click(&tid_with("repo-link", "data-repo", fixture::MULTIARCH))
        .await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::MULTIARCH,
    ))
    .await;
    b.wait(&tid("tag-row")).await;
    assert!(
        !b.exists(&tid("tag-delete")).await,
        "no write on team/multiarch"
    );
    b.click(&tid_with("repo-link", "data-repo", fixture::APP))
        .await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::APP,
    ))
    .await;
    b.wait(&tid("tag-delete")).await;
    b.wait(&tid("select-all-tags")).await;
    // After a reload the profile knows the grant too (the tag page's own delete button).
    b.refresh().await;
    b.wait(&tid("tag-delete")).await;
    b.click(&format!(
        "{} {}",
        tid_with("tag-row", "data-tag", "v1.1.0"),
        tid("tag-link")
    ))
    .await;
    b.wait(&tid_with("tag-details", "data-tag", "v1.1.0")).await;
    b.wait(&tid("tag-details-delete")).await;
    t.finish().await;
}
