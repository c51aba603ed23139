//! `workflow-engine secret set|list|rm`: a project's secrets from the command line. A value is
//! read from stdin, never from an argument (arguments are visible to every user in `ps`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::store::projects::ProjectRow;
use crate::store::secrets;
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Set a secret; its value is read from stdin (one trailing newline is dropped).
    Set {
        /// The project directory (default: the current directory).
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        name: String,
    },
    /// List the project's secrets: names and dates, never values.
    List {
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Remove a secret.
    Rm {
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        name: String,
    },
}

pub async fn main(store: &Store, command: SecretCommand) -> ExitCode {
    match run(store, command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(store: &Store, command: SecretCommand) -> Result<(), String> {
    match command {
        SecretCommand::Set { project, name } => {
            let project = project_row(store, project.as_deref()).await?;
            secrets::validate_name(&name).map_err(|e| e.to_string())?;
            let mut value = String::new();
            std::io::stdin()
                .read_to_string(&mut value)
                .map_err(|e| format!("cannot read the value from stdin: {e}"))?;
            // `echo value | ...` and a heredoc end with a newline that is not the secret's.
            let value = value.strip_suffix('\n').unwrap_or(&value);
            let value = value.strip_suffix('\r').unwrap_or(value);
            let created = secrets::set(store, &project.id, &name, value)
                .await
                .map_err(|e| e.to_string())?;
            let verb = if created { "set" } else { "replaced" };
            println!("{verb} secret {name} of project {} ({})", project.name, project.path);
        }
        SecretCommand::List { project } => {
            let project = project_row(store, project.as_deref()).await?;
            for s in secrets::list(store, &project.id).await.map_err(|e| e.to_string())? {
                println!("{}\t{}", s.name, s.updated_at);
            }
        }
        SecretCommand::Rm { project, name } => {
            let project = project_row(store, project.as_deref()).await?;
            if !secrets::remove(store, &project.id, &name)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("project {} has no secret {name}", project.path));
            }
            println!("removed secret {name}");
        }
    }
    Ok(())
}

/// The project of `dir` (default: the current directory), registered if it is new, as
/// `run --project` does.
async fn project_row(store: &Store, dir: Option<&Path>) -> Result<ProjectRow, String> {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&dir)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| format!("--project {}: not a directory", dir.display()))?;
    ProjectRow::ensure(store, &path).await.map_err(|e| e.to_string())
}
