//! A real distribution registry (Debian's `docker-registry`, distribution 2.8) per test.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::distributions::{Alphanumeric, DistString as _};
use tempfile::TempDir;

use super::registry_http::{test_client, RegistryHttp};
use super::seed::{Seeder, StandardFixture};
use super::token_server::TokenServer;
use super::Credentials;

/// The user of Basic and Token modes; the password is random per registry.
pub const TEST_USER: &str = "tester";
/// `auth.token.service` of Token mode registries.
pub const TOKEN_SERVICE: &str = "registry-gui-test";
/// Overrides the registry binary (default `/usr/bin/docker-registry`).
pub const REGISTRY_BIN_ENV: &str = "TEST_DOCKER_REGISTRY_BIN";
/// Overrides where registry storage goes (default `/dev/shm` when present, else the temp dir).
pub const REGISTRY_TMPDIR_ENV: &str = "TEST_REGISTRY_TMPDIR";
const DEFAULT_REGISTRY_BIN: &str = "/usr/bin/docker-registry";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
const PORT_ATTEMPTS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    None,
    /// htpasswd with one bcrypt entry for [`TEST_USER`].
    Basic,
    /// `auth.token` backed by an in-process [`TokenServer`] that accepts [`TEST_USER`].
    Token,
}

#[derive(Clone, Copy, Debug)]
pub struct RegistryOptions {
    pub auth: AuthMode,
    /// `storage.delete.enabled`; distribution's own default is `false` (DELETE answers 405).
    pub delete_enabled: bool,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            auth: AuthMode::None,
            delete_enabled: true,
        }
    }
}

/// A running registry on `127.0.0.1`, with its storage in a temporary directory. Dropping it kills
/// the process (also when a test panics) and removes the storage.
pub struct TestRegistry {
    child: tokio::process::Child,
    port: u16,
    options: RegistryOptions,
    credentials: Option<Credentials>,
    token_server: Option<TokenServer>,
    // Last, so the directory goes after the process is dead.
    dir: TempDir,
}

impl TestRegistry {
    /// Starts a registry with deletes enabled. Panics if it cannot start.
    pub async fn start(auth: AuthMode) -> Self {
        Self::start_with(RegistryOptions {
            auth,
            ..RegistryOptions::default()
        })
        .await
    }

    /// Starts a registry. Panics if it cannot start (with the registry's own log).
    pub async fn start_with(options: RegistryOptions) -> Self {
        let binary =
            std::env::var(REGISTRY_BIN_ENV).unwrap_or_else(|_| DEFAULT_REGISTRY_BIN.into());
        assert!(
            Path::new(&binary).exists(),
            "{binary} not found: install Debian's docker-registry package (or set {REGISTRY_BIN_ENV})"
        );
        let mut temp = tempfile::Builder::new();
        temp.prefix("registry-gui-test-");
        let dir = temp
            .tempdir_in(storage_parent())
            .or_else(|_| temp.tempdir())
            .expect("temp dir");
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).expect("storage dir");

        let credentials = match options.auth {
            AuthMode::None => None,
            AuthMode::Basic | AuthMode::Token => Some(Credentials {
                username: TEST_USER.to_owned(),
                password: Alphanumeric.sample_string(&mut rand::thread_rng(), 24),
            }),
        };
        let mut token_server = None;
        let auth_yaml = match options.auth {
            AuthMode::None => String::new(),
            AuthMode::Basic => {
                let credentials = credentials.as_ref().expect("basic mode has credentials");
                let htpasswd = dir.path().join("htpasswd");
                // distribution's htpasswd reader wants the `$2y$` prefix.
                let hash = bcrypt::hash_with_result(&credentials.password, 4)
                    .expect("bcrypt")
                    .format_for_version(bcrypt::Version::TwoY);
                std::fs::write(&htpasswd, format!("{}:{hash}\n", credentials.username))
                    .expect("write htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: registry-gui-test\n    path: {}\n",
                    yaml_string(&htpasswd)
                )
            }
            AuthMode::Token => {
                let credentials = credentials.clone().expect("token mode has credentials");
                let server = TokenServer::start(TOKEN_SERVICE, credentials)
                    .await
                    .expect("start token server");
                let bundle = dir.path().join("token-root.pem");
                std::fs::write(&bundle, server.root_cert_pem()).expect("write rootcertbundle");
                let yaml = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                    server.realm(),
                    server.service(),
                    server.issuer(),
                    yaml_string(&bundle)
                );
                token_server = Some(server);
                yaml
            }
        };

        Self::launch(
            binary,
            dir,
            storage,
            options,
            credentials,
            token_server,
            auth_yaml,
        )
        .await
    }

    /// Starts a registry (deletes enabled, no credentials of its own) with `auth_yaml` appended
    /// to its configuration: e.g. `auth.token` pointing at the app and `notifications`.
    pub async fn start_with_yaml(auth_yaml: String) -> Self {
        let binary =
            std::env::var(REGISTRY_BIN_ENV).unwrap_or_else(|_| DEFAULT_REGISTRY_BIN.into());
        let mut temp = tempfile::Builder::new();
        temp.prefix("registry-gui-test-");
        let dir = temp
            .tempdir_in(storage_parent())
            .or_else(|_| temp.tempdir())
            .expect("temp dir");
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).expect("storage dir");
        Self::launch(
            binary,
            dir,
            storage,
            RegistryOptions::default(),
            None,
            None,
            auth_yaml,
        )
        .await
    }

    /// The directory of the registry's files (for certificates its configuration names).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    async fn launch(
        binary: String,
        dir: TempDir,
        storage: PathBuf,
        options: RegistryOptions,
        credentials: Option<Credentials>,
        token_server: Option<TokenServer>,
        auth_yaml: String,
    ) -> Self {
        let log_path = dir.path().join("registry.log");
        let mut last_failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                registry_config(port, &storage, options.delete_enabled, &auth_yaml),
            )
            .expect("write registry config");
            let mut child = spawn_registry(&binary, &config, &log_path);
            match wait_until_ready(&mut child, port).await {
                Ok(()) => {
                    return Self {
                        child,
                        port,
                        options,
                        credentials,
                        token_server,
                        dir,
                    }
                }
                Err(failure) => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    last_failure = format!("{failure}\n--- registry log ---\n{log}");
                    // Another process took the port between our probe and the registry's bind.
                    if !log.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("docker-registry did not start: {last_failure}");
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn auth_mode(&self) -> AuthMode {
        self.options.auth
    }

    pub fn options(&self) -> RegistryOptions {
        self.options
    }

    /// `tester` and its password in Basic and Token modes.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The token server of Token mode.
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.token_server.as_ref()
    }

    /// A client that authenticates as [`TEST_USER`] when the registry asks.
    pub fn http(&self) -> RegistryHttp {
        RegistryHttp::new(&self.url(), self.credentials.clone())
    }

    /// A client without credentials.
    pub fn anonymous_http(&self) -> RegistryHttp {
        RegistryHttp::new(&self.url(), None)
    }

    pub fn seeder(&self) -> Seeder {
        Seeder::new(self.http())
    }

    /// Pushes the documented standard fixture (see `seed.rs`).
    pub async fn seed_standard(&self) -> StandardFixture {
        self.seeder()
            .seed_standard()
            .await
            .expect("seed the standard fixture")
    }

    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// What the registry wrote to stdout/stderr (log level `error`), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // Drop cannot await: kill, then reap synchronously so no orphan outlives the test.
        let _ = self.child.start_kill();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

/// tmpfs when available: distribution writes a handful of small files per push, and on disk that
/// makes bulk seeding two to three times slower.
fn storage_parent() -> PathBuf {
    if let Some(dir) = std::env::var_os(REGISTRY_TMPDIR_ENV) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A port that was free a moment ago on 127.0.0.1 (the registry cannot take a listener).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("probe a free port")
        .port()
}

fn yaml_string(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).expect("path serializes")
}

fn registry_config(port: u16, storage: &Path, delete_enabled: bool, auth_yaml: &str) -> String {
    let secret = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: {delete_enabled}\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: {secret}\n\
         {auth_yaml}",
        storage = yaml_string(storage),
    )
}

fn spawn_registry(binary: &str, config: &Path, log_path: &Path) -> tokio::process::Child {
    let log = File::create(log_path).expect("registry log file");
    let log_err = log.try_clone().expect("registry log file");
    let mut command = tokio::process::Command::new(binary);
    command
        .arg("serve")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .kill_on_drop(true);
    // distribution reads REGISTRY_* variables as config overrides: keep the caller's out.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("REGISTRY_") {
            command.env_remove(name);
        }
    }
    command.spawn().expect("spawn docker-registry")
}

async fn wait_until_ready(child: &mut tokio::process::Child, port: u16) -> Result<(), String> {
    let client = test_client();
    let url = format!("http://127.0.0.1:{port}/v2/");
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("docker-registry exited early with {status}"));
        }
        if let Ok(response) = client.get(&url).send().await {
            let status = response.status().as_u16();
            if status == 200 || status == 401 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "GET {url} did not answer within {STARTUP_TIMEOUT:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
