use clap::{Parser, Subcommand};
use loadgen::target::RunError;
use std::process::ExitCode;

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
    /// Send synthetic traffic to a collector over HTTP and report the responses.
    Send(Box<loadgen::send::SendArgs>),
    /// Replay the Coveo SIGIR eCom 2021 browsing log against a collector's /collect.
    Replay(Box<loadgen::replay::ReplayArgs>),
}

/// Exit codes: 0 when every request got a 2xx, 1 otherwise or on a runtime failure, 2 for
/// usage errors (clap uses 2 for its own parse errors too).
fn finish(result: Result<loadgen::engine::report::Report, RunError>) -> ExitCode {
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(1))
        }
        Err(RunError::Usage(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Synth(args) => match loadgen::synth::run(&args) {
            Ok(summary) => {
                eprintln!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Send(args) => finish(loadgen::send::run(&args)),
        Command::Replay(args) => finish(loadgen::replay::run(&args)),
    }
}
