//! Debian's chromedriver on a free 127.0.0.1 port, one per test, and a headless Chromium session
//! through it.
//!
//! chromedriver starts Chromium as its child, and Chromium forks zygotes, renderers and crash
//! handlers. chromedriver runs in a process group of its own, so dropping [`Chromedriver`] (also
//! while a test panics) kills the whole group: no browser outlives its test.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};
use tempfile::TempDir;

pub const CHROMEDRIVER_BIN: &str = "/usr/bin/chromedriver";
pub const CHROMIUM_BIN: &str = "/usr/bin/chromium";
pub const WINDOW_SIZE: (u32, u32) = (1280, 900);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
const PORT_ATTEMPTS: usize = 5;

/// A running chromedriver. Dropping it kills chromedriver and every browser it started.
pub struct Chromedriver {
    child: Child,
    port: u16,
    log_path: PathBuf,
    // Last: the browser profiles and the log go once the processes are dead.
    dir: TempDir,
}

impl Chromedriver {
    /// Starts chromedriver and waits until it accepts sessions. Panics (with its log) otherwise.
    pub async fn start() -> Self {
        for binary in [CHROMEDRIVER_BIN, CHROMIUM_BIN] {
            assert!(
                Path::new(binary).exists(),
                "{binary} not found: install Debian's chromium and chromium-driver packages \
                 (`make test` does)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("registry-gui-browser-")
            .tempdir()
            .expect("temp dir");
        let log_path = dir.path().join("chromedriver.log");
        let mut last_failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let mut child = spawn(port, &log_path);
            match wait_until_ready(&mut child, port).await {
                Ok(()) => {
                    return Self {
                        child,
                        port,
                        log_path,
                        dir,
                    }
                }
                Err(failure) => {
                    kill_group(&mut child);
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    last_failure = format!("{failure}\n--- chromedriver log ---\n{log}");
                    // Another process took the port between our probe and chromedriver's bind.
                    if !log.contains("bind") && !log.contains("in use") {
                        break;
                    }
                }
            }
        }
        panic!("chromedriver did not start: {last_failure}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new headless Chromium with a fresh profile, sized [`WINDOW_SIZE`].
    pub async fn new_session(&self) -> Client {
        let profile = tempfile::Builder::new()
            .prefix("profile-")
            .tempdir_in(self.dir.path())
            .expect("profile dir")
            // Removed with `self.dir`, after Chromium is dead.
            .keep();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-search-engine-choice-screen",
            "--lang=en-US",
            // One scale for every screenshot, whatever the machine's display says.
            "--force-device-scale-factor=1",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", WINDOW_SIZE.0, WINDOW_SIZE.1),
        ])
        .collect::<Vec<_>>();
        let capabilities: Map<String, Value> = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM_BIN,
                "args": args,
                // Downloads (backup codes as .txt) stay inside the temp dir.
                "prefs": {
                    "download.default_directory": self.dir.path().join("downloads"),
                    "download.prompt_for_download": false,
                },
            },
        })
        .as_object()
        .cloned()
        .expect("an object");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let client = match builder.connect(&self.url()).await {
            Ok(client) => client,
            Err(err) => panic!(
                "could not start a Chromium session: {err}\n--- chromedriver log ---\n{}",
                self.log()
            ),
        };
        // WebDriver's defaults (300 s page loads, 30 s scripts) would let one stuck command
        // outlast the whole suite; the tests poll for elements themselves (no implicit wait).
        let timeouts = TimeoutConfiguration::new(
            Some(Duration::from_secs(10)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        );
        if let Err(err) = client.update_timeouts(timeouts).await {
            panic!("could not set WebDriver timeouts: {err}");
        }
        client
    }

    /// Asks chromedriver to grant `permission` (e.g. `clipboard-read`) to the session's pages.
    /// chromedriver implements the W3C permissions extension, which fantoccini does not wrap.
    pub async fn grant_permission(&self, client: &Client, permission: &str) -> bool {
        let Ok(Some(session)) = client.session_id().await else {
            return false;
        };
        reqwest::Client::new()
            .post(format!("{}/session/{session}/permissions", self.url()))
            .json(&json!({"descriptor": {"name": permission}, "state": "granted"}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// What chromedriver logged (stdout and stderr), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Where failure artifacts of this browser may be written before the directory goes.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

fn spawn(port: u16, log_path: &Path) -> Child {
    let log = File::create(log_path).expect("chromedriver log file");
    let log_err = log.try_clone().expect("chromedriver log file");
    Command::new(CHROMEDRIVER_BIN)
        // No `--allowed-ips`: with it chromedriver listens on every interface; without it,
        // on loopback only.
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own group, so that one signal reaches Chromium and all its helpers.
        .process_group(0)
        .spawn()
        .expect("spawn chromedriver")
}

/// SIGKILL to chromedriver's process group, then reap chromedriver and wait until the rest of
/// the group is gone too. Synchronous: runs in `Drop`.
fn kill_group(child: &mut Child) {
    let group = child.id();
    // std has no safe killpg; kill(1) with a negative pid signals the group.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut reaped = false;
    while Instant::now() < deadline {
        reaped = reaped || !matches!(child.try_wait(), Ok(None));
        if reaped && !group_has_members(group) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether any live process still belongs to process group `group` (Linux `/proc`).
fn group_has_members(group: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Zombies are dead already; init reaps them once their parent is gone.
        fields.first().is_some_and(|state| *state != "Z")
            && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
    })
}

/// A port that was free a moment ago on 127.0.0.1 (chromedriver cannot take a listener).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("probe a free port")
        .port()
}

async fn wait_until_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let url = format!("http://127.0.0.1:{port}/status");
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited early with {status}"));
        }
        if let Ok(response) = client.get(&url).send().await {
            if let Ok(body) = response.json::<Value>().await {
                if body["value"]["ready"] == true {
                    return Ok(());
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "GET {url} did not answer ready within {STARTUP_TIMEOUT:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
