//! Workspace webhooks: which events exist, where the settings live, and which targets are
//! acceptable (http or https, and — unless the operator allows it — never an address inside
//! the server's own networks, so a webhook cannot be pointed at internal services).

use std::net::IpAddr;

/// Settings → Webhooks.
pub const WEBHOOKS_PAGE: &str = "/settings/webhooks";
/// Where "Add webhook" posts (answered with the signing secret, once).
pub const ADD_PATH: &str = "/settings/webhooks/add";
/// Where a webhook's "Delete" posts.
pub const DELETE_PATH: &str = "/settings/webhooks/delete";

/// The header that carries a delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA-256 of
/// "<t>.<body>" under the webhook's signing secret>`.
pub const SIGNATURE_HEADER: &str = "keyward-signature";

/// What a webhook can receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    KeyExpiring,
    KeyExpired,
    KeyRevoked,
    KeyLeaked,
    KeyRotationCompleted,
    KeyNewAddress,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Event::KeyExpiring,
        Event::KeyExpired,
        Event::KeyRevoked,
        Event::KeyLeaked,
        Event::KeyRotationCompleted,
        Event::KeyNewAddress,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Event::KeyExpiring => "key.expiring",
            Event::KeyExpired => "key.expired",
            Event::KeyRevoked => "key.revoked",
            Event::KeyLeaked => "key.leaked",
            Event::KeyRotationCompleted => "key.rotation_completed",
            Event::KeyNewAddress => "key.new_address",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Event::KeyExpiring => "A key expires within 7 days, and again within 1 day",
            Event::KeyExpired => "A key expired",
            Event::KeyRevoked => "A key or one of its rotated-out secrets was revoked",
            Event::KeyLeaked => "A key was reported or marked as leaked",
            Event::KeyRotationCompleted => {
                "A rotated key's new secret was first used and the old one stopped"
            }
            Event::KeyNewAddress => "A key was used from a network it had not been used from",
        }
    }

    pub fn parse(id: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.id() == id.trim())
    }
}

/// A webhook's target, checked for its form: `http` or `https`, a host, no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// The scheme and host, without the path or query: what an audit event names, since a
    /// receiver's URL path often carries its own secret.
    pub fn origin(&self) -> String {
        let scheme = self
            .url
            .split("://")
            .next()
            .unwrap_or("https")
            .to_ascii_lowercase();
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}", self.port)
    }

    pub fn parse(raw: &str) -> Result<Target, String> {
        let url = raw.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("The URL must start with https:// or http://.")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err("The URL must start with https:// or http://.".into()),
        };
        if url.len() > 2_000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("The URL has spaces or is too long.".into());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err("Put no user name or password in the URL.".into());
        }
        let (host, port) = match authority.strip_prefix('[') {
            // [IPv6]:port
            Some(v6) => {
                let (h, after) = v6.split_once(']').ok_or("The URL's host is not valid.")?;
                (h.to_string(), after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            },
        };
        if host.is_empty() {
            return Err("The URL has no host.".into());
        }
        let port = match port {
            None => default_port,
            Some(p) => p.parse().map_err(|_| "The URL's port is not valid.")?,
        };
        Ok(Target {
            url: url.to_string(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// Whether `ip` is inside the server's own networks rather than the internet: loopback,
/// private, link-local (cloud metadata), unique-local, unspecified, shared or documentation.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b)) // shared address space
                || a == 0
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_http_or_https_with_a_host_and_no_credentials() {
        let t = Target::parse(" https://hooks.example.com/keyward?x=1 ").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("hooks.example.com", 443));
        assert_eq!(t.origin(), "https://hooks.example.com:443");
        let t = Target::parse("http://[::1]:8080/in").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(t.origin(), "http://[::1]:8080");
        let t = Target::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9));
        for (bad, says) in [
            ("ftp://example.com", "https://"),
            ("example.com/hook", "https://"),
            ("https://user:pw@example.com", "no user name"),
            ("https:///path", "no host"),
            ("https://example.com:99999/", "port"),
            ("https://exa mple.com/", "spaces"),
        ] {
            let e = Target::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
