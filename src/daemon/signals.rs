//! Unix signals as daemon controls: SIGTERM and SIGINT ask for a graceful shutdown, SIGHUP
//! for a config reload. Tests send [`Control`] messages directly instead.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

/// What the daemon is asked to do.
#[derive(Debug)]
pub enum Control {
    /// Stop scheduling, let runs in flight finish their batch, exit.
    Shutdown,
    /// Re-read the config file; when it is invalid, keep the running one. The reply (if
    /// any) says which happened, with the reason.
    Reload(Option<oneshot::Sender<Result<(), String>>>),
}

/// Installs the handlers and forwards signals as controls until the receiver is dropped.
pub(crate) fn signal_controls() -> std::io::Result<mpsc::Receiver<Control>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let control = tokio::select! {
                Some(()) = term.recv() => {
                    tracing::info!("SIGTERM: shutting down");
                    Control::Shutdown
                }
                Some(()) = int.recv() => {
                    tracing::info!("SIGINT: shutting down");
                    Control::Shutdown
                }
                Some(()) = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the config");
                    Control::Reload(None)
                }
                else => return,
            };
            if tx.send(control).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
