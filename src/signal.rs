//! SIGINT/SIGTERM as a value the waiters can select on. Handlers are installed by us, not
//! left to the default disposition: as PID 1 in a container there is no default.

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn exit_code(self) -> crate::exit::ExitCode {
        match self {
            Signal::Interrupt => crate::exit::ExitCode::Interrupted,
            Signal::Terminate => crate::exit::ExitCode::Terminated,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// Resolves once a signal arrived; clones share the same source.
#[derive(Clone)]
pub struct Interrupt {
    rx: watch::Receiver<Option<Signal>>,
    /// Held by `never()`, so its channel stays open and waiting just pends.
    _tx: Option<std::sync::Arc<watch::Sender<Option<Signal>>>>,
}

impl Interrupt {
    /// Never fires: for library callers and tests that handle no signals.
    pub fn never() -> Interrupt {
        let (tx, rx) = watch::channel(None);
        Interrupt {
            rx,
            _tx: Some(std::sync::Arc::new(tx)),
        }
    }

    /// Installs SIGINT and SIGTERM handlers (needs a running tokio runtime).
    pub fn install() -> std::io::Result<Interrupt> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let first = tokio::select! {
                _ = int.recv() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
            };
            let _ = tx.send(Some(first));
            // A second signal upgrades INT to TERM (the runner's escalation), nothing more.
            if first == Signal::Interrupt && term.recv().await.is_some() {
                let _ = tx.send(Some(Signal::Terminate));
            }
            // Keep the sender (and the handlers) alive.
            std::future::pending::<()>().await;
        });
        Ok(Interrupt { rx, _tx: None })
    }

    pub fn received(&self) -> Option<Signal> {
        *self.rx.borrow()
    }

    /// Runs `work` unless a signal came or comes first; then `work` is dropped (a request
    /// in flight is abandoned) and the signal returned. For steps that start nothing.
    pub async fn guard<T>(
        &mut self,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, Signal> {
        if let Some(s) = self.received() {
            return Err(s);
        }
        tokio::select! {
            biased;
            s = self.wait() => Err(s),
            r = work => Ok(r),
        }
    }

    /// Waits for a signal.
    pub async fn wait(&mut self) -> Signal {
        loop {
            if let Some(s) = *self.rx.borrow_and_update() {
                return s;
            }
            if self.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
