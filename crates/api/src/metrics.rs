//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
//!
//! A handful of series with small label sets: a `Mutex<HashMap>` per family is simpler than a
//! metrics framework and never on a hot path long enough to matter.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
    upstream: Mutex<BTreeMap<(String, String), Histogram>>,
    upstream_errors: Mutex<BTreeMap<(String, String), u64>>,
    login_failures: Mutex<BTreeMap<String, u64>>,
    registry_tokens: Mutex<BTreeMap<String, u64>>,
    registry_events: Mutex<BTreeMap<String, u64>>,
    background_runs: Mutex<BTreeMap<String, u64>>,
    cache_invalidations: Mutex<BTreeMap<String, u64>>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    undocumented_errors: Mutex<Vec<String>>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// One HTTP request, labelled by route pattern (never the raw path: bounded cardinality).
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((method.to_string(), route.to_string(), status))
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// One upstream registry call.
    pub fn upstream(
        &self,
        registry: &str,
        operation: &str,
        elapsed: Duration,
        error: Option<&str>,
    ) {
        let key = (registry.to_string(), operation.to_string());
        self.upstream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .observe(elapsed.as_secs_f64());
        if let Some(kind) = error {
            *self
                .upstream_errors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((registry.to_string(), kind.to_string()))
                .or_default() += 1;
        }
    }

    /// One answer of the registry token realm (`pull`, `write`, `empty`, `refused`).
    pub fn registry_token(&self, outcome: &str) {
        *self
            .registry_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(outcome.to_string())
            .or_default() += 1;
    }

    /// One event of a registry's notifications, by action (`push`, `pull`, `delete`, `mount`).
    pub fn registry_event(&self, action: &str) {
        *self
            .registry_events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(action.to_string())
            .or_default() += 1;
    }

    /// One round of a background job that this replica ran (it held the job's lease).
    pub fn background_run(&self, job: &str) {
        bump(&self.background_runs, job);
    }

    /// One cache invalidation applied, by where it came from (`local` or `notification`).
    pub fn cache_invalidation(&self, source: &str) {
        bump(&self.cache_invalidations, source);
    }

    /// Cache invalidations applied from `source`.
    pub fn cache_invalidations(&self, source: &str) -> u64 {
        self.cache_invalidations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(source)
            .copied()
            .unwrap_or(0)
    }

    /// Rounds of `job` this replica ran.
    pub fn background_runs(&self, job: &str) -> u64 {
        self.background_runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(job)
            .copied()
            .unwrap_or(0)
    }

    pub fn login_failure(&self, reason: &str) {
        *self
            .login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(reason.to_string())
            .or_default() += 1;
    }

    /// An error answered that its operation's documentation does not list (a contract bug).
    pub fn undocumented_error(&self, what: String) {
        let mut seen = self
            .undocumented_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Bounded: the first few say enough.
        if seen.len() < 100 {
            seen.push(what);
        }
    }

    /// The undocumented errors answered so far (method, route, code, status).
    pub fn undocumented_errors(&self) -> Vec<String> {
        self.undocumented_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text. `active_sessions` is read from the database by the caller.
    pub fn render(&self, active_sessions: i64, database: &DatabaseGauges) -> String {
        let mut out = String::new();
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        header(
            &mut out,
            "registry_gui_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
        );
        for ((method, route, status), h) in &requests {
            let _ = writeln!(
                out,
                "registry_gui_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(method),
                escape(route),
                h.count
            );
        }
        header(
            &mut out,
            "registry_gui_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by route and status.",
        );
        for ((method, route, status), h) in &requests {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{status}\"",
                escape(method),
                escape(route)
            );
            histogram(
                &mut out,
                "registry_gui_http_request_duration_seconds",
                &labels,
                h,
            );
        }

        let upstream = self
            .upstream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        header(
            &mut out,
            "registry_gui_upstream_request_duration_seconds",
            "histogram",
            "Latency of calls to registries.",
        );
        for ((registry, op), h) in &upstream {
            let labels = format!(
                "registry=\"{}\",operation=\"{}\"",
                escape(registry),
                escape(op)
            );
            histogram(
                &mut out,
                "registry_gui_upstream_request_duration_seconds",
                &labels,
                h,
            );
        }
        header(
            &mut out,
            "registry_gui_upstream_errors_total",
            "counter",
            "Failed calls to registries.",
        );
        for ((registry, kind), n) in self
            .upstream_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "registry_gui_upstream_errors_total{{registry=\"{}\",kind=\"{}\"}} {n}",
                escape(registry),
                escape(kind)
            );
        }

        let hits = self.cache_hits.load(Ordering::Relaxed);
        let misses = self.cache_misses.load(Ordering::Relaxed);
        header(
            &mut out,
            "registry_gui_cache_hits_total",
            "counter",
            "Registry cache hits.",
        );
        let _ = writeln!(out, "registry_gui_cache_hits_total {hits}");
        header(
            &mut out,
            "registry_gui_cache_misses_total",
            "counter",
            "Registry cache misses.",
        );
        let _ = writeln!(out, "registry_gui_cache_misses_total {misses}");
        header(
            &mut out,
            "registry_gui_cache_hit_ratio",
            "gauge",
            "Hits over lookups since start.",
        );
        let ratio = if hits + misses == 0 {
            0.0
        } else {
            hits as f64 / (hits + misses) as f64
        };
        let _ = writeln!(out, "registry_gui_cache_hit_ratio {ratio}");

        header(
            &mut out,
            "registry_gui_login_failures_total",
            "counter",
            "Failed sign-in attempts by reason.",
        );
        for (reason, n) in self
            .login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "registry_gui_login_failures_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
        for (name, help, label, map) in [
            (
                "registry_gui_registry_tokens_total",
                "Registry tokens asked of the realm, by outcome.",
                "outcome",
                &self.registry_tokens,
            ),
            (
                "registry_gui_registry_events_total",
                "Registry notification events received, by action.",
                "action",
                &self.registry_events,
            ),
            (
                "registry_gui_background_runs_total",
                "Rounds of background jobs this replica ran (one replica runs each round).",
                "job",
                &self.background_runs,
            ),
            (
                "registry_gui_cache_invalidations_total",
                "Registry cache invalidations applied, by source (local or notification).",
                "source",
                &self.cache_invalidations,
            ),
        ] {
            header(&mut out, name, "counter", help);
            for (value, n) in map.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape(value));
            }
        }
        header(
            &mut out,
            "registry_gui_active_sessions",
            "gauge",
            "Sessions issued and not revoked (upper bound: includes expired ones).",
        );
        let _ = writeln!(out, "registry_gui_active_sessions {active_sessions}");
        header(
            &mut out,
            "registry_gui_database_statements_total",
            "counter",
            "Database statements and transactions this replica started.",
        );
        let _ = writeln!(
            out,
            "registry_gui_database_statements_total{{backend=\"{}\"}} {}",
            database.backend, database.statements
        );
        header(
            &mut out,
            "registry_gui_database_connections",
            "gauge",
            "Connections of this replica's pool: open and idle.",
        );
        let _ = writeln!(
            out,
            "registry_gui_database_connections{{state=\"open\"}} {}",
            database.open
        );
        let _ = writeln!(
            out,
            "registry_gui_database_connections{{state=\"idle\"}} {}",
            database.idle
        );
        out
    }
}

/// What `/metrics` shows of the database pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseGauges {
    pub backend: &'static str,
    pub statements: u64,
    pub open: u32,
    pub idle: usize,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, key: &str) {
    *map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_string())
        .or_default() += 1;
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    for (bound, count) in BUCKETS.iter().zip(h.counts) {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_text_has_the_series_and_cumulative_buckets() {
        let m = Metrics::new();
        m.request("GET", "/api/catalog", 200, Duration::from_millis(3));
        m.request("GET", "/api/catalog", 200, Duration::from_millis(300));
        m.upstream(
            "default",
            "catalog",
            Duration::from_millis(20),
            Some("timeout"),
        );
        m.login_failure("login_failed");
        m.cache_hit();
        m.cache_miss();
        let text = m.render(4, &DatabaseGauges::default());
        assert!(text.contains(
            "registry_gui_http_requests_total{method=\"GET\",route=\"/api/catalog\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains(
            "registry_gui_upstream_errors_total{registry=\"default\",kind=\"timeout\"} 1"
        ));
        assert!(text.contains("registry_gui_login_failures_total{reason=\"login_failed\"} 1"));
        assert!(text.contains("registry_gui_cache_hit_ratio 0.5"));
        assert!(text.contains("registry_gui_active_sessions 4"));
    }
}
