//! The command line: `run` (serve), `export` (an import file), `healthcheck` (for containers).

use std::{io::Write, net::SocketAddr, path::PathBuf};

use crate::{config::SimConfig, demo, export::Format, store::Store};

/// A stand-in for SecuTix S-360: contact store and admin API, contact API, Contact Webhook V2,
/// Data Export webhook and an OpenID Connect ticket shop.
#[derive(Debug, clap::Parser)]
#[command(name = "secutix-sim", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve until SIGTERM or ctrl-c.
    Run {
        #[command(flatten)]
        config: Box<SimConfig>,
        #[command(flatten)]
        telemetry: infra::config::TelemetryArgs,
    },
    /// Write an export file the initial import reads: JSON lines of `getContactData` objects,
    /// or CSV with the columns listed in the README.
    Export(ExportArgs),
    /// Exit 0 when the simulator at LISTEN_ADDR answers `/healthz`.
    Healthcheck {
        /// Address of the simulator to probe.
        #[arg(
            long,
            env = "LISTEN_ADDR",
            value_name = "LISTEN_ADDR",
            default_value = "127.0.0.1:8090"
        )]
        listen_addr: SocketAddr,
    },
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// File format.
    #[arg(long, value_name = "FORMAT", default_value = "jsonl")]
    pub format: Format,

    /// Base URL of a running simulator to export from (its `GET /admin/export`).
    #[arg(
        long,
        env = "SIM_URL",
        value_name = "SIM_URL",
        default_value = "http://127.0.0.1:8090",
        conflicts_with = "seed"
    )]
    pub from: url::Url,

    /// Export N deterministic demo contacts instead, without a running simulator.
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,

    /// Where to write; standard output when absent.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `secutix-sim export`.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let text = match args.seed {
        Some(count) => {
            let store = Store::new();
            demo::seed(&store, count)?;
            crate::export::export_file(&store.list(), args.format)
        }
        None => {
            let format = match args.format {
                Format::Jsonl => "jsonl",
                Format::Csv => "csv",
            };
            let url = args.from.join(&format!("admin/export?format={format}"))?;
            let response = reqwest::get(url).await?;
            anyhow::ensure!(
                response.status().is_success(),
                "the simulator answered {}",
                response.status()
            );
            response.text().await?
        }
    };
    match args.output {
        Some(path) => std::fs::write(path, text)?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_parses() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["secutix-sim", "export", "--format", "csv", "--seed", "3"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Export(ExportArgs {
                format: Format::Csv,
                seed: Some(3),
                ..
            })
        ));
        let cli = Cli::try_parse_from([
            "secutix-sim",
            "run",
            "--webhook-interval",
            "2s",
            "--api-time-unit",
            "milliseconds",
        ])
        .expect("parses");
        let Command::Run { config, .. } = cli.command else {
            panic!("run");
        };
        assert_eq!(config.webhook.webhook_interval, std::time::Duration::from_secs(2));
        for bad in [
            ["--webhook-interval", "500ms"],
            ["--api-limit-status", "503"],
            ["--webhook-batch-size", "0"],
        ] {
            let args = ["secutix-sim", "run", bad[0], bad[1]];
            assert!(Cli::try_parse_from(args).is_err(), "{bad:?}");
        }
    }
}
