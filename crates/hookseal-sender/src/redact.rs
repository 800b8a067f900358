//! Credentials never reach a log or a `Debug`: a URL's user name and
//! password (`https://user:pass@host/`) and the values of credential headers.

use url::Url;

/// What a hidden credential shows as.
pub(crate) const REDACTED: &str = "[redacted]";

/// `url` with its user name and password, if any, replaced by `redacted`.
/// The delivery itself still sends them.
pub(crate) fn url(url: &Url) -> Url {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        // Only URLs that cannot have credentials refuse these, and they have none.
        let _ = shown.set_username("redacted");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("redacted"));
    }
    shown
}

/// A URL given as text, for `Debug`: redacted if it parses, otherwise not
/// shown at all (its credentials cannot be told apart).
pub(crate) fn url_text(text: &str) -> String {
    match Url::parse(text) {
        Ok(parsed) => url(&parsed).to_string(),
        Err(_) => "[unparsable URL]".to_owned(),
    }
}

/// A header value as `Debug` shows it: hidden for the headers that carry
/// credentials (`Authorization`, `Proxy-Authorization`, `Cookie`).
pub(crate) fn header_value<'v>(name: &str, value: &'v str) -> &'v str {
    let credential = ["authorization", "proxy-authorization", "cookie"].iter().any(|c| name.eq_ignore_ascii_case(c));
    if credential { REDACTED } else { value }
}

/// Headers as `Debug` shows them (see [`header_value`]).
pub(crate) fn headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(name, value)| (name.as_str(), header_value(name, value))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url_are_replaced() {
        let shown = url(&Url::parse("https://alice:s3cret@hooks.example.com:8443/in?x=1").unwrap());
        assert_eq!(shown.as_str(), "https://redacted:redacted@hooks.example.com:8443/in?x=1");
        let token_only = url(&Url::parse("https://t0ken@hooks.example.com/").unwrap());
        assert_eq!(token_only.as_str(), "https://redacted@hooks.example.com/");
        let plain = Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert_eq!(url(&plain), plain);
        assert_eq!(url_text("https://a:b@h/"), "https://redacted:redacted@h/");
        assert_eq!(url_text("not a url with a:p@ssword"), "[unparsable URL]");
    }

    #[test]
    fn credential_headers_are_hidden() {
        let sent = [
            ("Authorization".to_owned(), "Bearer t0ken".to_owned()),
            ("cookie".to_owned(), "session=abc".to_owned()),
            ("X-Trace".to_owned(), "42".to_owned()),
        ];
        assert_eq!(headers(&sent), [("Authorization", REDACTED), ("cookie", REDACTED), ("X-Trace", "42")]);
    }
}
