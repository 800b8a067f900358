//! Which clock the criterion benches measure with.
//!
//! `HOOKSEAL_BENCH_CLOCK=cpu` measures the bench thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) instead of wall time: on a machine shared with
//! other work, time spent descheduled is then not counted, so ratios of
//! neighbouring benchmarks hold steadier. On an idle machine both agree for
//! this single-threaded code. `benches/compare.sh` uses `cpu` unless told
//! otherwise.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// The bench thread's CPU time, as a criterion measurement.
pub(crate) struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, start: Self::Intermediate) -> Self::Value {
        start.elapsed()
    }

    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        *v1 + *v2
    }

    fn zero(&self) -> Self::Value {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Durations in nanoseconds, formatted as criterion formats wall time.
        WALL.formatter()
    }
}

/// Whether `HOOKSEAL_BENCH_CLOCK` asks for CPU time.
pub(crate) fn cpu_clock() -> bool {
    match std::env::var("HOOKSEAL_BENCH_CLOCK").as_deref() {
        Ok("cpu") => true,
        Ok("wall") | Err(_) => false,
        Ok(other) => panic!("HOOKSEAL_BENCH_CLOCK must be `wall` or `cpu`, not {other:?}"),
    }
}

/// A `main` running the bench functions (generic over the measurement) with
/// the clock `HOOKSEAL_BENCH_CLOCK` names, in place of `criterion_main!`.
macro_rules! main {
    ($($bench:ident),+) => {
        fn main() {
            if clock::cpu_clock() {
                let mut criterion = criterion::Criterion::default().with_measurement(clock::ThreadCpu).configure_from_args();
                $( $bench(&mut criterion); )+
                criterion.final_summary();
            } else {
                let mut criterion = criterion::Criterion::default().configure_from_args();
                $( $bench(&mut criterion); )+
                criterion.final_summary();
            }
        }
    };
}

pub(crate) use main;
