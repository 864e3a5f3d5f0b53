//! The sockets: UDP, one message per datagram (or several, one a line), and TCP, many
//! connections at once, each framed on its own.
//!
//! A peer can only ever lose its own connection: bad framing closes it, a parse failure is
//! handed on as a refusal, and nothing a peer sends can stop the listener.

use std::fmt;
use std::future::{pending, Future};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc::{error::TrySendError, Sender};
use tokio::task::JoinSet;

use super::frame::{Frame, Framer};
use super::parse::{parse, Message};

/// rsyslog's default, and more than any web-filter record needs.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// Beyond this many open TCP connections a new one is closed at once, so that a
/// misbehaving sender cannot use up the process's file descriptors.
const MAX_CONNECTIONS: usize = 1024;

/// After a failed accept or receive (out of file descriptors, say), so as not to spin.
const RETRY: Duration = Duration::from_millis(100);

/// Where to listen: either or both.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    /// Longer messages are refused, with a warning.
    pub max_message: usize,
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig { udp: None, tcp: None, max_message: DEFAULT_MAX_MESSAGE }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

/// One message as received: `Err` is why it is not one (to report, as a file's bad line is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub peer: SocketAddr,
    pub transport: Transport,
    pub result: Result<Message, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyslogError {
    #[error("nothing to listen on: give a UDP or a TCP address for syslog")]
    NoAddress,
    #[error("cannot listen for syslog over {transport} on {addr}: {source}{}", bind_hint(*addr, source))]
    Bind { transport: Transport, addr: SocketAddr, source: io::Error },
}

fn bind_hint(addr: SocketAddr, error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => {
            " (ports below 1024 need privileges: listen on e.g. 5514 and send the filter's syslog there)"
        }
        io::ErrorKind::AddrInUse => " (is a syslog server such as rsyslog already listening there?)",
        _ => "",
    }
}

/// What the listener has seen, for the CLI to show and tests to wait on.
#[derive(Debug, Default)]
pub struct Stats {
    received: AtomicU64,
    dropped: AtomicU64,
    malformed: AtomicU64,
    oversized: AtomicU64,
}

impl Stats {
    /// Messages received, whatever became of them.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// UDP messages dropped because the sink was full (TCP waits instead).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Messages that were not syslog, and TCP connections closed for their framing.
    pub fn malformed(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }

    /// Messages refused for being longer than the maximum.
    pub fn oversized(&self) -> u64 {
        self.oversized.load(Ordering::Relaxed)
    }

    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sockets bound and not yet served: binding first lets a caller learn the ports it got
/// (when asked for port 0) and report a bind error before anything runs.
pub struct Bound {
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    udp_addr: Option<SocketAddr>,
    tcp_addr: Option<SocketAddr>,
    max_message: usize,
    stats: Arc<Stats>,
}

pub async fn bind(config: &ListenConfig) -> Result<Bound, SyslogError> {
    if config.udp.is_none() && config.tcp.is_none() {
        return Err(SyslogError::NoAddress);
    }
    let error = |transport, addr| move |source| SyslogError::Bind { transport, addr, source };
    let (mut udp, mut udp_addr, mut tcp, mut tcp_addr) = (None, None, None, None);
    if let Some(addr) = config.udp {
        let socket = UdpSocket::bind(addr).await.map_err(error(Transport::Udp, addr))?;
        udp_addr = Some(socket.local_addr().map_err(error(Transport::Udp, addr))?);
        udp = Some(socket);
    }
    if let Some(addr) = config.tcp {
        let listener = TcpListener::bind(addr).await.map_err(error(Transport::Tcp, addr))?;
        tcp_addr = Some(listener.local_addr().map_err(error(Transport::Tcp, addr))?);
        tcp = Some(listener);
    }
    Ok(Bound { udp, tcp, udp_addr, tcp_addr, max_message: config.max_message, stats: Arc::default() })
}

/// Binds, then serves until `shutdown` completes or the sink's receiver is dropped.
pub async fn listen(
    config: ListenConfig,
    sink: Sender<Received>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SyslogError> {
    bind(&config).await?.serve(sink, shutdown).await;
    Ok(())
}

impl Bound {
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp_addr
    }

    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Hands every message to `sink` until `shutdown` completes or the sink's receiver is
    /// dropped; open connections are closed on the way out.
    pub async fn serve(self, sink: Sender<Received>, shutdown: impl Future<Output = ()>) {
        let Bound { udp, tcp, max_message, stats, .. } = self;
        let mut connections = JoinSet::new();
        let udp = async {
            match udp {
                Some(socket) => receive_datagrams(socket, &sink, &stats, max_message).await,
                None => pending().await,
            }
        };
        let tcp = async {
            match tcp {
                Some(listener) => accept(listener, &sink, &stats, max_message, &mut connections).await,
                None => pending().await,
            }
        };
        tokio::select! {
            () = shutdown => tracing::debug!("syslog listener stopping"),
            () = sink.closed() => tracing::debug!("syslog listener stopping: nothing takes its messages"),
            () = udp => {}
            () = tcp => {}
        }
        connections.shutdown().await;
    }
}

async fn receive_datagrams(socket: UdpSocket, sink: &Sender<Received>, stats: &Stats, max: usize) {
    // One byte more than the maximum tells an oversized datagram from one just fitting.
    let mut buf = vec![0u8; max.saturating_add(1).min(65_536)];
    let mut offer = Offer { sink, stats, dropping: 0 };
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(error) => {
                tracing::warn!(%error, "cannot receive syslog over UDP");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if len > max {
            if !offer.offer(received(Frame::Oversized(len), peer, Transport::Udp, stats, max)) {
                return;
            }
            continue;
        }
        // RFC 5426 has one message a datagram, but relays batch lines into one, and no
        // web-filter record spans lines.
        let blank = |line: &&[u8]| line.iter().all(|b| matches!(b, b'\r' | b'\0' | b' '));
        for line in buf[..len].split(|&b| b == b'\n').filter(|line| !blank(line)) {
            if !offer.offer(received(Frame::Message(line.to_vec()), peer, Transport::Udp, stats, max)) {
                return;
            }
        }
    }
}

/// Handing UDP messages on without waiting: UDP cannot tell the sender to slow down, so
/// what does not fit in the sink is lost, and counted.
struct Offer<'a> {
    sink: &'a Sender<Received>,
    stats: &'a Stats,
    /// Dropped since the sink last had room, to warn once a burst rather than each time.
    dropping: u64,
}

impl Offer<'_> {
    /// Whether the sink is still there.
    fn offer(&mut self, received: Received) -> bool {
        match self.sink.try_send(received) {
            Ok(()) => {
                if self.dropping > 0 {
                    tracing::info!(dropped = self.dropping, "syslog over UDP flowing again");
                    self.dropping = 0;
                }
                true
            }
            Err(TrySendError::Full(_)) => {
                Stats::count(&self.stats.dropped);
                if self.dropping == 0 {
                    tracing::warn!("syslog messages arriving faster than they are imported: dropping UDP messages");
                }
                self.dropping += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

async fn accept(
    listener: TcpListener,
    sink: &Sender<Received>,
    stats: &Arc<Stats>,
    max: usize,
    connections: &mut JoinSet<()>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((_, peer)) if connections.len() >= MAX_CONNECTIONS => {
                    tracing::warn!(%peer, "syslog connection refused: {MAX_CONNECTIONS} already open");
                }
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "syslog connection opened");
                    connections.spawn(connection(stream, peer, sink.clone(), Arc::clone(stats), max));
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a syslog connection");
                    tokio::time::sleep(RETRY).await;
                }
            },
            Some(ended) = connections.join_next() => {
                if let Err(error) = ended {
                    tracing::error!(%error, "a syslog connection failed");
                }
            }
        }
    }
}

async fn connection(mut stream: TcpStream, peer: SocketAddr, sink: Sender<Received>, stats: Arc<Stats>, max: usize) {
    let mut framer = Framer::new(max);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            match framer.next() {
                // Waiting for room in the sink stops reading, so TCP makes the sender wait.
                Ok(Some(frame)) => {
                    if sink.send(received(frame, peer, Transport::Tcp, &stats, max)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(reason) => return refuse_stream(peer, &stats, &reason),
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) => break,
            Ok(len) => framer.push(&chunk[..len]),
            Err(error) => {
                tracing::debug!(%peer, %error, "syslog connection failed");
                return;
            }
        }
    }
    match framer.finish() {
        Ok(Some(frame)) => {
            let _ = sink.send(received(frame, peer, Transport::Tcp, &stats, max)).await;
        }
        Ok(None) => {}
        Err(reason) => return refuse_stream(peer, &stats, &reason),
    }
    tracing::debug!(%peer, "syslog connection closed");
}

fn refuse_stream(peer: SocketAddr, stats: &Stats, reason: &str) {
    Stats::count(&stats.malformed);
    tracing::warn!(%peer, "syslog connection closed: {reason}");
}

fn received(frame: Frame, peer: SocketAddr, transport: Transport, stats: &Stats, max: usize) -> Received {
    Stats::count(&stats.received);
    let result = match frame {
        Frame::Message(bytes) => parse(&bytes).inspect_err(|_| Stats::count(&stats.malformed)),
        Frame::Oversized(len) => {
            Stats::count(&stats.oversized);
            tracing::warn!(%peer, %transport, "syslog message of {len} bytes or more refused: the maximum is {max}");
            Err(format!("a message of {len} bytes or more, beyond the maximum of {max}"))
        }
    };
    Received { peer, transport, result }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::sync::{mpsc, oneshot};
    use tokio::task::JoinHandle;

    /// Only ever a guard against a hang, never part of what is asserted.
    const GUARD: Duration = Duration::from_secs(10);

    struct Running {
        udp: SocketAddr,
        tcp: SocketAddr,
        messages: mpsc::Receiver<Received>,
        stats: Arc<Stats>,
        stop: oneshot::Sender<()>,
        served: JoinHandle<()>,
    }

    async fn start(capacity: usize, max_message: usize) -> Running {
        let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
        let bound =
            bind(&ListenConfig { udp: Some(localhost), tcp: Some(localhost), max_message }).await.expect("bind");
        let (udp, tcp) = (bound.udp_addr().expect("udp"), bound.tcp_addr().expect("tcp"));
        let stats = bound.stats();
        let (sink, messages) = mpsc::channel(capacity);
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(bound.serve(sink, async {
            let _ = stopped.await;
        }));
        Running { udp, tcp, messages, stats, stop, served }
    }

    impl Running {
        async fn next(&mut self) -> Received {
            let received = tokio::time::timeout(GUARD, self.messages.recv()).await.expect("a message in time");
            received.expect("the listener still running")
        }

        async fn body(&mut self) -> String {
            self.next().await.result.expect("a syslog message").body
        }
    }

    async fn connect(addr: SocketAddr) -> TcpStream {
        TcpStream::connect(addr).await.expect("connect")
    }

    #[tokio::test]
    async fn a_datagram_is_a_message_or_several() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.expect("client socket");
        client.send_to(b"<189>date=2026-03-12 time=10:15:00 action=\"blocked\"", running.udp).await.expect("send");
        let received = running.next().await;
        assert_eq!(received.peer, client.local_addr().expect("client address"));
        assert_eq!(received.transport, Transport::Udp);
        let message = received.result.expect("parsed");
        assert_eq!(message.body, "date=2026-03-12 time=10:15:00 action=\"blocked\"");
        assert_eq!(message.priority, Some(crate::syslog::Priority { facility: 23, severity: 5 }));

        client.send_to(b"<13>a=1\r\n\n<13>Mar 12 10:15:00 fw01 b=2\n", running.udp).await.expect("send");
        assert_eq!(running.body().await, "a=1");
        assert_eq!(running.body().await, "b=2");
        client.send_to(b"<999>not syslog", running.udp).await.expect("send");
        assert!(running.next().await.result.is_err_and(|e| e.contains("0 to 191")));
        assert_eq!((running.stats.received(), running.stats.malformed()), (4, 1));
    }

    #[tokio::test]
    async fn tcp_octet_counting_whole_and_split() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let mut client = connect(running.tcp).await;
        client.write_all(b"11 <13>x=1 a=b12 <13>y=22 c=d").await.expect("write");
        let first = running.next().await;
        assert_eq!(first.transport, Transport::Tcp);
        assert_eq!(first.peer, client.local_addr().expect("client address"));
        assert_eq!(first.result.expect("parsed").body, "x=1 a=b");
        assert_eq!(running.body().await, "y=22 c=d");

        client.write_all(b"28 <30>Mar 12 10:15:00 fw").await.expect("write");
        client.write_all(b"01 s=1").await.expect("write");
        let split = running.next().await.result.expect("parsed");
        assert_eq!((split.hostname.as_deref(), split.body.as_str()), (Some("fw01"), "s=1"));
    }

    #[tokio::test]
    async fn tcp_split_after_a_whole_message() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let mut client = connect(running.tcp).await;
        client.write_all(b"11 <13>x=1 a=b16 <13>split=").await.expect("write");
        assert_eq!(running.body().await, "x=1 a=b");
        // The listener has read past the first message, so it holds half of the second.
        client.write_all(b"yes ok").await.expect("write");
        assert_eq!(running.body().await, "split=yes ok");
    }

    #[tokio::test]
    async fn tcp_lf_and_nul_framing() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let mut client = connect(running.tcp).await;
        client.write_all(b"<189>a=1\r\n<189>b=2\0<189>c=").await.expect("write");
        client.write_all(b"3\n<189>unended").await.expect("write");
        drop(client);
        for body in ["a=1", "b=2", "c=3", "unended"] {
            assert_eq!(running.body().await, body);
        }
    }

    #[tokio::test]
    async fn garbage_closes_only_its_own_connection() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let mut good = connect(running.tcp).await;
        let mut bad = connect(running.tcp).await;
        bad.write_all(b"999999999999 x").await.expect("write");
        let mut buf = [0u8; 16];
        // Closed: the end of the stream, or a reset if our bytes were still unread.
        let read = tokio::time::timeout(GUARD, bad.read(&mut buf)).await.expect("closed in time");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        assert_eq!(running.stats.malformed(), 1);

        good.write_all(b"<13>still=listening\n").await.expect("write");
        assert_eq!(running.body().await, "still=listening");
        let mut late = connect(running.tcp).await;
        late.write_all(b"<13>new=connection\n").await.expect("write");
        assert_eq!(running.body().await, "new=connection");
    }

    #[tokio::test]
    async fn oversized_messages_are_refused_and_the_rest_kept() {
        let mut running = start(16, 64).await;
        let mut client = connect(running.tcp).await;
        client.write_all(&[b'x'; 100]).await.expect("write");
        client.write_all(b"\n<13>after=1\n").await.expect("write");
        assert!(running.next().await.result.is_err_and(|e| e.contains("beyond the maximum of 64")));
        assert_eq!(running.body().await, "after=1");

        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("client socket");
        udp.send_to(&[b'y'; 100], running.udp).await.expect("send");
        assert!(running.next().await.result.is_err_and(|e| e.contains("beyond the maximum of 64")));
        assert_eq!(running.stats.oversized(), 2);
    }

    #[tokio::test]
    async fn udp_drops_what_the_sink_has_no_room_for() {
        let mut running = start(1, DEFAULT_MAX_MESSAGE).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.expect("client socket");
        for body in ["a=1", "b=2", "c=3"] {
            client.send_to(format!("<13>{body}").as_bytes(), running.udp).await.expect("send");
        }
        let stats = Arc::clone(&running.stats);
        tokio::time::timeout(GUARD, async {
            while stats.received() < 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("all three received in time");
        assert_eq!(stats.dropped(), 2);
        assert_eq!(running.body().await, "a=1");
    }

    #[tokio::test]
    async fn shutdown_stops_the_listener_and_closes_connections() {
        let mut running = start(16, DEFAULT_MAX_MESSAGE).await;
        let mut client = connect(running.tcp).await;
        client.write_all(b"<13>before=1\n").await.expect("write");
        assert_eq!(running.body().await, "before=1");

        running.stop.send(()).expect("listener running");
        tokio::time::timeout(GUARD, running.served).await.expect("stopped in time").expect("no panic");
        // Every sender is gone, the connections' too.
        assert!(tokio::time::timeout(GUARD, running.messages.recv()).await.expect("in time").is_none());
        assert!(TcpStream::connect(running.tcp).await.is_err());
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(GUARD, client.read(&mut buf)).await.expect("closed in time");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }

    #[tokio::test]
    async fn dropping_the_receiver_stops_the_listener() {
        let running = start(16, DEFAULT_MAX_MESSAGE).await;
        drop(running.messages);
        tokio::time::timeout(GUARD, running.served).await.expect("stopped in time").expect("no panic");
    }

    #[tokio::test]
    async fn bind_errors_name_the_address() {
        assert!(matches!(bind(&ListenConfig::default()).await, Err(SyslogError::NoAddress)));
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = taken.local_addr().expect("address");
        let error = bind(&ListenConfig { tcp: Some(addr), ..ListenConfig::default() }).await.err().expect("in use");
        let message = error.to_string();
        assert!(message.contains(&format!("over TCP on {addr}")) && message.contains("rsyslog"), "{message}");

        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let addr = SocketAddr::from(([0, 0, 0, 0], 514));
        let message = SyslogError::Bind { transport: Transport::Udp, addr, source: denied }.to_string();
        assert!(message.contains("over UDP on 0.0.0.0:514") && message.contains("e.g. 5514"), "{message}");
    }
}
