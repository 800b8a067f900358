//! Reading request headers without depending on any web framework.

/// Read access to a request's headers.
///
/// The verifier needs every value of a name, not just the first, so that a
/// repeated signature header is seen and refused. Names are matched ASCII
/// case-insensitively.
///
/// Implemented for `http::HeaderMap` (feature `http`, on by default) and for
/// slices of `(name, value)` pairs, which is handy in tests and for other
/// frameworks:
///
/// ```
/// use hookseal_core::Headers;
/// let headers = [("X-Toran-Event", "lead.captured")];
/// let values: Vec<&[u8]> = headers.values("x-toran-event").collect();
/// assert_eq!(values, [b"lead.captured".as_slice()]);
/// ```
pub trait Headers {
    /// Every value of the header `name`, in order.
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]>;
}

impl<T: Headers + ?Sized> Headers for &T {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        (**self).values(name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter().filter(move |(n, _)| n.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>, const LEN: usize> Headers for [(N, V); LEN] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(N, V)> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

#[cfg(feature = "http")]
impl Headers for http::HeaderMap {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

/// The single value of `name`, if there is exactly one; `Err(count)` if repeated.
pub(crate) fn single<'h>(headers: &'h impl Headers, name: &str) -> Result<Option<&'h [u8]>, usize> {
    let mut values = headers.values(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    match values.count() {
        0 => Ok(Some(first)),
        more => Err(more + 1),
    }
}

/// Trims optional whitespace (space and tab) around a header value.
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    value.trim_ascii()
}
