//! `keyward`: the console and the machine API in one binary.
// Leptos views are deeply nested types; release builds without type erasure need more room.
#![recursion_limit = "512"]

use clap::{Parser, Subcommand};
use server::config::Config;
use std::io::Read;

#[derive(Parser)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a self-hosted console and API for machine credentials.",
    after_help = "The console's compiled assets (the site directory built by `cargo leptos build`) are \
                  read from LEPTOS_SITE_ROOT (default: target/site). A release binary runs on its own \
                  given that directory:\n  LEPTOS_SITE_ROOT=/srv/keyward/site keyward serve"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console and the machine API (the default).
    Serve,
    /// Create the first workspace and its owner without a browser; reads the password from stdin.
    Setup {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
    },
    /// Instance administration without a browser.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Every workspace's keys, as the instance's operator (revocations are audited as "cli"
    /// and reach running instances within a second).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Every workspace's members.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
    /// Copy the SQLite database to a new file while the server runs (PostgreSQL: use pg_dump).
    Backup { path: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Every key, oldest first: prefix, status, owner, workspace, name, expiry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One key's metadata (never a secret).
    Show {
        key_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key and its rotated-out secrets still in grace.
    Revoke {
        key_id: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke every live key an account owns, in every workspace.
    RevokeAll {
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    /// Every membership: workspace id, workspace, email, role.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every workspace's hash chain; exits non-zero and names the first broken event
    /// of each chain that does not hold.
    Verify,
    /// A workspace's whole log on stdout, as JSON Lines (or CSV).
    Export {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make the account with this email an instance admin.
    Grant { email: String },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    server::telemetry::init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Setup { workspace, email } => setup(cli.config, workspace, email).await,
        Command::Admin {
            command: AdminCommand::Grant { email },
        } => server::startup::grant_admin(&cli.config, &email)
            .await
            .map(|()| println!("{email} is now an instance admin.")),
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit(cli.config).await,
        Command::Audit {
            command: AuditCommand::Export { workspace, csv },
        } => server::operator::export_audit(&cli.config, &workspace, csv).await,
        Command::Keys { command } => keys(&cli.config, command).await,
        Command::Members {
            command: MembersCommand::List { json },
        } => server::operator::list_members(&cli.config, json).await,
        Command::Backup { path } => server::operator::backup(&cli.config, &path).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyward: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn keys(config: &Config, command: KeysCommand) -> Result<(), Box<dyn std::error::Error>> {
    use server::operator as op;
    match command {
        KeysCommand::List { json } => op::list_keys(config, json).await,
        KeysCommand::Show { key_id, json } => op::show_key(config, &key_id, json).await,
        KeysCommand::Revoke {
            key_id,
            reason,
            json,
        } => op::revoke_key(config, &key_id, &reason, json).await,
        KeysCommand::RevokeAll {
            owner,
            reason,
            json,
        } => op::revoke_all(config, &owner, &reason, json).await,
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let app = server::startup::Application::build(config).await?;
    println!("Keyward is running at http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

async fn verify_audit(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let checks = server::startup::verify_audit(&config).await?;
    let mut broken = 0;
    for (chain, check) in &checks {
        let chain = if chain.is_empty() { "instance" } else { chain };
        if matches!(check, domain::audit::ChainCheck::Broken { .. }) {
            broken += 1;
        }
        println!("{chain}: {}", check.summary());
    }
    match broken {
        0 => Ok(()),
        n => Err(format!("{n} of {} audit chains are broken.", checks.len()).into()),
    }
}

async fn setup(
    config: Config,
    workspace: String,
    email: String,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let (user, ws) = server::startup::setup_headless(&config, &workspace, &email, password).await?;
    println!("Created workspace {ws} with owner {user}.");
    Ok(())
}
