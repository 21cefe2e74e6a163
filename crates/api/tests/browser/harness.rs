//! One journey's world: a real `docker-registry` with the standard fixture, the real app on
//! port 0 serving the built SPA, and a headless Chromium pointed at it.

use std::path::PathBuf;

use registry_gui::config::Settings;

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::support::{AuthMode, StandardFixture, TestRegistry};

/// trunk's output: built by `make web`, which `make test` runs first.
pub fn spa_dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    let built = dist.join("index.html").is_file()
        && std::fs::read_dir(&dist).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        });
    assert!(
        built,
        "the SPA is not built: {} has no index.html and .wasm. Run `make web` (or `make test`, \
         which builds it before the browser tests).",
        dist.display()
    );
    dist
}

/// Field order is drop order: the browser goes first, the registry last.
pub struct BrowserTest {
    pub browser: Browser,
    pub app: TestApp,
    pub fixture: StandardFixture,
    pub registry: TestRegistry,
}

impl BrowserTest {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// `configure` adjusts the app's settings (e.g. the admin's initial password).
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let database = if crate::support::postgres::requested() {
            Some(crate::support::postgres::fresh_database().await)
        } else {
            None
        };
        Self::start_on(database, configure).await
    }

    /// The app on the PostgreSQL database `postgres_url` (SQLite when `None`).
    pub async fn start_on(
        postgres_url: Option<String>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let dist = spa_dist();
        // Chromium starts while the registry starts and is seeded: most of it is waiting.
        let (browser, (registry, fixture)) = tokio::join!(Browser::launch(), async {
            let registry = TestRegistry::start(AuthMode::None).await;
            let fixture = registry.seed_standard().await;
            (registry, fixture)
        });
        let url = registry.url();
        let app = crate::helpers::spawn_app_on(postgres_url, |s| {
            s.static_dir = dist;
            s.registry.url = url.parse().expect("registry URL");
            configure(s);
        })
        .await;
        let browser = browser.at(&app.address);
        Self {
            browser,
            app,
            fixture,
            registry,
        }
    }

    /// Ends the browser session cleanly (dropping the test kills it instead).
    pub async fn finish(self) {
        let Self { browser, .. } = self;
        browser.close().await;
    }
}
