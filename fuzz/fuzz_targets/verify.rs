//! `Verifier::verify` on arbitrary (secrets, headers, body), against a
//! reference verdict computed here with `Signer`: a request verifies exactly
//! when there is one signature header and it decodes to the HMAC of the body
//! under one of the secrets (the first such secret is reported).
//!
//! Input layout (read with `arbitrary::Unstructured`, front to back, so seed
//! files can be written by hand): provider, secrets, body limit, headers,
//! then the body is the rest.

#![no_main]

use arbitrary::{Result, Unstructured};
use hookseal_core::{
    ConnectGain, Custom, Error, Headers, KeyMatch, Provider, Scheme, Secret, SignatureFormat, Signer, Tocc, Toran,
    Tuco, Verifier, Zapito,
};
use libfuzzer_sys::fuzz_target;

fn other(format: SignatureFormat) -> SignatureFormat {
    match format {
        SignatureFormat::BareHex => SignatureFormat::Sha256Prefixed,
        _ => SignatureFormat::BareHex,
    }
}

/// A header value: most plans start from a correct signature so that the
/// fuzzer reaches both outcomes.
fn header_value(u: &mut Unstructured<'_>, scheme: Scheme, signers: &[Signer], body: &[u8]) -> Result<Vec<u8>> {
    let signer = &signers[usize::from(u.arbitrary::<u8>()?) % signers.len()];
    let correct = signer.sign(body).into_bytes();
    Ok(match u.arbitrary::<u8>()? % 8 {
        0 => correct,
        1 => {
            let mut value = correct;
            let at = usize::from(u.arbitrary::<u8>()?) % value.len();
            value[at] ^= u.arbitrary::<u8>()?;
            value
        }
        2 => {
            let len = usize::from(u.arbitrary::<u8>()?);
            u.bytes(len)?.to_vec()
        }
        3 => {
            let pad: &[u8] = match u.arbitrary::<u8>()? % 4 {
                0 => b" ",
                1 => b"\t",
                2 => b" \t ",
                _ => b"\r\n",
            };
            [pad, &correct, pad].concat()
        }
        4 => correct.to_ascii_uppercase(),
        5 => other(scheme.format()).encode(&signer.mac(body)).into_bytes(),
        6 => {
            let len = 1 + usize::from(u.arbitrary::<u8>()?) % 64;
            let key = Secret::from_bytes(u.bytes(len)?).expect("non-empty");
            Signer::new(&key, scheme.format()).sign(body).into_bytes()
        }
        _ => {
            let cut = body.len().saturating_sub(1);
            signer.sign(&body[..cut]).into_bytes()
        }
    })
}

fn header_name(u: &mut Unstructured<'_>, scheme: Scheme) -> Result<String> {
    Ok(match u.arbitrary::<u8>()? % 6 {
        0 => scheme.signature_header().to_owned(),
        1 => scheme.signature_header().to_ascii_lowercase(),
        2 => scheme.signature_header().to_ascii_uppercase(),
        3 => scheme.event_header().unwrap_or("X-Event").to_owned(),
        4 => "Content-Type".to_owned(),
        _ => {
            let len = usize::from(u.arbitrary::<u8>()?) % 32;
            String::from_utf8_lossy(u.bytes(len)?).into_owned()
        }
    })
}

/// What `verify` must answer, computed without the verifier.
fn expected(
    scheme: Scheme,
    signers: &[Signer],
    limit: usize,
    unsigned_ok: bool,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
) -> std::result::Result<KeyMatch, Error> {
    if body.len() > limit {
        return Err(Error::BodyTooLarge { limit });
    }
    let header = scheme.signature_header();
    let values: Vec<&[u8]> =
        headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(header)).map(|(_, v)| v.as_slice()).collect();
    let value = match values.as_slice() {
        [] if unsigned_ok => return Ok(KeyMatch::Unsigned),
        [] => return Err(Error::MissingSignature { header }),
        [one] => *one,
        more => return Err(Error::DuplicateSignature { header, count: more.len() }),
    };
    let tag = scheme.format().decode(value).map_err(|fault| Error::MalformedSignature { header, fault })?;
    signers.iter().position(|s| s.mac(body) == tag).map(KeyMatch::Secret).ok_or(Error::SignatureMismatch)
}

fn run<P: Provider>(
    mut u: Unstructured<'_>,
    scheme: Scheme,
    unsigned_ok: bool,
    configure: fn(Verifier<P>) -> Verifier<P>,
) -> Result<()> {
    let count = 1 + usize::from(u.arbitrary::<u8>()?) % 3;
    let mut secrets = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::from(u.arbitrary::<u8>()?) % 100;
        let bytes = u.bytes(len)?;
        match Secret::from_bytes(bytes) {
            Ok(secret) => secrets.push(secret),
            Err(_) => {
                assert!(bytes.is_empty(), "only an empty secret is refused");
                secrets.push(Secret::from_bytes([0u8]).expect("non-empty"));
            }
        }
    }
    let signers: Vec<Signer> = secrets.iter().map(|s| Signer::new(s, scheme.format())).collect();
    let limit = match u.arbitrary::<u8>()? {
        0..=223 => hookseal_core::DEFAULT_BODY_LIMIT,
        small => usize::from(small - 224) * 8,
    };
    let header_count = u.arbitrary::<u8>()? % 5;
    // Header values depend on the body, which is the rest of the input: the
    // headers are built from a length-prefixed slice that precedes it.
    let plan_len = usize::from(u.arbitrary::<u8>()?);
    let plan_bytes = u.bytes(plan_len)?;
    let body = u.take_rest();
    let mut plan = Unstructured::new(plan_bytes);
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..header_count {
        let name = header_name(&mut plan, scheme).unwrap_or_else(|_| scheme.signature_header().to_owned());
        let value = header_value(&mut plan, scheme, &signers, body).unwrap_or_default();
        headers.push((name, value));
    }

    let verifier =
        configure(Verifier::<P>::with_secrets(secrets).expect("one secret").with_scheme(scheme).body_limit(limit));
    let got = verifier.verify(&headers, body);
    assert_eq!(got, expected(scheme, &signers, limit, unsigned_ok, &headers, body), "headers {headers:?}");
    if let Err(err) = &got {
        hookseal_fuzz::check_error(err);
        assert!(matches!(err.status(), 401 | 413), "verify only rejects signatures and sizes: {err:?}");
    }
    // The header list is read, never trusted: `values` sees every copy.
    let _ = headers.values(scheme.signature_header()).count();
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let acme = Scheme::new("X-Acme-Sig", SignatureFormat::BareHex).with_event_header("X-Acme-Event");
    let _ = match u.arbitrary::<u8>().unwrap_or(0) % 8 {
        0 => run::<Tocc>(u, Tocc::SCHEME, false, |v| v),
        1 => run::<Toran>(u, Toran::SCHEME, false, |v| v),
        2 => run::<Zapito>(u, Zapito::SCHEME, false, |v| v),
        3 => run::<Tuco>(u, Tuco::SCHEME, false, |v| v),
        4 => run::<ConnectGain>(u, ConnectGain::SCHEME, false, |v| v),
        5 => run::<ConnectGain>(u, ConnectGain::SCHEME, true, Verifier::accept_unsigned_insecure),
        6 => run::<Custom>(u, Custom::SCHEME, false, |v| v),
        _ => run::<Custom>(u, acme, false, |v| v),
    };
});
