//! A syslog listener for filters that stream their logs.
//!
//! Many schools' firewalls (FortiGate, Sophos and others) are set up to send each
//! web-filter record to a syslog target as it happens, and never export a file. This
//! module receives those messages over UDP and TCP (RFC 6587 framing), takes the syslog
//! header off, and hands on the record itself: the same text the vendor writes to an
//! exported file, so a record gets the same event id however it arrived.

mod frame;
mod listen;
mod parse;

pub use listen::{bind, listen, Bound, ListenConfig, Received, Stats, SyslogError, Transport, DEFAULT_MAX_MESSAGE};
pub use parse::{parse, Message, Priority};
