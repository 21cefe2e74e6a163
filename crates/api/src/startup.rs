//! Builds the application: database, bootstrap, state and the HTTP server on its listener.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::auth::jwt::JwtKeys;
use crate::auth::password::PasswordHasher;
use crate::background::Worker;
use crate::config::{ConfigError, Settings};
use crate::crypto::SecretCipher;
use crate::db_lock::DatabaseLock;
use crate::metrics::Metrics;
use crate::registry::RegistryPool;
use crate::routes::spa::StaticAssets;
use crate::state::AppState;
use crate::{bootstrap, db, middleware, routes};

/// Why start-up failed: bad configuration (exit code 2) or anything else (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    _lock: Option<DatabaseLock>,
}

impl Application {
    /// Opens the database, bootstraps it and binds the listener (port 0 picks a free one).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        // SQLite: a lock file beside the database keeps `restore` from swapping it under us.
        let lock = match settings.database.sqlite_path() {
            Some(path) => Some(DatabaseLock::shared(path).await?),
            None => None,
        };
        let pool = db::connect(&settings.database).await?;
        let hasher = PasswordHasher::new(settings.bcrypt_cost)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let db_settings = settings.database.clone();
        let cipher = tokio::task::spawn_blocking(move || SecretCipher::load(&db_settings))
            .await
            .map_err(anyhow::Error::from)??;

        let mut cipher = cipher;
        bootstrap::load_legacy_hash_key(&pool, &mut cipher).await?;
        bootstrap::protect_secrets(&pool, &cipher).await?;
        bootstrap::ensure_first_admin(&pool, &hasher, &settings.admin_password).await?;
        bootstrap::warn_about_default_password(&pool, &hasher).await?;
        bootstrap::bootstrap_registry(&pool, &cipher, &settings.registry).await?;
        let jwt_secret =
            bootstrap::jwt_secret(&pool, &cipher, settings.jwt_secret.as_ref()).await?;
        let jwt = JwtKeys::new(jwt_secret.expose(), settings.jwt_expiry_hours);
        let signer = Arc::new(
            bootstrap::registry_token_signer(
                &pool,
                &cipher,
                &settings.token_issuer,
                settings.registry_token_ttl_secs,
            )
            .await?,
        );

        let static_dir = settings.static_dir.clone();
        let assets = tokio::task::spawn_blocking(move || StaticAssets::load(&static_dir))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(|e| ConfigError::new("STATIC_DIR", e.to_string()))?;
        tracing::info!(dir = %assets.source().display(), files = assets.len(), "serving the web app");

        let listener = TcpListener::bind((settings.host.as_str(), settings.port)).map_err(|e| {
            ConfigError::new(
                "PORT",
                format!("cannot listen on {}:{}: {e}", settings.host, settings.port),
            )
        })?;
        let port = listener.local_addr().map_err(anyhow::Error::from)?.port();

        let metrics = Arc::new(Metrics::new());
        let replica = uuid::Uuid::new_v4().simple().to_string();
        let settings = Arc::new(settings);
        let worker = Worker {
            db: pool.clone(),
            settings: settings.clone(),
            metrics: metrics.clone(),
            replica: replica.clone(),
        };
        // Before listening, on every start (outside the lease and the run count).
        worker.prune().await?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://localhost:{port}"));
        let registries = Arc::new(RegistryPool::new(
            settings.registry_client.clone(),
            metrics.clone(),
            Some(signer.clone()),
        ));
        if let crate::config::DatabaseLocation::Postgres(url) = &settings.database.location {
            crate::coherence::spawn_listener(
                url.expose().to_string(),
                replica.clone(),
                registries.clone(),
                metrics.clone(),
            );
        }
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            registries,
            signer,
            public_url,
            replica,
            started_at: crate::storage::now_rfc3339(),
            settings,
            jwt,
            hasher,
            cipher,
            metrics,
        });
        let server = build_server(listener, state.clone(), Arc::new(assets))?;
        tokio::spawn(worker.prune_periodically());
        Ok(Self {
            port,
            server,
            state,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests; the signal handlers use the same).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server gracefully (in-flight requests drain) on SIGTERM or SIGINT. The handlers
    /// are installed when this returns, so a signal that arrives right after start-up is not
    /// lost to the default action (killing the process mid-write).
    pub fn stop_on_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let handle = self.server.handle();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping after in-flight requests"),
                _ = int.recv() => tracing::info!("SIGINT: stopping after in-flight requests"),
            }
            handle.stop(true).await;
        });
        Ok(())
    }

    /// Serves until stopped (see [`Application::stop_on_signals`]), then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { server, _lock, .. } = self;
        let result = server.await;
        drop(_lock);
        result
    }
}

fn build_server(
    listener: TcpListener,
    state: web::Data<AppState>,
    assets: Arc<StaticAssets>,
) -> anyhow::Result<Server> {
    let assets = web::Data::new(assets);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(assets.clone())
            .app_data(routes::payload_config())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            .wrap(middleware::security_headers())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(from_fn(middleware::time_limit))
            .wrap(from_fn(middleware::observe))
            .configure(routes::ops::config)
            .configure(routes::registry_login::config)
            .configure(routes::api)
            .default_service(web::to(routes::spa::serve_or_refuse))
    })
    .listen(listener)?
    .shutdown_timeout(10)
    .disable_signals()
    .client_request_timeout(Duration::from_secs(10))
    .run();
    Ok(server)
}
