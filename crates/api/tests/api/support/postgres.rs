//! A real PostgreSQL (Debian's `postgresql` package) for the tests: one server per test
//! binary, `initdb` into a temporary directory as an unprivileged user, listening on a random
//! loopback port, one fresh database per test. The server stops, and its directory goes, when
//! the test binary exits (a watchdog shell waits for the binary's end of a pipe to close).
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Overrides where the PostgreSQL binaries are (default: the newest `/usr/lib/postgresql/*/bin`).
pub const PG_BIN_ENV: &str = "TEST_PG_BIN";
/// `postgres` runs every test on PostgreSQL instead of SQLite (`make test-postgres`).
pub const TEST_DATABASE_ENV: &str = "TEST_DATABASE";

/// Whether `TEST_DATABASE=postgres` asks for every app of the run to use PostgreSQL.
pub fn requested() -> bool {
    std::env::var(TEST_DATABASE_ENV).is_ok_and(|v| v == "postgres")
}

pub struct PgServer {
    pub port: u16,
    pub user: String,
    /// The watchdog's stdin: closing it (the binary exiting) stops the server.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The binary run's server, started on first use.
pub fn server() -> &'static PgServer {
    match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
    }
}

impl PgServer {
    /// `postgres://` URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{name}", self.user, self.port)
    }

    /// Creates an empty database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(&self.url("postgres")).await;
        sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("CREATE DATABASE");
        self.url(&name)
    }
}

/// A fresh database on the binary run's server.
pub async fn fresh_database() -> String {
    server().fresh_database().await
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection as _;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match sqlx::PgConnection::connect(url).await {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot connect to the test PostgreSQL: {e}"),
        }
    }
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var(PG_BIN_ENV) {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            format!("/usr/lib/postgresql: {e} (install Debian's postgresql: make apt-test)")
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no PostgreSQL under /usr/lib/postgresql".to_string())
}

/// The unprivileged account to run as when the tests run as root (initdb refuses root).
fn unprivileged() -> Option<(u32, u32, String)> {
    if !is_root() {
        return None;
    }
    for name in ["postgres", "nobody"] {
        let out = Command::new("id").args(["-u", name]).output().ok()?;
        let gid = Command::new("id").args(["-g", name]).output().ok()?;
        if out.status.success() && gid.status.success() {
            let uid = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
            let gid = String::from_utf8_lossy(&gid.stdout).trim().parse().ok()?;
            return Some((uid, gid, name.to_string()));
        }
    }
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_user(cmd: &mut Command, account: &Option<(u32, u32, String)>) {
    use std::os::unix::process::CommandExt as _;
    if let Some((uid, gid, _)) = account {
        cmd.uid(*uid).gid(*gid);
    }
}

type Account = Option<(u32, u32, String)>;

/// A fresh cluster in a new temporary directory (owned by the unprivileged account).
fn init() -> Result<(PathBuf, Account, String, PathBuf), String> {
    let bin = bin_dir()?;
    let account = unprivileged();
    let base = tempfile::Builder::new()
        .prefix("registry-gui-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        // The watchdog removes it; the test binary must not race it.
        .keep();
    let data = base.join("data");
    if let Some((uid, gid, _)) = &account {
        std::os::unix::fs::chown(&base, Some(*uid), Some(*gid)).map_err(|e| e.to_string())?;
    }
    let user = match &account {
        Some((_, _, name)) => name.clone(),
        None => std::env::var("USER").unwrap_or_else(|_| "postgres".into()),
    };
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args([
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "-U",
            &user,
            "-D",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    as_user(&mut initdb, &account);
    let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((bin, account, user, base))
}

fn start() -> Result<PgServer, String> {
    let (bin, account, user, base) = init()?;
    let data = base.join("data");
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port()?;
        match launch(&bin, &base, &data, port, &account) {
            Ok(watchdog) => {
                if wait_until_listening(port, &base) {
                    return Ok(PgServer {
                        port,
                        user,
                        _watchdog: Mutex::new(watchdog),
                    });
                }
                last_error = std::fs::read_to_string(base.join("postgres.log")).unwrap_or_default();
            }
            Err(e) => last_error = e,
        }
    }
    Err(format!("postgres did not start: {last_error}"))
}

/// Starts `postgres` under a shell that stops it and removes `base` once its stdin closes.
fn launch(
    bin: &Path,
    base: &Path,
    data: &Path,
    port: u16,
    account: &Option<(u32, u32, String)>,
) -> Result<(Child, ChildStdin), String> {
    let script = r#"
        "$1/postgres" -D "$2" -p "$3" -k "$4" -c listen_addresses=127.0.0.1 \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=400 -c shared_buffers=64MB >"$4/postgres.log" 2>&1 &
        pid=$!
        read _closed
        kill -INT "$pid" 2>/dev/null
        wait "$pid"
        rm -rf "$4"
    "#;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(bin)
        .arg(data)
        .arg(port.to_string())
        .arg(base)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_user(&mut cmd, account);
    let mut child = cmd.spawn().map_err(|e| format!("sh: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    Ok((child, stdin))
}

fn wait_until_listening(port: u16, base: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        let log = std::fs::read_to_string(base.join("postgres.log")).unwrap_or_default();
        if log.contains("could not bind") || log.contains("FATAL") {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// A server of its own for one test, driven with `pg_ctl`: stopped and started again on the
/// same data and port, or frozen (every process stopped: connections are accepted by the
/// kernel and never answered) and thawed. Dropping it stops it and removes its files.
pub struct DedicatedPg {
    pub port: u16,
    pub user: String,
    bin: PathBuf,
    base: PathBuf,
    account: Option<(u32, u32, String)>,
}

impl DedicatedPg {
    pub fn start() -> Self {
        let (bin, account, user, base) = init().expect("initdb");
        let port = free_port().expect("port");
        let pg = DedicatedPg {
            port,
            user,
            bin,
            base,
            account,
        };
        pg.pg_ctl_start();
        pg
    }

    pub fn url(&self, name: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{name}", self.user, self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.arg("-D").arg(self.base.join("data")).args(args);
        as_user(&mut cmd, &self.account);
        cmd.output().expect("pg_ctl")
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.base.display()
        );
        let log = self.base.join("postgres.log");
        let out = self.pg_ctl(&[
            "-w",
            "-t",
            "30",
            "-o",
            &options,
            "-l",
            log.to_str().unwrap(),
            "start",
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server cleanly (connections are refused until [`DedicatedPg::restart`]).
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// The postmaster and every backend.
    fn processes(&self) -> Vec<u32> {
        let pid_file = self.base.join("data").join("postmaster.pid");
        let Some(master) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
        else {
            return Vec::new();
        };
        let mut pids = vec![master];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // Fields after the parenthesised command: state, then the parent's pid.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(master) {
                pids.push(pid);
            }
        }
        pids
    }

    fn signal(&self, signal: &str) {
        for pid in self.processes() {
            let _ = Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
        }
    }

    /// Every process stops: connections are accepted (by the kernel) and never answered.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }
}

impl Drop for DedicatedPg {
    fn drop(&mut self) {
        self.thaw();
        self.stop();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
