use clap::{Parser, Subcommand};

/// Load generator for the clickstream pipeline.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a synthetic, deterministic input file (CloudFront lines or collector envelopes).
    Synth(loadgen::synth::SynthArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Synth(args) => {
            let summary = loadgen::synth::run(&args)?;
            eprintln!("{summary}");
        }
    }
    Ok(())
}
