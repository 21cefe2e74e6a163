//! The administrative command line: works directly on the database.
use std::process::ExitCode;

use crate::config::Command;

pub async fn run(command: Command) -> ExitCode {
    eprintln!("registry-gui: {command:?} is not available in this build");
    ExitCode::from(2)
}
