//! The per-request metrics every adapter records, through the
//! [`metrics`](https://docs.rs/metrics) facade (feature `metrics`), so any
//! exporter receives them; without the feature the functions here record
//! nothing and nothing is linked. The adapters' `metrics` modules document
//! the table of names and labels and add their framework's `track`
//! middleware; an adapter of your own calls [`verify`] around the core's
//! verification and [`rejected`] for every refusal.

/// The request counter: labels `provider` and `status`.
pub const REQUESTS: &str = "hookseal_webhook_requests_total";

/// The verification latency histogram, in seconds: label `provider`.
pub const VERIFY_SECONDS: &str = "hookseal_webhook_verify_seconds";

/// The time to answer a request on a route wrapped with `track`, in
/// seconds: labels `provider` and `status` (the response's).
pub const HANDLE_SECONDS: &str = "hookseal_webhook_handle_seconds";

/// Registers the metrics' descriptions and units with the installed recorder.
#[cfg(feature = "metrics")]
pub fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        metrics::Unit::Count,
        "Webhook requests handled by hookseal, by provider and status (`verified` or the rejection's HTTP status)"
    );
    metrics::describe_histogram!(
        HANDLE_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a webhook request (body read, verification, handler), by provider and response status"
    );
    metrics::describe_histogram!(
        VERIFY_SECONDS,
        metrics::Unit::Seconds,
        "Time spent verifying a received webhook body (signature, parsing, checks), by provider"
    );
}

/// A status label, without allocating for the statuses the extractors answer.
#[cfg(feature = "metrics")]
#[must_use]
pub fn status_label(status: u16) -> metrics::SharedString {
    match status {
        200 => "200".into(),
        201 => "201".into(),
        202 => "202".into(),
        204 => "204".into(),
        400 => "400".into(),
        401 => "401".into(),
        408 => "408".into(),
        413 => "413".into(),
        500 => "500".into(),
        503 => "503".into(),
        other => other.to_string().into(),
    }
}

/// Counts a refused request by its status: called for every rejection, in
/// verification or before it (body over the limit, read timeout, unreadable
/// body, no verifier registered).
pub fn rejected(provider: &'static str, status: u16) {
    #[cfg(feature = "metrics")]
    metrics::counter!(REQUESTS, "provider" => provider, "status" => status_label(status)).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (provider, status);
}

/// Runs `check` (the core's verification of the received body), records how
/// long it took, counts the request as `verified` if it passed, and returns
/// its result. (A failure is counted by [`rejected`], which every rejection
/// goes through.)
///
/// # Errors
///
/// Whatever `check` returns, unchanged.
pub fn verify<T>(provider: &'static str, check: impl FnOnce() -> Result<T, crate::Error>) -> Result<T, crate::Error> {
    #[cfg(feature = "metrics")]
    {
        let started = std::time::Instant::now();
        let result = check();
        metrics::histogram!(VERIFY_SECONDS, "provider" => provider).record(started.elapsed().as_secs_f64());
        if result.is_ok() {
            metrics::counter!(REQUESTS, "provider" => provider, "status" => "verified").increment(1);
        }
        result
    }
    #[cfg(not(feature = "metrics"))]
    {
        let _ = provider;
        check()
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::Error;
    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };

    use super::*;

    /// Keeps every operation as `kind name{label=value,...} value`.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    struct Handle(Capture, String);

    impl Capture {
        fn push(&self, line: String) {
            self.0.lock().expect("capture lock").push(line);
        }

        fn lines(&self) -> Vec<String> {
            self.0.lock().expect("capture lock").clone()
        }

        fn handle(&self, kind: &str, key: &Key) -> Arc<Handle> {
            let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
            Arc::new(Handle(self.clone(), format!("{kind} {}{{{}}}", key.name(), labels.join(","))))
        }
    }

    impl CounterFn for Handle {
        fn increment(&self, value: u64) {
            self.0.push(format!("{} +{value}", self.1));
        }

        fn absolute(&self, value: u64) {
            self.0.push(format!("{} ={value}", self.1));
        }
    }

    impl HistogramFn for Handle {
        fn record(&self, value: f64) {
            assert!(value.is_finite() && value >= 0.0, "{value}");
            self.0.push(format!("{} recorded", self.1));
        }
    }

    impl Recorder for Capture {
        fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
            self.push(format!("describe counter {} {unit:?} {}", key.as_str(), !description.is_empty()));
        }

        fn describe_gauge(&self, key: KeyName, _: Option<Unit>, _: SharedString) {
            self.push(format!("describe gauge {}", key.as_str()));
        }

        fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
            self.push(format!("describe histogram {} {unit:?} {}", key.as_str(), !description.is_empty()));
        }

        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.handle("counter", key))
        }

        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }

        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.handle("histogram", key))
        }
    }

    fn captured(f: impl FnOnce()) -> Vec<String> {
        let capture = Capture::default();
        metrics::with_local_recorder(&capture, f);
        capture.lines()
    }

    #[test]
    fn a_verified_request_is_counted_and_timed() {
        let mut runs = 0;
        let lines = captured(|| {
            let result = verify("toran", || {
                runs += 1;
                Ok::<_, Error>(7)
            });
            assert_eq!(result, Ok(7));
        });
        assert_eq!(runs, 1);
        assert_eq!(
            lines,
            [
                "histogram hookseal_webhook_verify_seconds{provider=toran} recorded",
                "counter hookseal_webhook_requests_total{provider=toran,status=verified} +1",
            ]
        );
    }

    #[test]
    fn a_failed_verification_is_timed_and_left_to_rejected_to_count() {
        for error in [Error::SignatureMismatch, Error::MissingTimestamp, Error::BodyTooLarge { limit: 9 }] {
            let lines = captured(|| {
                let result = verify::<()>("tuco", || Err(error.clone()));
                assert_eq!(result, Err(error.clone()));
            });
            assert_eq!(lines, ["histogram hookseal_webhook_verify_seconds{provider=tuco} recorded"]);
        }
    }

    #[test]
    fn a_rejection_is_counted_by_its_status_and_not_timed() {
        let lines = captured(|| {
            rejected("zapito", 413);
            rejected("zapito", 408);
            rejected("acme", 418);
        });
        assert_eq!(
            lines,
            [
                "counter hookseal_webhook_requests_total{provider=zapito,status=413} +1",
                "counter hookseal_webhook_requests_total{provider=zapito,status=408} +1",
                "counter hookseal_webhook_requests_total{provider=acme,status=418} +1",
            ]
        );
    }

    #[test]
    fn describe_gives_help_and_units() {
        assert_eq!(
            captured(describe),
            [
                "describe counter hookseal_webhook_requests_total Some(Count) true",
                "describe histogram hookseal_webhook_handle_seconds Some(Seconds) true",
                "describe histogram hookseal_webhook_verify_seconds Some(Seconds) true",
            ]
        );
    }

    #[test]
    fn nothing_is_recorded_without_a_recorder() {
        // The global recorder is unset in tests: the calls are no-ops, not panics.
        rejected("toran", 401);
        assert_eq!(verify("toran", || Ok::<_, Error>(1)), Ok(1));
    }
}
