//! The events-per-minute chart: stacked bars per provider, as inline SVG.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike as _, Utc};
use hookseal_inbox::RatePoint;
use maud::{Markup, html};

/// Width of one minute's bar, and the chart's height, in SVG units.
const BAR: u32 = 10;
const HEIGHT: u32 = 100;
/// How many colours the stylesheet has (`.c0` … `.c7`).
const COLOURS: usize = 8;

/// The chart of `points` over the `minutes` minutes up to `now`.
pub(crate) fn chart(points: &[RatePoint], now: DateTime<Utc>, minutes: u32) -> Markup {
    let minutes = minutes.max(1);
    let this_minute = now.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
    let first = this_minute - chrono::Duration::minutes(i64::from(minutes) - 1);
    let mut providers: Vec<&str> = points.iter().map(|p| p.provider.as_str()).collect();
    providers.sort_unstable();
    providers.dedup();
    let colour = |provider: &str| providers.iter().position(|p| *p == provider).unwrap_or(0) % COLOURS;
    // minute index -> provider -> count
    let mut bars: BTreeMap<i64, Vec<(&str, u64)>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for point in points {
        let index = (point.minute - first).num_minutes();
        if (0..i64::from(minutes)).contains(&index) {
            bars.entry(index).or_default().push((point.provider.as_str(), point.count));
            *totals.entry(point.provider.as_str()).or_default() += point.count;
        }
    }
    let peak = bars.values().map(|b| b.iter().map(|(_, n)| n).sum::<u64>()).max().unwrap_or(0).max(1);
    let width = minutes * BAR;
    let total: u64 = totals.values().sum();
    let mut rects = Vec::new();
    for (index, stack) in &bars {
        let mut y = HEIGHT;
        let x = u64::try_from(*index).unwrap_or(0) * u64::from(BAR) + 1;
        let at = (first + chrono::Duration::minutes(*index)).format("%H:%M");
        for (provider, count) in stack {
            let h = bar_height(*count, peak);
            let top = y.saturating_sub(h);
            rects.push((format!("c{}", colour(provider)), x, top, h, format!("{provider}: {count} at {at} UTC")));
            y = top;
        }
    }
    html! {
        figure.chart {
            figcaption {
                "Events per minute, last " (minutes) " minutes: " (total) " in all, at most " (peak) " in a minute"
            }
            svg viewBox={ "0 0 " (width) " " (HEIGHT + 14) } role="img" aria-label="events per minute per provider"
                preserveAspectRatio="none" {
                line.axis x1="0" y1=(HEIGHT) x2=(width) y2=(HEIGHT) {}
                @for (class, x, y, h, tip) in &rects {
                    rect class=(class) x=(x) y=(y) width=(BAR - 2) height=(h) { title { (tip) } }
                }
                text.label x="0" y=(HEIGHT + 12) { (first.format("%H:%M")) }
                text.label x=(width) y=(HEIGHT + 12) text-anchor="end" { (this_minute.format("%H:%M")) " UTC" }
            }
            @if totals.is_empty() {
                p.muted { "No events in this window." }
            } @else {
                ul.legend {
                    @for (provider, count) in &totals {
                        li { span class={ "swatch c" (colour(provider)) } {} (provider) " " span.muted { "(" (count) ")" } }
                    }
                }
            }
        }
    }
}

/// A bar's height for `count` out of `peak`: at least 1 unit when non-zero.
fn bar_height(count: u64, peak: u64) -> u32 {
    let h = count.saturating_mul(u64::from(HEIGHT)) / peak.max(1);
    u32::try_from(h).unwrap_or(HEIGHT).clamp(u32::from(count > 0), HEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_are_bounded() {
        assert_eq!(bar_height(0, 5), 0);
        assert_eq!(bar_height(1, 1000), 1);
        assert_eq!(bar_height(5, 5), HEIGHT);
        assert_eq!(bar_height(u64::MAX, 1), HEIGHT);
    }
}
