//! Journey 3: a repository's tags sorted by date, filtered, and a tag deleted with the tags that
//! share its digest.

use crate::browser::{tid, tid_with};
use crate::harness::BrowserTest;
use crate::helpers::ADMIN_PASSWORD;
use crate::sign_in::first_sign_in;
use crate::support::fixture;

#[tokio::test]
async fn tags_sort_by_date_filter_and_deleting_one_removes_every_tag_sharing_its_digest() {
    let t = BrowserTest::start().await;
    let b = &t.browser;
    first_sign_in(b, "admin", ADMIN_PASSWORD).await;
    let rows = tid("tag-row");

    b.click(&tid_with("repo-link", "data-repo", fixture::ALPINE))
        .await;
    b.wait(&tid_with(
        "repository-view",
        "data-repository",
        fixture::ALPINE,
    ))
    .await;
    b.wait_text(&tid("tag-count"), "3 tags").await;

    // By name first, so that sorting by date visibly reorders: 3.18 is the oldest image.
    b.select(&tid("tag-sort"), "name").await;
    b.wait_list(&rows, "data-tag", &["3.18", "3.19", "latest"])
        .await;
    b.click(&tid("sort-created")).await;
    b.until("the newest tags first, 3.18 last", async || {
        let tags = b.attrs(&rows, "data-tag").await;
        (tags.len() == 3 && tags[2] == "3.18").then_some(())
    })
    .await;
    assert_eq!(
        b.attr("th:has(> [data-testid=\"sort-created\"])", "aria-sort")
            .await
            .as_deref(),
        Some("descending")
    );
    b.click(&tid("sort-created")).await;
    b.until("the oldest tag first", async || {
        let tags = b.attrs(&rows, "data-tag").await;
        (tags.len() == 3 && tags[0] == "3.18").then_some(())
    })
    .await;
    b.wait_attr(&tid("tag-order"), "data-order", "asc").await;

    // Filtering narrows the list as one types; clearing brings everything back.
    b.type_into(&tid("tag-filter"), "3.1").await;
    b.wait_list(&rows, "data-tag", &["3.18", "3.19"]).await;
    b.wait_text(&tid("tag-count"), "2 tags matching").await;
    b.retype(&tid("tag-filter"), "").await;
    b.until("all three tags again", async || {
        (b.attrs(&rows, "data-tag").await.len() == 3).then_some(())
    })
    .await;

    // 3.19 and latest are one manifest: the dialog names both, and both go.
    let shared_digest = b
        .attr(&tid_with("tag-row", "data-tag", "3.19"), "data-digest")
        .await
        .expect("rows carry their digest");
    assert_eq!(
        b.attr(&tid_with("tag-row", "data-tag", "latest"), "data-digest")
            .await
            .as_deref(),
        Some(shared_digest.as_str())
    );
    b.click(&format!(
        "{} {}",
        tid_with("tag-row", "data-tag", "3.19"),
        tid("tag-delete")
    ))
    .await;
    b.wait(&tid("delete-dialog")).await;
    b.until("the dialog to name 3.19 and latest", async || {
        let mut named = b.attrs(&tid("delete-affected-tag"), "data-tag").await;
        named.sort_unstable();
        (named == ["3.19", "latest"]).then_some(())
    })
    .await;
    b.wait_text(&tid("delete-gc-note"), "garbage collection")
        .await;
    b.click(&tid("delete-confirm")).await;
    b.wait_gone(&tid("delete-dialog")).await;
    b.wait_list(&rows, "data-tag", &["3.18"]).await;
    b.wait_text(&tid("tag-count"), "1 tag").await;
    b.wait_text(&tid_with("toast", "data-kind", "success"), "Deleted 2 tags")
        .await;

    // The registry agrees: a forced refresh from it shows the same.
    b.click(&tid("tags-refresh")).await;
    b.wait_list(&rows, "data-tag", &["3.18"]).await;
    let left = t
        .registry
        .http()
        .tags(fixture::ALPINE)
        .await
        .expect("tag list");
    assert_eq!(left, ["3.18"]);
    t.finish().await;
}
