use clap::Parser;
use collector::config::Config;

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let mut rt = if config.worker_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if config.worker_threads > 1 {
            b.worker_threads(config.worker_threads);
        }
        b
    };
    rt.enable_all().build()?.block_on(run(config))
}

async fn run(config: Config) -> anyhow::Result<()> {
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
