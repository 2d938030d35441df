use clap::Parser;
use collector::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    shared::telemetry::init_tracing(config.log_json);
    tracing::info!(?config, "starting collector");
    let shutdown = shared::telemetry::shutdown_on_signals();
    let writer = collector::server::open_writer(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let summary = collector::server::serve(config, listener, writer, shutdown).await?;
    if summary.lost > 0 {
        anyhow::bail!("{} acknowledged events were lost at shutdown", summary.lost);
    }
    Ok(())
}
