//! Where a webhook may be sent: https to a public address, or loopback when the server allows
//! insecure webhooks (the demo and tests). A URL is checked without any network call when it is
//! registered, and every address its host resolves to is checked again at delivery time, right
//! before connecting to that very address ([`GuardedResolver`]), so a name that resolved to a
//! public address at registration cannot be rebound to an internal one later.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("not a valid absolute URL")]
    Malformed,
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the URL must use https")]
    NotHttps,
    #[error(
        "plain http is allowed only to loopback (127.0.0.1, ::1, localhost) with insecure webhooks on"
    )]
    InsecureNotLoopback,
    #[error("{0} is a private, loopback, link-local or otherwise internal address")]
    Internal(IpAddr),
    #[error("the host resolves to no address that may be called")]
    NoAllowedAddress,
}

/// The server's rule for webhook destinations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// `allow_insecure_webhooks`: loopback allowed, over http too.
    pub allow_insecure: bool,
}

impl AddressPolicy {
    /// Checks a URL as given, without resolving its host.
    pub fn check_url(&self, raw: &str) -> Result<Url, AddressError> {
        if raw.len() > MAX_URL_LEN {
            return Err(AddressError::TooLong);
        }
        let url = Url::parse(raw).map_err(|_| AddressError::Malformed)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AddressError::Credentials);
        }
        let host = url.host().ok_or(AddressError::Malformed)?;
        let loopback_name = matches!(&host, Host::Domain(name) if is_localhost(name));
        let literal = match host {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        };
        let loopback = loopback_name || literal.is_some_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure && loopback => {}
            "http" if self.allow_insecure => return Err(AddressError::InsecureNotLoopback),
            "http" => return Err(AddressError::NotHttps),
            _ => return Err(AddressError::Malformed),
        }
        if loopback_name && !self.allow_insecure {
            return Err(AddressError::Internal(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
        if let Some(ip) = literal {
            self.check_ip(ip)?;
        }
        Ok(url)
    }

    /// Whether `ip` may be called.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), AddressError> {
        let ip = canonical(ip);
        if ip.is_loopback() && self.allow_insecure {
            return Ok(());
        }
        if is_internal(ip) {
            return Err(AddressError::Internal(ip));
        }
        Ok(())
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// An IPv4 address carried in IPv6 (`::ffff:a.b.c.d`) is judged as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Every range that is not the public internet.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64, could reach internal IPv4
        || ip.to_ipv4().is_some_and(is_internal_v4) // IPv4-compatible and -mapped forms
}

/// The DNS resolver of the delivery client: resolves as usual, then keeps only addresses the
/// policy allows, so the connection goes to a checked address and nowhere else.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    pub policy: AddressPolicy,
    /// Names answered from this table instead of DNS, as a hosts file does (empty unless a test
    /// sets it; what a name maps to is still checked against the policy like any answer).
    hosts: Arc<BTreeMap<String, Vec<IpAddr>>>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        let pinned = self.hosts.get(&host.to_ascii_lowercase()).cloned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = match pinned {
                Some(ips) => ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| policy.check_ip(addr.ip()).is_ok())
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(AddressError::NoAllowedAddress)
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn new(policy: AddressPolicy) -> Self {
        Self {
            policy,
            hosts: Arc::default(),
        }
    }

    /// The same resolver, answering `name` with `ips` (a hosts-file line) instead of asking DNS:
    /// how a test makes a name resolve to an internal address without a DNS server.
    pub fn with_host(mut self, name: &str, ips: &[IpAddr]) -> Self {
        Arc::make_mut(&mut self.hosts).insert(name.to_ascii_lowercase(), ips.to_vec());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: AddressPolicy = AddressPolicy {
        allow_insecure: false,
    };
    const INSECURE: AddressPolicy = AddressPolicy {
        allow_insecure: true,
    };

    #[test]
    fn https_to_a_public_host_is_accepted_without_resolving_it() {
        assert!(
            STRICT
                .check_url("https://hooks.clinic.example/voxanne")
                .is_ok()
        );
        assert!(STRICT.check_url("https://93.184.216.34/x").is_ok());
    }

    #[test]
    fn plain_http_is_refused_unless_insecure_and_loopback() {
        assert_eq!(
            STRICT.check_url("http://hooks.example/x"),
            Err(AddressError::NotHttps)
        );
        assert_eq!(
            INSECURE.check_url("http://hooks.example/x"),
            Err(AddressError::InsecureNotLoopback)
        );
        assert!(INSECURE.check_url("http://127.0.0.1:9000/x").is_ok());
        assert!(INSECURE.check_url("http://[::1]:9000/x").is_ok());
        assert!(INSECURE.check_url("http://localhost:9000/x").is_ok());
    }

    #[test]
    fn internal_literals_are_refused_even_over_https() {
        for url in [
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://localhost/x",
        ] {
            assert!(STRICT.check_url(url).is_err(), "{url}");
        }
        assert!(INSECURE.check_url("https://10.1.2.3/x").is_err());
        assert!(INSECURE.check_url("https://169.254.169.254/x").is_err());
    }

    #[test]
    fn credentials_in_the_url_and_other_schemes_are_refused() {
        assert_eq!(
            STRICT.check_url("https://user:pw@hooks.example/x"),
            Err(AddressError::Credentials)
        );
        assert!(STRICT.check_url("ftp://hooks.example/x").is_err());
        assert!(STRICT.check_url("not a url").is_err());
    }
}
