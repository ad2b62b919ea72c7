//! Requests counted per client address in fixed windows: verification lookups and web
//! sign-ins, whose answers must not be guessable by trying.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; past this, windows that ended are forgotten, and while
/// none has, the oldest window goes: a flood of addresses never makes new ones share a
/// window it has used up.
const MAX_CLIENTS: usize = 10_000;

/// At most `per_window` requests a minute from one client address.
pub struct PerAddress {
    per_window: u32,
    clients: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl PerAddress {
    pub fn per_minute(per_window: u32) -> PerAddress {
        PerAddress {
            per_window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; the seconds to wait when the client has used its window up.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        // An IPv6 client commonly holds a whole /64: it counts as one address. An IPv4
        // client on a dual-stack socket (`::ffff:a.b.c.d`) is its IPv4 address.
        let client = client.map(|ip| match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
            v4 => v4,
        });
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if clients.len() >= MAX_CLIENTS
                && let Some(oldest) = clients
                    .iter()
                    .min_by_key(|(_, (start, _))| *start)
                    .map(|(k, _)| *k)
            {
                clients.remove(&oldest);
            }
        }
        let (start, count) = clients.entry(client).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_window {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_limited_per_address() {
        let limit = PerAddress::per_minute(30);
        let a: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let b: Option<IpAddr> = Some("192.0.2.2".parse().unwrap());
        for _ in 0..30 {
            assert!(limit.admit(a).is_ok());
        }
        let wait = limit.admit(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limit.admit(b).is_ok(), "another address has its own window");
        // The addresses of one IPv6 /64 share a window.
        let v6 = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        for _ in 0..30 {
            assert!(limit.admit(v6("2001:db8:1:2::1")).is_ok());
        }
        assert!(limit.admit(v6("2001:db8:1:2:ffff::9")).is_err());
        assert!(limit.admit(v6("2001:db8:1:3::1")).is_ok());
        // IPv4 clients of a dual-stack socket keep their own windows, apart from ::1.
        let limit = PerAddress::per_minute(1);
        assert!(limit.admit(v6("::ffff:192.0.2.7")).is_ok());
        assert!(limit.admit(v6("::ffff:192.0.2.8")).is_ok());
        assert!(limit.admit(v6("::1")).is_ok());
        assert!(limit.admit(v6("::ffff:192.0.2.7")).is_err());
    }

    #[test]
    fn a_flood_of_addresses_does_not_lock_out_a_new_one() {
        let limit = PerAddress::per_minute(1);
        for i in 0..(MAX_CLIENTS as u32 + 50) {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            let _ = limit.admit(Some(IpAddr::V4(ip)));
            let _ = limit.admit(Some(IpAddr::V4(ip)));
        }
        assert!(limit.admit(Some("192.0.2.99".parse().unwrap())).is_ok());
    }
}
