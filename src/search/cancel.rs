//! Cooperative cancellation: a shared flag ([`Cancel`]) and the per-service [`Control`] that
//! counts work, checks the flag and the deadline, and carries batches of hits out.
//!
//! A cancelled or expired service returns [`Stop`] from the loop it is in; nothing is
//! interrupted from outside. No async runtime: the LSP layer sets the flag from its own token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::Hit;

/// Services check their [`Control`] at least this often (in items of work).
pub const CHECK_EVERY: u64 = 256;

/// A cancellation flag shared by everyone working on one request.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The search was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("search cancelled")
    }
}

/// Why a service stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    /// Its time budget or the overall deadline ran out.
    Expired,
}

/// What a running service sees: its cancellation flag, deadline, work counter and outlet.
pub struct Control<'a> {
    cancel: &'a Cancel,
    expired: Option<&'a Cancel>,
    deadline: Option<Instant>,
    emit: &'a mut dyn FnMut(Vec<Hit>),
    work: u64,
}

impl<'a> Control<'a> {
    /// A control without a deadline.
    pub fn new(cancel: &'a Cancel, deadline: Option<Instant>, emit: &'a mut dyn FnMut(Vec<Hit>)) -> Control<'a> {
        Control { cancel, expired: None, deadline, emit, work: 0 }
    }

    /// Also stops when `expired` is set (the coordinator's overall deadline).
    pub fn with_expiry(mut self, expired: &'a Cancel) -> Control<'a> {
        self.expired = Some(expired);
        self
    }

    /// Counts one item of work and checks every [`CHECK_EVERY`] items.
    #[inline]
    pub fn step(&mut self) -> Result<(), Stop> {
        self.work += 1;
        if self.work.is_multiple_of(CHECK_EVERY) { self.check() } else { Ok(()) }
    }

    /// Checks the flags and the deadline now.
    pub fn check(&self) -> Result<(), Stop> {
        self.probe().check()
    }

    /// A copy of what [`Control::check`] looks at, for code that cannot hold the control.
    pub fn probe(&self) -> Probe<'a> {
        Probe { cancel: self.cancel, expired: self.expired, deadline: self.deadline }
    }

    /// Whether the search was cancelled (cheap: one atomic load).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Sends a batch of hits on (unless it is empty).
    pub fn emit(&mut self, hits: Vec<Hit>) {
        if !hits.is_empty() {
            (self.emit)(hits);
        }
    }

    /// Items of work counted so far.
    pub fn work(&self) -> u64 {
        self.work
    }
}

/// The flags and deadline of a [`Control`], copied.
#[derive(Clone, Copy)]
pub struct Probe<'a> {
    cancel: &'a Cancel,
    expired: Option<&'a Cancel>,
    deadline: Option<Instant>,
}

impl Probe<'_> {
    pub fn check(&self) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            Err(Stop::Cancelled)
        } else if self.expired.is_some_and(Cancel::is_cancelled) || self.deadline.is_some_and(|d| Instant::now() >= d) {
            Err(Stop::Expired)
        } else {
            Ok(())
        }
    }
}
