//! Every trace-level log line the current thread writes, captured for the sentinel checks.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `tracing` writer that appends to a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures this thread's logs at trace level until dropped; run the test on a
/// `current_thread` runtime so the code under test logs on this thread.
pub struct CapturedLogs {
    buffer: Buffer,
    // Dropped in this order: the scoped subscriber first, then the second dispatcher.
    _guard: tracing::subscriber::DefaultGuard,
    _second: tracing::Dispatch,
}

impl CapturedLogs {
    pub fn start() -> Self {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(buffer.clone())
            .with_ansi(false)
            .finish();
        // With a single scoped subscriber, tracing computes callsite interest and the global max
        // level from whichever thread registers a callsite first (often another test's thread,
        // which has no subscriber), and can disable our callsites. A second registered
        // dispatcher makes it consult every live dispatcher instead.
        let second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            buffer,
            _guard: guard,
            _second: second,
        }
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.buffer.0.lock().unwrap().clone()
    }
}
