//! Endpoint safety: which URLs and addresses a delivery may go to.
//!
//! The real senders only deliver to public HTTPS URLs; so does this one by
//! default. The host is resolved here, every address it resolves to is
//! vetted, and the HTTP client is then pinned to exactly those addresses, so
//! a second DNS answer (DNS rebinding) cannot slip a private address in
//! between the check and the connection.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// The kind of a non-public address, and why it is refused by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `0.0.0.0/8`: "this network".
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16` (RFC 1918).
    Private,
    /// `100.64.0.0/10`: carrier-grade NAT (RFC 6598).
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10` (cloud metadata services live here).
    LinkLocal,
    /// `fc00::/7` (RFC 4193), and the deprecated site-local `fec0::/10`.
    UniqueLocal,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`: benchmarking.
    Benchmarking,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Everything else that is not public unicast: `240.0.0.0/4`,
    /// `192.0.0.0/24`, IPv6 outside `2000::/3`, Teredo, ORCHID, IPv4-compatible
    /// IPv6 with a public IPv4 inside.
    Reserved,
}

impl AddressClass {
    /// A short human description, such as `loopback`.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::ThisNetwork => "\"this network\" (0.0.0.0/8)",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::SharedAddressSpace => "shared address space (carrier-grade NAT)",
            Self::LinkLocal => "link-local",
            Self::UniqueLocal => "unique-local",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// Classifies an address: `None` for a public unicast address, else its class.
///
/// IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
/// judged by the IPv4 address inside, so `::ffff:127.0.0.1` is loopback.
///
/// ```
/// use hookseal_sender::{AddressClass, classify};
/// assert_eq!(classify("169.254.169.254".parse()?), Some(AddressClass::LinkLocal));
/// assert_eq!(classify("::ffff:10.0.0.1".parse()?), Some(AddressClass::Private));
/// assert_eq!(classify("93.184.215.14".parse()?), None);
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[must_use]
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: u32, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    ip & mask == u32::from_be_bytes(net) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass as C;
    let bits = u32::from(ip);
    let table: [([u8; 4], u32, AddressClass); 17] = [
        ([0, 0, 0, 0], 32, C::Unspecified),
        ([255, 255, 255, 255], 32, C::Broadcast),
        ([0, 0, 0, 0], 8, C::ThisNetwork),
        ([127, 0, 0, 0], 8, C::Loopback),
        ([10, 0, 0, 0], 8, C::Private),
        ([172, 16, 0, 0], 12, C::Private),
        ([192, 168, 0, 0], 16, C::Private),
        ([100, 64, 0, 0], 10, C::SharedAddressSpace),
        ([169, 254, 0, 0], 16, C::LinkLocal),
        ([192, 0, 2, 0], 24, C::Documentation),
        ([198, 51, 100, 0], 24, C::Documentation),
        ([203, 0, 113, 0], 24, C::Documentation),
        ([198, 18, 0, 0], 15, C::Benchmarking),
        ([224, 0, 0, 0], 4, C::Multicast),
        ([240, 0, 0, 0], 4, C::Reserved),
        ([192, 0, 0, 0], 24, C::Reserved),
        // 6to4 relay anycast (deprecated, RFC 7526).
        ([192, 88, 99, 0], 24, C::Reserved),
    ];
    table.iter().find(|(net, prefix, _)| in_v4(bits, *net, *prefix)).map(|(_, _, class)| *class)
}

fn in_v6(ip: u128, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    ip & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// The IPv4 address in the low 32 bits.
fn low_v4(ip: u128) -> Ipv4Addr {
    // Truncation to the low 32 bits is the point.
    #[allow(clippy::cast_possible_truncation)]
    Ipv4Addr::from(ip as u32)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass as C;
    let bits = u128::from(ip);
    if bits == 0 {
        return Some(C::Unspecified);
    }
    if bits == 1 {
        return Some(C::Loopback);
    }
    // IPv4-mapped ::ffff:a.b.c.d: the kernel connects to the IPv4 address.
    if in_v6(bits, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return classify_v4(low_v4(bits));
    }
    // IPv4-compatible ::a.b.c.d (deprecated): never a legitimate public destination.
    if in_v6(bits, [0; 8], 96) {
        return Some(classify_v4(low_v4(bits)).unwrap_or(C::Reserved));
    }
    // NAT64 well-known prefix: a gateway forwards to the IPv4 address inside.
    if in_v6(bits, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return classify_v4(low_v4(bits));
    }
    // 6to4: 2002:AABB:CCDD::/48 reaches AA.BB.CC.DD.
    if in_v6(bits, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        #[allow(clippy::cast_possible_truncation)]
        let inner = Ipv4Addr::from((bits >> 80) as u32);
        return classify_v4(inner);
    }
    let table: [([u16; 8], u32, AddressClass); 9] = [
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, C::Multicast),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, C::LinkLocal),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, C::UniqueLocal),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, C::UniqueLocal),
        ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32, C::Documentation),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, C::Documentation),
        ([0x2001, 0x0002, 0, 0, 0, 0, 0, 0], 48, C::Benchmarking),
        // Teredo tunnels and ORCHID identifiers are not destinations.
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, C::Reserved),
        ([0x2001, 0x0010, 0, 0, 0, 0, 0, 0], 27, C::Reserved),
    ];
    if let Some((_, _, class)) = table.iter().find(|(net, prefix, _)| in_v6(bits, *net, *prefix)) {
        return Some(*class);
    }
    // Only 2000::/3 is allocated as global unicast; anything else is reserved
    // (the local-use NAT64 prefix 64:ff9b:1::/48, discard-only 100::/64, …).
    if in_v6(bits, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) { None } else { Some(C::Reserved) }
}

/// Which endpoints a sender may deliver to.
///
/// The default, [`EndpointPolicy::strict`], is what the real senders enforce:
/// HTTPS only, and every address the host resolves to must be public (see
/// [`classify`]). Local development opts out by name:
///
/// ```
/// use hookseal_sender::EndpointPolicy;
/// let dev = EndpointPolicy::allow_insecure_local_for_development();
/// assert_eq!(dev, EndpointPolicy::strict().allow_http().allow_loopback());
/// assert!(dev.check_url(&"http://127.0.0.1:8080/hook".parse()?).is_ok());
/// assert!(EndpointPolicy::strict().check_url(&"http://127.0.0.1:8080/hook".parse()?).is_err());
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointPolicy {
    allow_http: bool,
    allow_loopback: bool,
    allow_private: bool,
}

impl Default for EndpointPolicy {
    fn default() -> Self {
        Self::strict()
    }
}

impl EndpointPolicy {
    /// HTTPS to public addresses only: the default.
    #[must_use]
    pub const fn strict() -> Self {
        Self { allow_http: false, allow_loopback: false, allow_private: false }
    }

    /// **For local development and tests only.** Plain `http://` and loopback
    /// addresses (`127.0.0.0/8`, `::1`, `localhost`) are allowed; every other
    /// non-public address is still refused.
    #[must_use]
    pub const fn allow_insecure_local_for_development() -> Self {
        Self::strict().allow_http().allow_loopback()
    }

    /// Also allows plain `http://` URLs (the body and signature then travel in clear).
    #[must_use]
    pub const fn allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Also allows loopback addresses.
    #[must_use]
    pub const fn allow_loopback(mut self) -> Self {
        self.allow_loopback = true;
        self
    }

    /// Also allows private networks (`10/8`, `172.16/12`, `192.168/16`,
    /// `fc00::/7`), for senders whose receivers live on an internal network.
    /// Link-local (cloud metadata), CGNAT and every other class stay refused.
    #[must_use]
    pub const fn allow_private_networks(mut self) -> Self {
        self.allow_private = true;
        self
    }

    /// Whether plain `http://` is allowed.
    #[must_use]
    pub const fn allows_http(&self) -> bool {
        self.allow_http
    }

    /// Checks one address. Pure: nothing is resolved or connected.
    ///
    /// # Errors
    ///
    /// [`EndpointError::AddressNotAllowed`] if the address is not public and
    /// its class was not allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EndpointError> {
        match classify(ip) {
            None => Ok(()),
            Some(AddressClass::Loopback) if self.allow_loopback => Ok(()),
            Some(AddressClass::Private | AddressClass::UniqueLocal) if self.allow_private => Ok(()),
            Some(class) => Err(EndpointError::AddressNotAllowed { ip, class }),
        }
    }

    /// Checks what can be checked without DNS: the scheme, the presence of a
    /// host, and the address if the host is a literal IP. Pure.
    ///
    /// Hosts are read as the WHATWG URL parser reads them, so `http://0x7f.1/`
    /// and `http://2130706433/` are the literal `127.0.0.1` and are judged so.
    ///
    /// # Errors
    ///
    /// [`EndpointError::SchemeNotAllowed`], [`EndpointError::MissingHost`] or
    /// [`EndpointError::AddressNotAllowed`].
    pub fn check_url(&self, url: &Url) -> Result<(), EndpointError> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            other => return Err(EndpointError::SchemeNotAllowed { scheme: other.to_owned() }),
        }
        match url.host() {
            None => Err(EndpointError::MissingHost),
            Some(Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(Host::Domain("")) => Err(EndpointError::MissingHost),
            Some(Host::Domain(_)) => Ok(()),
        }
    }

    /// Checks the URL, resolves its host, and checks every address it
    /// resolves to. One refused address refuses the whole endpoint.
    ///
    /// The result is what the sender pins its HTTP client to.
    ///
    /// # Errors
    ///
    /// Any [`EndpointError`]: a refused scheme or address, or a host that
    /// does not resolve.
    pub async fn resolve(&self, url: &Url) -> Result<ResolvedEndpoint, EndpointError> {
        self.check_url(url)?;
        let port = url.port_or_known_default().ok_or(EndpointError::MissingHost)?;
        let domain = match url.host() {
            Some(Host::Domain(domain)) => domain.to_owned(),
            Some(Host::Ipv4(ip)) => {
                return Ok(ResolvedEndpoint { domain: None, addrs: vec![SocketAddr::new(IpAddr::V4(ip), port)] });
            }
            Some(Host::Ipv6(ip)) => {
                return Ok(ResolvedEndpoint { domain: None, addrs: vec![SocketAddr::new(IpAddr::V6(ip), port)] });
            }
            None => return Err(EndpointError::MissingHost),
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain.as_str(), port))
            .await
            .map_err(|err| EndpointError::Resolve { host: domain.clone(), reason: err.to_string() })?
            .take(64)
            .collect();
        if addrs.is_empty() {
            return Err(EndpointError::Resolve { host: domain, reason: "no addresses".to_owned() });
        }
        for addr in &addrs {
            self.check_ip(addr.ip()).map_err(|err| match err {
                EndpointError::AddressNotAllowed { ip, class } => {
                    EndpointError::HostNotAllowed { host: domain.clone(), ip, class }
                }
                other => other,
            })?;
        }
        Ok(ResolvedEndpoint { domain: Some(domain), addrs })
    }
}

/// A vetted endpoint: the addresses a delivery will connect to, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEndpoint {
    domain: Option<String>,
    addrs: Vec<SocketAddr>,
}

impl ResolvedEndpoint {
    #[cfg(test)]
    pub(crate) fn for_tests(domain: Option<&str>, addrs: Vec<SocketAddr>) -> Self {
        Self { domain: domain.map(str::to_owned), addrs }
    }

    /// The host name that was resolved (`None` for a literal IP).
    #[must_use]
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// Every vetted address, with the URL's port.
    #[must_use]
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
}

/// Why an endpoint was refused. No request was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The scheme is not `https` (or `http` without the opt-in).
    #[error("endpoint scheme `{scheme}` is not allowed (https only unless plain http is explicitly allowed)")]
    SchemeNotAllowed {
        /// The URL's scheme.
        scheme: String,
    },
    /// The URL has no host.
    #[error("endpoint URL has no host")]
    MissingHost,
    /// The URL is a literal IP address that is not allowed.
    #[error("endpoint address {ip} is {class}, not a public address")]
    AddressNotAllowed {
        /// The address.
        ip: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// The host resolved to an address that is not allowed.
    #[error("endpoint host `{host}` resolves to {ip}, which is {class}, not a public address")]
    HostNotAllowed {
        /// The host name.
        host: String,
        /// The refused address.
        ip: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// The host did not resolve.
    #[error("endpoint host `{host}` did not resolve: {reason}")]
    Resolve {
        /// The host name.
        host: String,
        /// What the resolver said.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_helpers_match_only_inside_the_network() {
        assert!(in_v4(u32::from(Ipv4Addr::new(172, 31, 255, 255)), [172, 16, 0, 0], 12));
        assert!(!in_v4(u32::from(Ipv4Addr::new(172, 32, 0, 0)), [172, 16, 0, 0], 12));
        assert!(in_v6(u128::from("fdff::1".parse::<Ipv6Addr>().unwrap()), [0xfc00, 0, 0, 0, 0, 0, 0, 0], 7));
        assert!(!in_v6(u128::from("fe00::1".parse::<Ipv6Addr>().unwrap()), [0xfc00, 0, 0, 0, 0, 0, 0, 0], 7));
    }

    #[test]
    fn six_to_four_is_judged_by_its_inner_address() {
        assert_eq!(classify("2002:7f00:1::1".parse().unwrap()), Some(AddressClass::Loopback));
        assert_eq!(classify("2002:0a00:0001::1".parse().unwrap()), Some(AddressClass::Private));
        assert_eq!(classify("2002:5db8:d70e::1".parse().unwrap()), None);
    }
}
