//! Background work that runs once across every replica sharing the database: each round of a
//! job is run by the replica holding the job's lease (`job_leases`). A lease lasts one period
//! and its holder renews it at its next round, so one replica keeps the job while it lives; a
//! replica that dies mid-period gives it up when the lease expires.
use std::time::Duration;

use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::storage;

/// The prune loop's job name (`registry_gui_background_runs_total{job="prune"}`).
pub const PRUNE_JOB: &str = "prune";

/// What a job's rounds need: the database, the settings, the metrics and who we are.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub settings: std::sync::Arc<Settings>,
    pub metrics: std::sync::Arc<Metrics>,
    /// This process's lease holder name (random per start).
    pub replica: String,
}

impl Worker {
    /// Runs one round of `job` if this replica holds (or takes) its lease for `period`;
    /// `Ok(false)` when another replica holds it.
    pub async fn run_once<F, Fut>(
        &self,
        job: &str,
        period: Duration,
        round: F,
    ) -> anyhow::Result<bool>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        let ttl_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
        if !storage::leases::acquire(&self.db, job, &self.replica, ttl_ms).await? {
            return Ok(false);
        }
        self.metrics.background_run(job);
        round().await?;
        Ok(true)
    }

    /// One leased round of [`Worker::prune`].
    pub async fn prune_round(&self) -> anyhow::Result<bool> {
        let period = self.settings.prune_interval;
        self.run_once(PRUNE_JOB, period, || self.prune()).await
    }

    /// Expired sign-in steps, sessions and throttle records, audit events past
    /// `AUDIT_RETENTION_DAYS` and registry events past `EVENT_RETENTION_DAYS`. Idempotent:
    /// start-up runs it unleased (a restarted replica applies a shortened retention at once),
    /// the periodic rounds under the lease.
    pub async fn prune(&self) -> anyhow::Result<()> {
        {
            let db = &self.db;
            storage::challenges::prune_expired(db).await?;
            storage::sessions::prune_expired(db).await?;
            storage::throttle::prune(db, self.settings.throttle.window_secs).await?;
            storage::throttle::prune_notices(db).await?;
            let pruned =
                storage::audit::prune_older_than(db, self.settings.audit_retention_days).await?;
            if pruned > 0 {
                tracing::info!(
                    events = pruned,
                    "pruned audit events past AUDIT_RETENTION_DAYS"
                );
            }
            storage::registry_events::prune_older_than(db, self.settings.event_retention_days)
                .await?;
            Ok(())
        }
    }

    /// Runs [`Worker::prune_round`] every `PRUNE_INTERVAL_SECS`, forever.
    pub async fn prune_periodically(self) {
        let period = self.settings.prune_interval;
        // Start-up pruned already (before listening).
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.prune_round().await {
                tracing::warn!(error = %format!("{e:#}"), "pruning expired records failed");
            }
        }
    }
}
