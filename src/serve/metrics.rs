//! Counters and histograms for `/metrics`, in the Prometheus text format (version 0.0.4).
//! Labels come from a fixed set (route templates, not raw paths), so their number stays
//! small whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::locale::Lang;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram that many threads record into without a lock.
#[derive(Default)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when written).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| secs <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Everything `/metrics` reports, except the values read from the data at scrape time.
#[derive(Default)]
pub struct Metrics {
    /// Requests by (route template, status).
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Request latency by route template.
    latency: Mutex<BTreeMap<&'static str, std::sync::Arc<Histogram>>>,
    pub render: Histogram,
    receipts: [AtomicU64; Lang::ALL.len()],
    pub renders_rejected: AtomicU64,
    pub renders_in_flight: AtomicU64,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    pub gateway_hits: AtomicU64,
    pub gateway_misses: AtomicU64,
}

/// Values read when `/metrics` is scraped.
pub struct Gauges {
    pub transactions: Option<usize>,
    pub generation: Option<u64>,
    pub loaded_at: Option<i64>,
}

impl Metrics {
    pub fn request(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, status)).or_default() += 1;
        }
        let histogram = match self.latency.lock() {
            Ok(mut latency) => std::sync::Arc::clone(latency.entry(route).or_default()),
            Err(_) => return,
        };
        histogram.observe(elapsed);
    }

    pub fn receipt_rendered(&self, lang: Lang, elapsed: Duration) {
        self.render.observe(elapsed);
        if let Some(counter) = Lang::ALL
            .iter()
            .position(|l| *l == lang)
            .map(|i| &self.receipts[i])
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The whole exposition.
    pub fn render_text(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(8 * 1024);
        out.push_str("# HELP recibo_http_requests_total HTTP requests answered, by route template and status.\n");
        out.push_str("# TYPE recibo_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "recibo_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP recibo_http_request_duration_seconds Time to the response head, by route template.\n");
        out.push_str("# TYPE recibo_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                histogram.write(
                    &mut out,
                    "recibo_http_request_duration_seconds",
                    &format!("route=\"{route}\""),
                );
            }
        }
        out.push_str(
            "# HELP recibo_render_duration_seconds Time to build and render one receipt PDF.\n",
        );
        out.push_str("# TYPE recibo_render_duration_seconds histogram\n");
        self.render
            .write(&mut out, "recibo_render_duration_seconds", "");
        out.push_str("# HELP recibo_receipts_rendered_total Receipts rendered, by language.\n");
        out.push_str("# TYPE recibo_receipts_rendered_total counter\n");
        for (lang, n) in Lang::ALL.iter().zip(&self.receipts) {
            let _ = writeln!(
                out,
                "recibo_receipts_rendered_total{{lang=\"{lang}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let counters: [(&str, &str, &str, u64); 6] = [
            (
                "recibo_renders_rejected_total",
                "counter",
                "Receipt requests refused with 503 because the render queue was full.",
                self.renders_rejected.load(Ordering::Relaxed),
            ),
            (
                "recibo_renders_in_flight",
                "gauge",
                "Receipts being rendered or waiting for a render thread.",
                self.renders_in_flight.load(Ordering::Relaxed),
            ),
            (
                "recibo_reloads_total{result=\"ok\"}",
                "counter",
                "Reloads of the input files on SIGHUP, by result.",
                self.reloads_ok.load(Ordering::Relaxed),
            ),
            (
                "recibo_reloads_total{result=\"error\"}",
                "",
                "",
                self.reloads_failed.load(Ordering::Relaxed),
            ),
            (
                "recibo_gateway_cache_total{result=\"hit\"}",
                "counter",
                "Gateway lookups answered from the cache, or fetched.",
                self.gateway_hits.load(Ordering::Relaxed),
            ),
            (
                "recibo_gateway_cache_total{result=\"miss\"}",
                "",
                "",
                self.gateway_misses.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in counters {
            let family = name.split('{').next().unwrap_or(name);
            if !kind.is_empty() {
                let _ = writeln!(out, "# HELP {family} {help}\n# TYPE {family} {kind}");
            }
            let _ = writeln!(out, "{name} {value}");
        }
        if let Some(n) = gauges.transactions {
            let _ = writeln!(
                out,
                "# HELP recibo_transactions Transactions in the data being served.\n# TYPE recibo_transactions gauge\nrecibo_transactions {n}"
            );
        }
        if let Some(g) = gauges.generation {
            let _ = writeln!(
                out,
                "# HELP recibo_data_generation Loads of the input files that changed the data.\n# TYPE recibo_data_generation gauge\nrecibo_data_generation {g}"
            );
        }
        if let Some(t) = gauges.loaded_at {
            let _ = writeln!(
                out,
                "# HELP recibo_data_loaded_timestamp_seconds When the data being served was loaded.\n# TYPE recibo_data_loaded_timestamp_seconds gauge\nrecibo_data_loaded_timestamp_seconds {t}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_cumulative_buckets_and_labelled_counters() {
        let m = Metrics::default();
        m.request(
            "/v1/refunds/{id}/receipt.pdf",
            200,
            Duration::from_millis(3),
        );
        m.request(
            "/v1/refunds/{id}/receipt.pdf",
            200,
            Duration::from_millis(30),
        );
        m.request(
            "/v1/refunds/{id}/receipt.pdf",
            404,
            Duration::from_micros(200),
        );
        m.receipt_rendered(Lang::ZhCn, Duration::from_millis(2));
        let text = m.render_text(&Gauges {
            transactions: Some(7),
            generation: Some(1),
            loaded_at: None,
        });
        assert!(text.contains("recibo_http_requests_total{route=\"/v1/refunds/{id}/receipt.pdf\",status=\"200\"} 2"), "{text}");
        assert!(text.contains(
            "recibo_http_requests_total{route=\"/v1/refunds/{id}/receipt.pdf\",status=\"404\"} 1"
        ));
        assert!(text.contains("recibo_http_request_duration_seconds_bucket{route=\"/v1/refunds/{id}/receipt.pdf\",le=\"0.005\"} 2"));
        assert!(text.contains("recibo_http_request_duration_seconds_bucket{route=\"/v1/refunds/{id}/receipt.pdf\",le=\"+Inf\"} 3"));
        assert!(text.contains("recibo_render_duration_seconds_bucket{le=\"0.0025\"} 1"));
        assert!(text.contains("recibo_render_duration_seconds_count 1"));
        assert!(text.contains("recibo_receipts_rendered_total{lang=\"zh-CN\"} 1"));
        assert!(text.contains("recibo_transactions 7"));
        assert_eq!(
            text.matches("# TYPE recibo_reloads_total counter").count(),
            1
        );
    }
}
