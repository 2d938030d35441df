//! `enricher`: command-line entry point. Parses flags, builds the engine, runs a command.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "enricher",
    version,
    about = "Enrich raw clickstream hits into Hive-partitioned Parquet"
)]
struct Cli {
    /// Log as JSON lines (one object per event, with the span fields such as `shard`).
    #[arg(long, global = true, env = "ENRICHER_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrich a file of CloudFront real-time log lines or collector envelopes (auto-detected).
    EnrichFile(cmd::enrich_file::Args),
    /// Measure enrichment speed on a file, single-threaded.
    Bench(cmd::bench::Args),
    /// Run one worker of the fleet: lease shards, enrich, write Parquet, checkpoint.
    Run(cmd::run::Args),
    /// List dead letters, or enrich them again into a separate prefix.
    DeadLetters(cmd::reprocess::DeadLetterArgs),
    /// Enrich the raw archive again (replay after the stream's retention).
    ReplayRaw(cmd::reprocess::ReplayRawArgs),
    /// Delete orphaned objects no committed manifest names.
    Vacuum(cmd::vacuum::Args),
    /// Show the lease table, or reset checkpoints (fenced: the owner loses the lease).
    Leases(cmd::leases::Args),
    /// Describe, split or merge shards; fill the stream from a file; dump its event ids.
    Stream(cmd::stream_admin::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    shared::telemetry::init_tracing(cli.log_json);
    match cli.command {
        Command::EnrichFile(args) => cmd::enrich_file::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::DeadLetters(args) => cmd::reprocess::run_dead_letters(args),
        Command::ReplayRaw(args) => cmd::reprocess::run_replay_raw(args),
        Command::Vacuum(args) => cmd::vacuum::run(args),
        Command::Leases(args) => cmd::leases::run(args),
        Command::Stream(args) => cmd::stream_admin::run(args),
    }
}
