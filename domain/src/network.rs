//! Client addresses behind proxies. The address every throttle and audit row uses is the TCP
//! peer, unless the peer is a trusted proxy (`KEYWARD_TRUSTED_PROXIES`): then the forwarding
//! headers are read from the right, and the first hop that is not itself a trusted proxy is
//! the client. A client can prepend anything it likes to those headers, so nothing left of
//! the rightmost untrusted hop is ever believed.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IP network: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}` has an invalid prefix length"))?,
        };
        Ok(Cidr {
            network: canonical(network),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
                IpAddr::V6(v6) => u128::from(v6),
            }
        };
        let ip = canonical(ip);
        if ip.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        if self.prefix == 0 {
            return true;
        }
        // IPv4 sits in the top 32 bits, so one mask of the top `prefix` bits serves both.
        let mask = u128::MAX << (128 - u32::from(self.prefix));
        bits(ip) & mask == bits(self.network) & mask
    }
}

/// The proxies whose forwarding headers are believed. Empty (the default): none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses a list of CIDR ranges or addresses; the first bad entry is the error.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<TrustedProxies, String> {
        entries
            .into_iter()
            .filter(|e| !e.trim().is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client's address: `peer`, or, when `peer` is trusted, the rightmost hop of
    /// `Forwarded` (else `X-Forwarded-For`) that is not trusted. A hop that does not parse
    /// stops the walk at the trusted hop after it.
    pub fn client_address(
        &self,
        peer: IpAddr,
        forwarded: Option<&str>,
        forwarded_for: Option<&str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = match (forwarded, forwarded_for) {
            (Some(f), _) => f.split(',').map(forwarded_for_param).collect(),
            (None, Some(x)) => x.split(',').map(|h| parse_hop(h.trim())).collect(),
            (None, None) => return peer,
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// The `for=` address of one `Forwarded` element (RFC 7239).
fn forwarded_for_param(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_hop(v.trim().trim_matches('"')))
            .flatten()
    })
}

/// `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The network an address belongs to for "used from a new place" alerts: its /24 for IPv4,
/// its /64 for IPv6 (what one site or one provider's customer typically holds).
pub fn site_of(ip: IpAddr) -> String {
    let (prefix, ip) = match ip.to_canonical() {
        v4 @ IpAddr::V4(_) => (24, v4),
        v6 => (64, v6),
    };
    Cidr {
        network: ip,
        prefix,
    }
    .masked()
    .to_string()
}

/// The networks a key may be used from (DESIGN "Allowed networks"); empty: anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<Cidr>);

impl Allowlist {
    /// At most this many ranges per key.
    pub const MAX: usize = 32;

    /// One range per line (commas and spaces separate too); a blank text is anywhere. A range
    /// wider than a /8 (IPv4) or a /16 (IPv6) is refused: it limits nothing worth a list.
    pub fn parse(text: &str) -> Result<Allowlist, String> {
        let mut ranges: Vec<Cidr> = Vec::new();
        for entry in text.split(|c: char| c == ',' || c.is_whitespace()) {
            if entry.is_empty() {
                continue;
            }
            let cidr: Cidr = entry.parse()?;
            let floor = if cidr.network.is_ipv4() { 8 } else { 16 };
            if cidr.prefix < floor {
                return Err(format!(
                    "`{entry}` allows too much of the internet to mean anything: use ranges of /{floor} or narrower, or leave the list empty for anywhere"
                ));
            }
            // Stored by its network address, so `10.1.2.3/8` is kept as `10.0.0.0/8`.
            let cidr = cidr.masked();
            if !ranges.contains(&cidr) {
                ranges.push(cidr);
            }
        }
        if ranges.len() > Self::MAX {
            return Err(format!(
                "At most {} networks per key; combine them into wider ranges.",
                Self::MAX
            ));
        }
        Ok(Allowlist(ranges))
    }

    /// Whether a request from `ip` may use the key: any address when the list is empty.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.0.is_empty() || self.0.iter().any(|c| c.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored and displayed form: the ranges separated by spaces.
    pub fn to_storage(&self) -> String {
        self.ranges().join(" ")
    }

    /// The ranges, as written back to a form (one per line).
    pub fn ranges(&self) -> Vec<String> {
        self.0.iter().map(Cidr::to_string).collect()
    }

    /// What was stored by [`Self::to_storage`]; an unreadable entry (never written) allows
    /// nothing rather than everything.
    pub fn from_storage(s: &str) -> Allowlist {
        Allowlist::parse(s).unwrap_or_else(|_| {
            Allowlist(vec![Cidr {
                network: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                prefix: 128,
            }])
        })
    }
}

impl Cidr {
    /// The same range with the host bits cleared.
    fn masked(self) -> Cidr {
        let network = match self.network {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        };
        Cidr { network, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_they_say() {
        let ten: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.1.2.3")));
        assert!(ten.contains(ip("::ffff:10.1.2.3")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(!ten.contains(ip("::1")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "::/129", "10.0.0.0/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse(["10.0.0.0/8", "192.168.1.1"]).unwrap();
        let proxy = ip("10.0.0.5");
        // (peer, Forwarded, X-Forwarded-For, expected client)
        let cases: [(IpAddr, Option<&str>, Option<&str>, &str); 9] = [
            // Not from a trusted proxy: headers are ignored.
            (ip("203.0.113.7"), None, Some("198.51.100.1"), "203.0.113.7"),
            (proxy, None, Some("198.51.100.1"), "198.51.100.1"),
            // A client-supplied prefix is not believed.
            (proxy, None, Some("1.1.1.1, 198.51.100.1"), "198.51.100.1"),
            // Several trusted hops are skipped.
            (
                proxy,
                None,
                Some("198.51.100.1, 192.168.1.1, 10.9.9.9"),
                "198.51.100.1",
            ),
            (
                proxy,
                Some("for=198.51.100.2;proto=https"),
                Some("1.1.1.1"),
                "198.51.100.2",
            ),
            (
                proxy,
                Some(r#"for="[2001:db8::7]:4711""#),
                None,
                "2001:db8::7",
            ),
            (
                proxy,
                Some("for=192.0.2.60:8080, for=10.0.0.9"),
                None,
                "192.0.2.60",
            ),
            // An unparseable hop stops at the trusted hop after it.
            (proxy, None, Some("garbage, 10.0.0.9"), "10.0.0.9"),
            (proxy, None, None, "10.0.0.5"),
        ];
        for (peer, forwarded, xff, expected) in cases {
            assert_eq!(
                trusted.client_address(peer, forwarded, xff),
                ip(expected),
                "{peer} {forwarded:?} {xff:?}"
            );
        }
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(proxy, None, Some("198.51.100.1")),
            proxy
        );
    }

    #[test]
    fn an_allowlist_limits_a_key_to_its_networks() {
        let list = Allowlist::parse("10.1.2.3/8\n2001:db8::/32, 192.0.2.7").unwrap();
        assert_eq!(list.to_storage(), "10.0.0.0/8 2001:db8::/32 192.0.2.7/32");
        assert_eq!(Allowlist::from_storage(&list.to_storage()), list);
        for (ip, allowed) in [
            ("10.200.0.1", true),
            ("::ffff:10.0.0.1", true),
            ("11.0.0.1", false),
            ("2001:db8:1::1", true),
            ("2001:db9::1", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
        ] {
            assert_eq!(list.allows(ip.parse().unwrap()), allowed, "{ip}");
        }
        let anywhere = Allowlist::parse(" \n ").unwrap();
        assert!(anywhere.is_empty() && anywhere.allows("203.0.113.9".parse().unwrap()));
        assert!(!Allowlist::from_storage("garbage").allows("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn sites_are_a_slash_24_or_a_slash_64() {
        assert_eq!(site_of("198.51.100.77".parse().unwrap()), "198.51.100.0/24");
        assert_eq!(site_of("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.0/24");
        assert_eq!(
            site_of("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn bad_or_meaningless_ranges_are_named() {
        for (text, says) in [
            ("0.0.0.0/0", "allows too much"),
            ("::/0", "allows too much"),
            ("10.0.0.0/7", "allows too much"),
            ("10.0.0.300/8", "is not an IP address"),
            ("10.0.0.0/33", "invalid prefix length"),
            ("example.com", "is not an IP address"),
        ] {
            let e = Allowlist::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        let many: Vec<String> = (0..33).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(Allowlist::parse(&many.join("\n"))
            .unwrap_err()
            .contains("At most 32"));
    }
}
