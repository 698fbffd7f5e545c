//! `LISTEN`, `NOTIFY`, `UNLISTEN`, `pg_notify()` and `pg_listening_channels()`, with
//! PostgreSQL 15's semantics.
//!
//! # Design
//!
//! A database's sessions share one [`Hub`] (in [`crate::engine::Shared`]): the channels each
//! listening session listens on and its [`Mailbox`]. A session's own state
//! (`SessionNotify`) holds its committed channels, and what its open transaction did:
//! LISTEN / UNLISTEN actions and queued notifications, each list with a mark per savepoint.
//!
//! - At commit, the actions apply first (so `BEGIN; LISTEN a; NOTIFY a; COMMIT` reaches the
//!   session itself, as in PostgreSQL), then each queued notification goes to the mailbox of
//!   every session listening on its channel, the sender included. A rollback drops both
//!   lists; `ROLLBACK TO SAVEPOINT` drops what followed the savepoint.
//! - NOTIFY of a channel and payload already queued by the transaction is dropped
//!   (PostgreSQL folds such duplicates); order is kept otherwise.
//! - Delivered notifications wait in the mailbox until the session takes them
//!   ([`crate::Session::take_notifications`]); a server waits for them while the session is
//!   idle with a [`NotificationWaker`], usable from another thread: it blocks in
//!   [`NotificationWaker::wait`], or registers a hook called at each delivery
//!   ([`NotificationWaker::on_delivery`]).
//! - The hub holds mailboxes weakly: a session that ends stops receiving with no
//!   unregistering needed.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::error::SqlError;

/// A notification delivered to a listening session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The channel.
    pub channel: String,
    /// The payload (empty when none was given).
    pub payload: String,
    /// The process id of the sending session ([`crate::Session::set_process_id`]).
    pub sender_pid: i32,
}

/// The longest payload PostgreSQL accepts (its `NOTIFY_PAYLOAD_MAX_LENGTH` less one).
const MAX_PAYLOAD: usize = 7999;
/// The longest channel name (`NAMEDATALEN - 1`).
const MAX_CHANNEL: usize = 63;

/// Called after notifications are delivered to a session ([`NotificationWaker::on_delivery`]).
type DeliveryHook = Arc<dyn Fn() + Send + Sync>;

/// Notifications delivered to one session, with a condition variable to wait on them.
#[derive(Default)]
pub struct Mailbox {
    queue: Mutex<VecDeque<Notification>>,
    cv: Condvar,
    hook: Mutex<Option<DeliveryHook>>,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// A handle on a session's delivered notifications for another thread: wait until one
/// arrives (the server, while the session is idle), without taking it.
#[derive(Debug, Clone)]
pub struct NotificationWaker(Arc<Mailbox>);

impl NotificationWaker {
    /// Waits until a notification is waiting or `timeout` passes; whether one is waiting.
    pub fn wait(&self, timeout: Duration) -> bool {
        let mut q = self.0.queue.lock();
        if q.is_empty() {
            self.0.cv.wait_for(&mut q, timeout);
        }
        !q.is_empty()
    }

    /// Whether a notification is waiting.
    pub fn pending(&self) -> bool {
        !self.0.queue.lock().is_empty()
    }

    /// Calls `f` (on the committing session's thread, after its commit) each time
    /// notifications are delivered to this session, replacing an earlier hook: a server can
    /// wake its idle connection's loop this way (post a message to its queue) instead of a
    /// thread blocked in [`NotificationWaker::wait`]. `f` must be quick and must not call
    /// into the session.
    pub fn on_delivery(&self, f: impl Fn() + Send + Sync + 'static) {
        *self.0.hook.lock() = Some(Arc::new(f));
    }
}

/// A database's listening sessions.
#[derive(Debug, Default)]
pub struct Hub {
    listeners: Mutex<Vec<Listener>>,
}

#[derive(Debug)]
struct Listener {
    channels: Vec<String>,
    mailbox: Weak<Mailbox>,
}

impl Hub {
    /// Sets the channels `mailbox`'s session listens on (none: it stops listening).
    fn set_channels(&self, mailbox: &Arc<Mailbox>, channels: &[String]) {
        let mut ls = self.listeners.lock();
        ls.retain(|l| {
            l.mailbox.strong_count() > 0 && !std::ptr::eq(l.mailbox.as_ptr(), &**mailbox)
        });
        if !channels.is_empty() {
            ls.push(Listener {
                channels: channels.to_vec(),
                mailbox: Arc::downgrade(mailbox),
            });
        }
    }

    /// Delivers `notifications` to every listener of their channels.
    fn deliver(&self, notifications: &[Notification]) {
        let mut hooks = Vec::new();
        {
            let ls = self.listeners.lock();
            for l in ls.iter() {
                let Some(mb) = l.mailbox.upgrade() else {
                    continue;
                };
                let mut q = mb.queue.lock();
                let before = q.len();
                for n in notifications {
                    if l.channels.contains(&n.channel) {
                        q.push_back(n.clone());
                    }
                }
                if q.len() > before {
                    mb.cv.notify_all();
                    hooks.extend(mb.hook.lock().clone());
                }
            }
        }
        // Outside the locks: a hook may take the server's own locks.
        for h in hooks {
            h();
        }
    }
}

#[derive(Debug, Clone)]
enum Action {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// A session's listening state and its open transaction's pending actions.
#[derive(Debug, Default)]
pub(crate) struct SessionNotify {
    /// Channels listened on (committed), in the order first listened.
    channels: Vec<String>,
    actions: Vec<Action>,
    queued: Vec<(String, String)>,
    mailbox: Arc<Mailbox>,
}

/// Where the pending lists stood when a savepoint was set.
pub(crate) type NotifyMark = (usize, usize);

/// Checks a channel name and payload as `NOTIFY` / `pg_notify` do.
pub(crate) fn check(channel: &str, payload: &str) -> Result<(), SqlError> {
    if channel.is_empty() {
        return Err(SqlError::new("22023", "channel name cannot be empty"));
    }
    if channel.len() > MAX_CHANNEL {
        return Err(SqlError::new("22023", "channel name too long"));
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(SqlError::new("22023", "payload string too long"));
    }
    Ok(())
}

impl SessionNotify {
    /// `LISTEN channel` (applies at commit).
    pub(crate) fn listen(&mut self, channel: &str) {
        self.actions.push(Action::Listen(channel.to_string()));
    }

    /// `UNLISTEN channel`, or `UNLISTEN *` for `None` (applies at commit).
    pub(crate) fn unlisten(&mut self, channel: Option<&str>) {
        self.actions.push(match channel {
            Some(c) => Action::Unlisten(c.to_string()),
            None => Action::UnlistenAll,
        });
    }

    /// Queues a notification (checked already), unless the same one is queued.
    pub(crate) fn queue(&mut self, channel: String, payload: String) {
        if !self
            .queued
            .iter()
            .any(|(c, p)| *c == channel && *p == payload)
        {
            self.queued.push((channel, payload));
        }
    }

    /// The channels listened on (`pg_listening_channels()`), committed ones only.
    pub(crate) fn channels(&self) -> &[String] {
        &self.channels
    }

    pub(crate) fn mark(&self) -> NotifyMark {
        (self.actions.len(), self.queued.len())
    }

    /// `ROLLBACK TO SAVEPOINT`: forgets what followed `mark`.
    pub(crate) fn rollback_to(&mut self, mark: NotifyMark) {
        self.actions.truncate(mark.0);
        self.queued.truncate(mark.1);
    }

    /// The transaction rolled back.
    pub(crate) fn at_rollback(&mut self) {
        self.actions.clear();
        self.queued.clear();
    }

    /// The transaction committed: applies its actions, then delivers its notifications.
    pub(crate) fn at_commit(&mut self, hub: &Hub, sender_pid: i32) {
        if !self.actions.is_empty() {
            for a in std::mem::take(&mut self.actions) {
                match a {
                    Action::Listen(c) => {
                        if !self.channels.contains(&c) {
                            self.channels.push(c);
                        }
                    }
                    Action::Unlisten(c) => self.channels.retain(|x| *x != c),
                    Action::UnlistenAll => self.channels.clear(),
                }
            }
            hub.set_channels(&self.mailbox, &self.channels);
        }
        if !self.queued.is_empty() {
            let ns: Vec<Notification> = std::mem::take(&mut self.queued)
                .into_iter()
                .map(|(channel, payload)| Notification {
                    channel,
                    payload,
                    sender_pid,
                })
                .collect();
            hub.deliver(&ns);
        }
    }

    /// Takes the notifications delivered so far.
    pub(crate) fn take(&mut self) -> Vec<Notification> {
        self.mailbox.queue.lock().drain(..).collect()
    }

    pub(crate) fn waker(&self) -> NotificationWaker {
        NotificationWaker(self.mailbox.clone())
    }

    /// The session ends: it stops listening.
    pub(crate) fn close(&mut self, hub: &Hub) {
        if !self.channels.is_empty() {
            self.channels.clear();
            hub.set_channels(&self.mailbox, &[]);
        }
    }
}
