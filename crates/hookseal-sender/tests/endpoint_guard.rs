//! The endpoint guard. Every address other than 127.0.0.1 is checked with the
//! pure guard functions: nothing here connects anywhere but loopback.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::net::IpAddr;

use common::{Reply, ScriptedServer};
use hookseal_core::{ProviderId, Secret, samples};
use hookseal_sender::url::Url;
use hookseal_sender::{AddressClass, Delivery, EndpointError, EndpointPolicy, SendError, Sender, classify};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// (address, class) for every refused class, IPv4 and IPv6 and embedded forms.
const REFUSED: &[(&str, AddressClass)] = &[
    // Unspecified and "this network".
    ("0.0.0.0", AddressClass::Unspecified),
    ("::", AddressClass::Unspecified),
    ("0.1.2.3", AddressClass::ThisNetwork),
    ("0.255.255.255", AddressClass::ThisNetwork),
    // Loopback.
    ("127.0.0.1", AddressClass::Loopback),
    ("127.255.255.254", AddressClass::Loopback),
    ("::1", AddressClass::Loopback),
    // Private.
    ("10.0.0.1", AddressClass::Private),
    ("10.255.255.255", AddressClass::Private),
    ("172.16.0.1", AddressClass::Private),
    ("172.31.255.255", AddressClass::Private),
    ("192.168.0.1", AddressClass::Private),
    ("192.168.255.255", AddressClass::Private),
    // CGNAT.
    ("100.64.0.1", AddressClass::SharedAddressSpace),
    ("100.127.255.255", AddressClass::SharedAddressSpace),
    // Link-local, including the cloud metadata address.
    ("169.254.169.254", AddressClass::LinkLocal),
    ("169.254.0.1", AddressClass::LinkLocal),
    ("fe80::1", AddressClass::LinkLocal),
    ("febf:ffff::1", AddressClass::LinkLocal),
    // Unique-local (and deprecated site-local).
    ("fc00::1", AddressClass::UniqueLocal),
    ("fd12:3456:789a::1", AddressClass::UniqueLocal),
    ("fec0::1", AddressClass::UniqueLocal),
    // Documentation.
    ("192.0.2.1", AddressClass::Documentation),
    ("198.51.100.7", AddressClass::Documentation),
    ("203.0.113.255", AddressClass::Documentation),
    ("2001:db8::1", AddressClass::Documentation),
    ("2001:db8:ffff::1", AddressClass::Documentation),
    ("3fff::1", AddressClass::Documentation),
    // Benchmarking.
    ("198.18.0.1", AddressClass::Benchmarking),
    ("198.19.255.255", AddressClass::Benchmarking),
    ("2001:2::1", AddressClass::Benchmarking),
    // Multicast and broadcast.
    ("224.0.0.1", AddressClass::Multicast),
    ("239.255.255.250", AddressClass::Multicast),
    ("ff02::1", AddressClass::Multicast),
    ("ff0e::1", AddressClass::Multicast),
    ("255.255.255.255", AddressClass::Broadcast),
    // Reserved.
    ("240.0.0.1", AddressClass::Reserved),
    ("254.1.2.3", AddressClass::Reserved),
    ("192.0.0.8", AddressClass::Reserved),
    ("100::1", AddressClass::Reserved),
    ("64:ff9b:1::1", AddressClass::Reserved),
    ("2001::1", AddressClass::Reserved),
    ("::8.8.8.8", AddressClass::Reserved),
    // IPv4-mapped IPv6: judged by the IPv4 address inside.
    ("::ffff:127.0.0.1", AddressClass::Loopback),
    ("::ffff:10.1.2.3", AddressClass::Private),
    ("::ffff:172.20.0.1", AddressClass::Private),
    ("::ffff:192.168.1.1", AddressClass::Private),
    ("::ffff:169.254.169.254", AddressClass::LinkLocal),
    ("::ffff:100.64.0.1", AddressClass::SharedAddressSpace),
    ("::ffff:0.0.0.0", AddressClass::Unspecified),
    ("::ffff:203.0.113.9", AddressClass::Documentation),
    ("::ffff:224.0.0.1", AddressClass::Multicast),
    ("::ffff:255.255.255.255", AddressClass::Broadcast),
    ("::ffff:7f00:1", AddressClass::Loopback),
    // IPv4-compatible IPv6.
    ("::127.0.0.1", AddressClass::Loopback),
    ("::10.0.0.1", AddressClass::Private),
    ("::169.254.169.254", AddressClass::LinkLocal),
    // NAT64 and 6to4 carrying a private address.
    ("64:ff9b::10.0.0.1", AddressClass::Private),
    ("64:ff9b::7f00:1", AddressClass::Loopback),
    ("2002:a9fe:a9fe::1", AddressClass::LinkLocal),
];

const PUBLIC: &[&str] = &[
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "172.15.255.255",
    "172.32.0.1",
    "192.167.255.255",
    "100.63.255.255",
    "100.128.0.1",
    "169.253.255.255",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
];

#[test]
fn every_refused_class_is_classified_and_refused_by_default() {
    let strict = EndpointPolicy::strict();
    for (text, class) in REFUSED {
        assert_eq!(classify(ip(text)), Some(*class), "{text}");
        assert_eq!(
            strict.check_ip(ip(text)),
            Err(EndpointError::AddressNotAllowed { ip: ip(text), class: *class }),
            "{text}"
        );
    }
}

#[test]
fn public_addresses_pass() {
    for text in PUBLIC {
        assert_eq!(classify(ip(text)), None, "{text}");
        assert_eq!(EndpointPolicy::strict().check_ip(ip(text)), Ok(()), "{text}");
    }
}

#[test]
fn the_development_opt_in_allows_loopback_and_nothing_else() {
    let dev = EndpointPolicy::allow_insecure_local_for_development();
    for (text, class) in REFUSED {
        let allowed = dev.check_ip(ip(text)).is_ok();
        assert_eq!(allowed, *class == AddressClass::Loopback, "{text} ({class})");
    }
    assert!(dev.check_ip(ip("::ffff:127.0.0.1")).is_ok());
    assert!(dev.check_ip(ip("127.0.0.53")).is_ok());
}

#[test]
fn the_private_network_opt_in_keeps_metadata_and_cgnat_refused() {
    let internal = EndpointPolicy::strict().allow_private_networks();
    for (text, class) in REFUSED {
        let allowed = internal.check_ip(ip(text)).is_ok();
        let expected = matches!(class, AddressClass::Private | AddressClass::UniqueLocal);
        assert_eq!(allowed, expected, "{text} ({class})");
    }
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn literal_ips_in_urls_are_refused_in_every_spelling() {
    let strict = EndpointPolicy::strict();
    let cases = [
        ("https://127.0.0.1/hook", AddressClass::Loopback),
        ("https://127.1/hook", AddressClass::Loopback),
        ("https://0x7f.0.0.1/hook", AddressClass::Loopback),
        ("https://2130706433/hook", AddressClass::Loopback),
        ("https://0177.0.0.1/hook", AddressClass::Loopback),
        ("https://[::1]:8443/hook", AddressClass::Loopback),
        ("https://[::ffff:127.0.0.1]/hook", AddressClass::Loopback),
        ("https://[::ffff:a9fe:a9fe]/latest/meta-data", AddressClass::LinkLocal),
        ("https://169.254.169.254/latest/meta-data", AddressClass::LinkLocal),
        ("https://10.0.0.1/", AddressClass::Private),
        ("https://[fd00::1]/", AddressClass::UniqueLocal),
        ("https://[fe80::1]/", AddressClass::LinkLocal),
        ("https://0.0.0.0/", AddressClass::Unspecified),
        ("https://0/", AddressClass::Unspecified),
        ("https://100.100.100.200/", AddressClass::SharedAddressSpace),
        ("https://255.255.255.255/", AddressClass::Broadcast),
        ("https://[2001:db8::1]/", AddressClass::Documentation),
    ];
    for (text, class) in cases {
        match strict.check_url(&url(text)) {
            Err(EndpointError::AddressNotAllowed { class: got, .. }) => assert_eq!(got, class, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // A zone identifier is not valid in a URL: such an endpoint cannot even be prepared.
    let zoned = Delivery::builder(ProviderId::Tocc, "https://[fe80::1%25eth0]/").secret(Secret::new("s").unwrap());
    assert!(matches!(zoned.test_event(), Err(hookseal_sender::PrepareError::InvalidUrl { .. })));
}

#[test]
fn plain_http_is_refused_by_default_and_other_schemes_always() {
    let strict = EndpointPolicy::strict();
    assert_eq!(
        strict.check_url(&url("http://hooks.example.com/x")),
        Err(EndpointError::SchemeNotAllowed { scheme: "http".into() })
    );
    assert_eq!(strict.check_url(&url("https://hooks.example.com/x")), Ok(()));
    let dev = EndpointPolicy::allow_insecure_local_for_development();
    assert_eq!(dev.check_url(&url("http://hooks.example.com/x")), Ok(()));
    for other in ["ftp://hooks.example.com/x", "file:///etc/passwd", "ws://hooks.example.com/"] {
        assert!(matches!(dev.check_url(&url(other)), Err(EndpointError::SchemeNotAllowed { .. })), "{other}");
    }
    assert!(!strict.allows_http() && dev.allows_http());
    assert_eq!(EndpointPolicy::default(), strict);
}

#[test]
fn error_messages_name_the_address_and_its_class() {
    let err = EndpointPolicy::strict().check_ip(ip("169.254.169.254")).unwrap_err();
    assert_eq!(err.to_string(), "endpoint address 169.254.169.254 is link-local, not a public address");
}

#[tokio::test]
async fn localhost_is_resolved_then_refused_unless_loopback_is_allowed() {
    // `localhost` resolves from the hosts file: no DNS traffic.
    let strict = EndpointPolicy::strict();
    match strict.resolve(&url("https://localhost:9/hook")).await {
        Err(EndpointError::HostNotAllowed { host, class: AddressClass::Loopback, .. }) => assert_eq!(host, "localhost"),
        other => panic!("{other:?}"),
    }
    let dev = EndpointPolicy::allow_insecure_local_for_development();
    let resolved = dev.resolve(&url("http://localhost:9/hook")).await.unwrap();
    assert_eq!(resolved.domain(), Some("localhost"));
    assert!(!resolved.addrs().is_empty());
    assert!(resolved.addrs().iter().all(|a| a.ip().is_loopback() && a.port() == 9), "{resolved:?}");

    let literal = dev.resolve(&url("http://127.0.0.1:8080/")).await.unwrap();
    assert_eq!((literal.domain(), literal.addrs()), (None, &["127.0.0.1:8080".parse().unwrap()][..]));
}

fn tocc_test_event(url: String) -> Delivery {
    Delivery::builder(ProviderId::Tocc, url).secret(Secret::new("s").unwrap()).test_event().unwrap()
}

#[tokio::test]
async fn the_default_sender_refuses_loopback_without_sending_anything() {
    let mut server = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let sender = Sender::new();
    // Plain http: refused for its scheme.
    let err = sender.send(&tocc_test_event(server.url("/hook"))).await.unwrap_err();
    assert_eq!(err, SendError::Endpoint(EndpointError::SchemeNotAllowed { scheme: "http".into() }));
    // https to loopback: refused for its address (before any TLS handshake).
    let https = format!("https://{}/hook", server.addr);
    let err = sender.send(&tocc_test_event(https)).await.unwrap_err();
    assert!(
        matches!(err, SendError::Endpoint(EndpointError::AddressNotAllowed { class: AddressClass::Loopback, .. })),
        "{err:?}"
    );
    // A host name that resolves to loopback: refused after resolution.
    let by_name = format!("https://localhost:{}/hook", server.addr.port());
    let err = sender.send(&tocc_test_event(by_name)).await.unwrap_err();
    assert!(matches!(err, SendError::Endpoint(EndpointError::HostNotAllowed { .. })), "{err:?}");
    server.assert_no_hits();
}

#[tokio::test]
async fn the_opt_in_lets_loopback_through_by_address_and_by_name() {
    let mut server = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let sender = Sender::new().endpoint_policy(EndpointPolicy::allow_insecure_local_for_development());
    assert!(sender.send(&tocc_test_event(server.url("/by-ip"))).await.unwrap().is_sent());
    assert_eq!(server.next_hit().await.path, "/by-ip");

    // By name: resolved here, pinned to 127.0.0.1 (the server listens on IPv4 only).
    let by_name = format!("http://localhost:{}/by-name", server.addr.port());
    let log = sender.send(&tocc_test_event(by_name)).await.unwrap();
    assert!(log.is_sent(), "{log:?}");
    let hit = server.next_hit().await;
    assert_eq!(hit.path, "/by-name");
    assert_eq!(hit.header("host"), Some(format!("localhost:{}", server.addr.port()).as_str()));
    server.assert_no_hits();
}

#[tokio::test]
async fn http_alone_does_not_allow_loopback() {
    let mut server = ScriptedServer::start(vec![Reply::Status(200)]).await;
    let sender = Sender::new().endpoint_policy(EndpointPolicy::strict().allow_http());
    let err = sender.send(&tocc_test_event(server.url("/"))).await.unwrap_err();
    assert!(matches!(err, SendError::Endpoint(EndpointError::AddressNotAllowed { .. })), "{err:?}");
    server.assert_no_hits();
}

#[test]
fn preparing_never_checks_the_endpoint() {
    // Preparing never checks the endpoint (so `hookseal sign` can print
    // headers for any URL); sending does.
    let body = samples::test_event(ProviderId::Toran).body;
    let delivery =
        Delivery::builder(ProviderId::Toran, "https://10.0.0.1/hook").secret(Secret::new("s").unwrap()).json(body);
    assert!(delivery.is_ok());
}
