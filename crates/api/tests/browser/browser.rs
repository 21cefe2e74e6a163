//! One headless Chromium tab driven by test id, with polling waits.
//!
//! Every wait polls until its condition holds or [`TIMEOUT`] passes; nothing sleeps for a fixed
//! time. The SPA re-renders freely, so elements are looked up again on each attempt (a stale
//! reference is just "not yet"), and lists are read in one script so they are consistent.
//! A failed wait panics with the URL and the page's text, and saves a screenshot under the
//! target directory.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::chromedriver::{Chromedriver, WINDOW_SIZE};

/// Generous for a loaded 2-core machine; waits end as soon as their condition holds.
pub const TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// `[data-testid="<id>"]`
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// `[data-testid="<id>"][<attribute>="<value>"]`
pub fn tid_with(id: &str, attribute: &str, value: &str) -> String {
    format!("[data-testid=\"{id}\"][{attribute}=\"{value}\"]")
}

pub struct Browser {
    client: Client,
    base: String,
    // After `client`: the WebDriver session ends before chromedriver is killed.
    driver: Chromedriver,
}

impl Browser {
    /// A fresh browser; [`Browser::at`] tells it where the app is.
    pub async fn launch() -> Self {
        let driver = Chromedriver::start().await;
        let client = driver.new_session().await;
        let browser = Self {
            client,
            base: String::new(),
            driver,
        };
        browser.fit_viewport().await;
        browser
    }

    /// `--window-size` sizes the window, and headless Chromium still reserves room for its
    /// (invisible) toolbars: grow the window so the page itself gets [`WINDOW_SIZE`].
    async fn fit_viewport(&self) {
        let inner = self
            .script("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        let (Some(width), Some(height)) = (inner[0].as_u64(), inner[1].as_u64()) else {
            return;
        };
        let Ok((window_width, window_height)) = self.client.get_window_size().await else {
            return;
        };
        let (want_width, want_height) = WINDOW_SIZE;
        let _ = self
            .client
            .set_window_size(
                (window_width + u64::from(want_width)).saturating_sub(width) as u32,
                (window_height + u64::from(want_height)).saturating_sub(height) as u32,
            )
            .await;
    }

    /// Paths given to [`Browser::goto`] are relative to `base` (`http://127.0.0.1:PORT`).
    pub fn at(mut self, base: &str) -> Self {
        self.base = base.trim_end_matches('/').to_string();
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the WebDriver session; dropping the browser instead kills it.
    pub async fn close(self) {
        let Self { client, driver, .. } = self;
        let _ = client.close().await;
        drop(driver);
    }

    /// Grants a permission such as `clipboard-read`; `false` if chromedriver refused.
    pub async fn grant_permission(&self, permission: &str) -> bool {
        self.driver.grant_permission(&self.client, permission).await
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        if let Err(err) = self.client.goto(&url).await {
            self.fail::<()>(format!("could not open {url}: {err}"))
                .await;
        }
    }

    pub async fn refresh(&self) {
        if let Err(err) = self.client.refresh().await {
            self.fail::<()>(format!("could not reload: {err}")).await;
        }
    }

    /// The current path and query (`/r/default?x=1`).
    pub async fn path(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            },
            Err(_) => String::new(),
        }
    }

    /// Polls `check` until it gives a value; fails the test after [`TIMEOUT`].
    pub async fn until<T>(
        &self,
        what: impl Display,
        mut check: impl AsyncFnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() > deadline {
                return self
                    .fail(format!("timed out after {TIMEOUT:?} waiting for {what}"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first displayed element matching `css`, now.
    pub async fn find(&self, css: &str) -> Option<Element> {
        let elements = self.client.find_all(Locator::Css(css)).await.ok()?;
        for element in elements {
            if element.is_displayed().await.unwrap_or(false) {
                return Some(element);
            }
        }
        None
    }

    /// Whether any element (displayed or not) matches `css`, now.
    pub async fn exists(&self, css: &str) -> bool {
        self.count(css).await > 0
    }

    /// How many elements match `css`, now.
    pub async fn count(&self, css: &str) -> usize {
        self.script(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(css)],
        )
        .await
        .as_u64()
        .unwrap_or(0) as usize
    }

    /// Waits for a displayed element matching `css`.
    pub async fn wait(&self, css: &str) -> Element {
        self.until(format!("a visible {css}"), async || self.find(css).await)
            .await
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        self.until(format!("{css} to go away"), async || {
            (!self.exists(css).await).then_some(())
        })
        .await
    }

    /// Waits for `css`, then clicks it; retries while it is disabled or covered (a dialog
    /// opening, a toast sliding in).
    pub async fn click(&self, css: &str) {
        self.until(format!("{css} to be clickable"), async || {
            let element = self.find(css).await?;
            if !element.is_enabled().await.unwrap_or(false) {
                return None;
            }
            element.click().await.ok()
        })
        .await
    }

    /// Types `text` into the input matching `css` (keystrokes, so the app sees input events).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.until(format!("{css} to accept typing"), async || {
            let element = self.find(css).await?;
            element.send_keys(text).await.ok()
        })
        .await
    }

    /// Replaces the input's content by keystrokes: select all, delete, type.
    pub async fn retype(&self, css: &str, text: &str) {
        let clear: String = [
            Key::Control.into(),
            'a',
            Key::Null.into(),
            Key::Backspace.into(),
        ]
        .into_iter()
        .collect();
        self.type_into(css, &format!("{clear}{text}")).await;
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.until(format!("{css} to offer {value}"), async || {
            let element = self.find(css).await?;
            element.select_by_value(value).await.ok()
        })
        .await
    }

    /// Waits for `css` and tells whether it is enabled.
    pub async fn is_enabled(&self, css: &str) -> bool {
        self.until(format!("{css} to tell whether it is enabled"), async || {
            self.find(css).await?.is_enabled().await.ok()
        })
        .await
    }

    /// Waits for `css` and reads its attribute `name` (`None` when it has none).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.until(format!("{css} to read its {name}"), async || {
            self.find(css).await?.attr(name).await.ok()
        })
        .await
    }

    /// Waits until `css` has attribute `name` equal to `value`.
    pub async fn wait_attr(&self, css: &str, name: &str, value: &str) {
        self.until(format!("{css} with {name}={value:?}"), async || {
            let got = self.find(css).await?.attr(name).await.ok()??;
            (got == value).then_some(())
        })
        .await
    }

    /// Waits for the input matching `css` and reads its value.
    pub async fn value(&self, css: &str) -> String {
        self.until(format!("the value of {css}"), async || {
            let value = self.find(css).await?.prop("value").await.ok()??;
            (!value.is_empty()).then_some(value)
        })
        .await
    }

    /// Waits for `css` and reads its visible text.
    pub async fn text(&self, css: &str) -> String {
        self.until(format!("the text of {css}"), async || {
            self.find(css).await?.text().await.ok()
        })
        .await
    }

    /// Waits until the text of `css` contains `needle`; returns the whole text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        self.until(format!("{css} to say {needle:?}"), async || {
            let text = self.find(css).await?.text().await.ok()?;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// The attribute `name` of every element matching `css`, in document order, read at once.
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        let value = self
            .script(
                "return Array.from(document.querySelectorAll(arguments[0]))
                    .map(e => e.getAttribute(arguments[1]) || '');",
                vec![json!(css), json!(name)],
            )
            .await;
        strings(&value)
    }

    /// The visible text of every element matching `css`, read at once.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let value = self
            .script(
                "return Array.from(document.querySelectorAll(arguments[0]))
                    .map(e => e.innerText.trim());",
                vec![json!(css)],
            )
            .await;
        strings(&value)
    }

    /// Waits until the attributes `name` of the elements matching `css` are exactly `expected`.
    pub async fn wait_list(&self, css: &str, name: &str, expected: &[&str]) {
        self.until(format!("{css} to list {name} = {expected:?}"), async || {
            (self.attrs(css, name).await == expected).then_some(())
        })
        .await
    }

    /// Waits until the URL's path starts with `prefix`; returns the path.
    pub async fn wait_path(&self, prefix: &str) -> String {
        self.until(format!("the URL to start with {prefix}"), async || {
            let path = self.path().await;
            path.starts_with(prefix).then_some(path)
        })
        .await
    }

    /// Runs a synchronous script; a failing script fails the test.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute(script, args).await {
            Ok(value) => value,
            Err(err) => self.fail(format!("script failed: {err}\n{script}")).await,
        }
    }

    /// Runs a script that ends by calling its last argument; errors are returned, not fatal.
    pub async fn script_async(&self, script: &str) -> Result<Value, String> {
        self.client
            .execute_async(script, vec![])
            .await
            .map_err(|e| e.to_string())
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        match self.client.screenshot().await {
            Ok(png) => std::fs::write(path, png)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display())),
            Err(err) => self.fail(format!("screenshot failed: {err}")).await,
        }
    }

    /// Fails the test with what the page shows; keeps a screenshot for a look afterwards.
    pub async fn fail<T>(&self, why: String) -> T {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let shot = failure_screenshot_path();
        let saved = match self.client.screenshot().await {
            Ok(png) => std::fs::write(&shot, png).is_ok(),
            Err(_) => false,
        };
        let mut text: String = text.chars().take(3000).collect();
        if text.is_empty() {
            text = "(empty)".into();
        }
        panic!(
            "{why}\n  at {url}\n  screenshot: {}\n--- page text ---\n{text}\n---",
            if saved {
                shot.display().to_string()
            } else {
                "(none)".into()
            }
        );
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `target/tmp/browser-failures/<test name>.png`: libtest names each test's thread after it.
fn failure_screenshot_path() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-failures");
    let _ = std::fs::create_dir_all(&dir);
    let name = std::thread::current()
        .name()
        .unwrap_or("browser-test")
        .replace("::", "-");
    dir.join(format!("{name}.png"))
}
