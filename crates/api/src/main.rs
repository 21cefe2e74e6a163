use std::process::ExitCode;

use clap::Parser as _;
use registry_gui::config::{Cli, Command};
use registry_gui::startup::{Application, StartupError};
use registry_gui::{cli, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        None => serve(args.serve).await,
        Some(Command::Serve(serve_args)) => serve(*serve_args).await,
        Some(command) => cli::run(command).await,
    }
}

async fn serve(args: registry_gui::config::ServeArgs) -> ExitCode {
    let settings = match args.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("registry-gui: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let host = settings.host.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(StartupError::Config(e)) => {
            eprintln!("registry-gui: {e}");
            return ExitCode::from(2);
        }
        Err(StartupError::Other(e)) => {
            eprintln!("registry-gui: start-up failed: {e:#}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = app.stop_on_signals() {
        eprintln!("registry-gui: cannot install signal handlers: {e}");
        return ExitCode::from(1);
    }
    tracing::info!("registry-gui listening on http://{host}:{}", app.port());
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("registry-gui stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("registry-gui: server error: {e}");
            ExitCode::from(1)
        }
    }
}
