//! The runtime metric set rendered end to end: exact output, format validity, concurrent
//! updates, and every too-small buffer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::thread;

use aurora_core::http::Status;
use aurora_core::metrics::{RenderError, Renderer, RuntimeMetrics, is_label_name, is_metric_name};
use aurora_core::time::Duration;

const KINDS: [&str; 2] = ["bad_method", "header \"too\" long"];

fn render<const W: usize>(m: &RuntimeMetrics<W, 2>) -> String {
    let mut buf = vec![0u8; 16 * 1024];
    let n = m.render(&mut buf, &KINDS).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn exact_output() {
    let m: RuntimeMetrics<2, 2> = RuntimeMetrics::new();
    let (a, b) = (m.worker(0), m.worker(1));
    a.response(Status::OK);
    b.response(Status::OK);
    b.response(Status::NOT_FOUND);
    a.connection_accepted();
    a.connection_accepted();
    b.connection_accepted();
    b.connection_closed();
    a.connection_rejected();
    a.buffer_acquired(1);
    b.buffer_acquired(1);
    b.set_buffers_in_use(4, 2);
    a.arena_fallback();
    a.request_duration(Duration::from_micros(90));
    b.request_duration(Duration::from_micros(2_600));
    b.request_duration(Duration::from_secs(3));
    b.parse_error(1);
    let want = r#"# HELP aurora_requests_total HTTP responses sent, by status class.
# TYPE aurora_requests_total counter
aurora_requests_total{class="1xx"} 0
aurora_requests_total{class="2xx"} 2
aurora_requests_total{class="3xx"} 0
aurora_requests_total{class="4xx"} 1
aurora_requests_total{class="5xx"} 0
# HELP aurora_connections_accepted_total Connections accepted.
# TYPE aurora_connections_accepted_total counter
aurora_connections_accepted_total 3
# HELP aurora_connections_rejected_total Connections refused at the connection limit or under overload.
# TYPE aurora_connections_rejected_total counter
aurora_connections_rejected_total 1
# HELP aurora_connections_closed_total Accepted connections that have closed.
# TYPE aurora_connections_closed_total counter
aurora_connections_closed_total 1
# HELP aurora_connections_open Connections open now.
# TYPE aurora_connections_open gauge
aurora_connections_open 2
# HELP aurora_buffers_in_use Pool buffers in use, by size class in bytes.
# TYPE aurora_buffers_in_use gauge
aurora_buffers_in_use{class="1024"} 0
aurora_buffers_in_use{class="4096"} 2
aurora_buffers_in_use{class="16384"} 0
aurora_buffers_in_use{class="65536"} 0
aurora_buffers_in_use{class="262144"} 2
# HELP aurora_arena_fallbacks_total Request arena allocations served by the fallback heap.
# TYPE aurora_arena_fallbacks_total counter
aurora_arena_fallbacks_total 1
# HELP aurora_request_duration_seconds Time from a request's first byte to its last response byte.
# TYPE aurora_request_duration_seconds histogram
aurora_request_duration_seconds_bucket{le="0.0001"} 1
aurora_request_duration_seconds_bucket{le="0.00025"} 1
aurora_request_duration_seconds_bucket{le="0.0005"} 1
aurora_request_duration_seconds_bucket{le="0.001"} 1
aurora_request_duration_seconds_bucket{le="0.0025"} 1
aurora_request_duration_seconds_bucket{le="0.005"} 2
aurora_request_duration_seconds_bucket{le="0.01"} 2
aurora_request_duration_seconds_bucket{le="0.025"} 2
aurora_request_duration_seconds_bucket{le="0.05"} 2
aurora_request_duration_seconds_bucket{le="0.1"} 2
aurora_request_duration_seconds_bucket{le="0.25"} 2
aurora_request_duration_seconds_bucket{le="0.5"} 2
aurora_request_duration_seconds_bucket{le="1"} 2
aurora_request_duration_seconds_bucket{le="+Inf"} 3
aurora_request_duration_seconds_sum 3.00269
aurora_request_duration_seconds_count 3
# HELP aurora_parse_errors_total Requests rejected as malformed, by kind.
# TYPE aurora_parse_errors_total counter
aurora_parse_errors_total{kind="bad_method"} 0
aurora_parse_errors_total{kind="header \"too\" long"} 1
"#;
    assert_eq!(render(&m), want);
    check_exposition(want);
}

#[test]
fn concurrent_updates_sum_exactly() {
    static M: RuntimeMetrics<4, 2> = RuntimeMetrics::new();
    thread::scope(|s| {
        for worker in 0..4 {
            s.spawn(move || {
                let w = M.worker(worker);
                for i in 0..10_000u64 {
                    w.connection_accepted();
                    w.response(Status::OK);
                    w.request_duration(Duration::from_micros(i % 2_000));
                    w.parse_error((i % 2) as usize);
                    if i % 2 == 0 {
                        w.connection_closed();
                    }
                }
            });
        }
    });
    let text = render(&M);
    check_exposition(&text);
    for line in [
        "aurora_requests_total{class=\"2xx\"} 40000\n",
        "aurora_connections_accepted_total 40000\n",
        "aurora_connections_closed_total 20000\n",
        "aurora_connections_open 20000\n",
        "aurora_request_duration_seconds_count 40000\n",
        "aurora_request_duration_seconds_bucket{le=\"0.001\"} 20020\n",
        "aurora_parse_errors_total{kind=\"bad_method\"} 20000\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert_eq!(M.connections_open(), 20_000);
}

#[test]
fn every_too_small_buffer_is_an_error() {
    let m: RuntimeMetrics<1, 2> = RuntimeMetrics::new();
    m.worker(0).request_duration(Duration::from_millis(7));
    let full = render(&m);
    for size in 0..full.len() {
        let mut buf = vec![0u8; size];
        assert_eq!(
            m.render(&mut buf, &KINDS),
            Err(RenderError::BufferTooSmall),
            "size {size}"
        );
    }
    let mut buf = vec![0u8; full.len()];
    assert_eq!(m.render(&mut buf, &KINDS), Ok(full.len()));
}

#[test]
fn server_metrics_follow_runtime_metrics() {
    let m: RuntimeMetrics<1, 0> = RuntimeMetrics::new();
    let mut buf = [0u8; 8192];
    let mut r = Renderer::new(&mut buf);
    r.counter("app_logins_total", "Logins.", &[("realm", "admin")], 5)
        .unwrap();
    m.render_into(&mut r, &[]).unwrap();
    r.gauge("app_sessions", "", &[], -2).unwrap();
    let n = r.finish();
    let text = std::str::from_utf8(&buf[..n]).unwrap();
    check_exposition(text);
    assert!(text.starts_with("# HELP app_logins_total Logins.\n"));
    assert!(text.ends_with("# TYPE app_sessions gauge\napp_sessions -2\n"));
    assert!(!text.contains("aurora_parse_errors_total"));
}

/// Checks text against the exposition format 0.0.4: every sample belongs to the family of the
/// `# TYPE` line before it, each family is declared once, names and labels follow the grammar,
/// values are numbers, and histogram buckets are cumulative and end in `+Inf` = `_count`.
fn check_exposition(text: &str) {
    assert!(text.is_empty() || text.ends_with('\n'));
    let mut declared = HashSet::new();
    let mut family: Option<(String, String)> = None;
    let mut last_bucket: Option<f64> = None;
    let mut inf_count: Option<f64> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(is_metric_name(name), "{line}");
            assert!(!declared.contains(name), "HELP after family: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(is_metric_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(declared.insert(name.to_owned()), "declared twice: {line}");
            family = Some((name.to_owned(), kind.to_owned()));
            last_bucket = None;
            continue;
        }
        assert!(!line.starts_with('#'), "stray comment {line}");
        let (name, labels, value) = parse_sample(line);
        let (fam, kind) = family.as_ref().expect("sample before any TYPE");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        if kind == "histogram" {
            let suffix = name.strip_prefix(fam.as_str()).expect(line);
            match suffix {
                "_bucket" => {
                    let (_, le) = labels.iter().find(|(k, _)| k == "le").expect(line);
                    let le: f64 = if le == "+Inf" {
                        f64::INFINITY
                    } else {
                        le.parse().unwrap()
                    };
                    if let Some(prev) = last_bucket {
                        assert!(value >= prev, "not cumulative: {line}");
                    }
                    if le.is_infinite() {
                        inf_count = Some(value);
                    }
                    last_bucket = Some(value);
                }
                "_sum" => {}
                "_count" => assert_eq!(Some(value), inf_count.take(), "{line}"),
                _ => panic!("sample outside its histogram: {line}"),
            }
        } else {
            assert_eq!(&name, fam, "sample outside its family: {line}");
            assert!(labels.iter().all(|(k, _)| k != "le"));
        }
    }
}

/// Splits `name{k="v",...} value` into its parts, unescaping label values.
fn parse_sample(line: &str) -> (String, Vec<(String, String)>, &str) {
    let end = line.find(['{', ' ']).expect(line);
    let name = &line[..end];
    assert!(is_metric_name(name), "{line}");
    let mut labels = Vec::new();
    let mut rest = &line[end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            let (key, after) = inner.split_once("=\"").expect(line);
            assert!(is_label_name(key), "{line}");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let close = loop {
                match chars.next().expect(line) {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().expect(line).1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => panic!("bad escape \\{c} in {line}"),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.push((key.to_owned(), value));
            inner = &after[close + 1..];
            if let Some(next) = inner.strip_prefix(',') {
                inner = next;
            } else {
                rest = inner.strip_prefix('}').expect(line);
                break;
            }
        }
    }
    let value = rest.strip_prefix(' ').expect(line);
    assert!(!value.contains(' '), "{line}");
    (name.to_owned(), labels, value)
}
