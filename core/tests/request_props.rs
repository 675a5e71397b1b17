//! Properties of the request-head parser: no panic on any bytes, the same answer however the
//! bytes are split, and round trips of requests built from random valid parts (checked against
//! httparse as an independent oracle where the two grammars overlap).

use aurora_core::http::Limits;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::method::Method;
use aurora_core::http::request::{self, BodyFraming, Parse, RequestError, Version};
use proptest::prelude::*;

const SPANS: usize = 64;

fn parse(buf: &[u8], limits: &Limits) -> (Result<Parse, RequestError>, [HeaderSpan; SPANS]) {
    let mut spans = [HeaderSpan::EMPTY; SPANS];
    let result = request::parse(buf, limits, &mut spans);
    (result, spans)
}

/// Invariants every answer keeps, whatever the input.
fn check_invariants(buf: &[u8], limits: &Limits) {
    let (result, spans) = parse(buf, limits);
    match result {
        Ok(Parse::Complete(head)) => {
            assert!(head.head_len() <= buf.len());
            assert!(head.head_len() <= limits.max_head_bytes);
            assert!(head.header_count() <= limits.max_headers.min(SPANS));
            let req = head.view(buf, &spans);
            // Every accessor works on the bytes it was parsed from.
            let _ = (req.method(), req.path(), req.query(), req.authority());
            assert!(req.query_pairs().count() <= req.target().as_str().len());
            for field in req.headers() {
                assert!(!field.name.is_empty());
                assert!(!field.value.contains(&b'\r') && !field.value.contains(&b'\n'));
            }
            if let BodyFraming::ContentLength(n) = head.body_framing() {
                assert!(n <= limits.max_body_bytes);
            }
        }
        Ok(Parse::Partial) => assert!(buf.len() < limits.max_head_bytes),
        Err(error) => {
            let _ = (error.status(), error.as_str());
        }
    }
}

/// Once a prefix has a definite answer (complete or an error), the longer buffer has the
/// same one: the parser never changes its mind as bytes arrive.
fn check_prefixes_agree(buf: &[u8], limits: &Limits) {
    let (full, full_spans) = parse(buf, limits);
    for cut in 0..buf.len() {
        let (prefix, prefix_spans) = parse(&buf[..cut], limits);
        match prefix {
            Ok(Parse::Partial) => {}
            Ok(Parse::Complete(head)) => {
                assert_eq!(full, prefix, "cut {cut}");
                assert_eq!(
                    full_spans[..head.header_count()],
                    prefix_spans[..head.header_count()]
                );
            }
            Err(_) => assert_eq!(full, prefix, "cut {cut}"),
        }
    }
}

fn small_limits() -> impl Strategy<Value = Limits> {
    (0usize..300, 0usize..12, 0usize..120, 0u64..100).prop_map(
        |(max_head_bytes, max_headers, max_target_bytes, max_body_bytes)| Limits {
            max_head_bytes,
            max_headers,
            max_target_bytes,
            max_body_bytes,
            ..Limits::DEFAULT
        },
    )
}

/// Bytes that look like HTTP: fragments of real heads mixed with random bytes.
fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"GET ".to_vec()),
        Just(b"POST ".to_vec()),
        Just(b"CONNECT ".to_vec()),
        Just(b"OPTIONS * ".to_vec()),
        Just(b"/a?b=c".to_vec()),
        Just(b"http://h:80/p".to_vec()),
        Just(b"h:443".to_vec()),
        Just(b" HTTP/1.1".to_vec()),
        Just(b" HTTP/1.0".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just(b":".to_vec()),
        Just(b",".to_vec()),
        Just(b"Host: a\r\n".to_vec()),
        Just(b"Host:".to_vec()),
        Just(b"Content-Length: ".to_vec()),
        Just(b"Transfer-Encoding: ".to_vec()),
        Just(b"chunked".to_vec()),
        Just(b"Connection: close\r\n".to_vec()),
        Just(b"Expect: 100-continue\r\n".to_vec()),
        Just(b"12".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// The parts of a valid request, and what parsing them must give back.
#[derive(Clone, Debug)]
struct Spec {
    method: String,
    target: String,
    path: String,
    query: Option<String>,
    version: Version,
    fields: Vec<(String, Vec<u8>)>,
    /// Each field's whitespace after the colon and before CRLF.
    padding: Vec<(String, String)>,
    framing: BodyFraming,
    keep_alive: bool,
    expects_continue: bool,
}

impl Spec {
    fn render(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {} {}\r\n",
            self.method,
            self.target,
            self.version.as_str()
        )
        .into_bytes();
        for ((name, value), (before, after)) in self.fields.iter().zip(&self.padding) {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(before.as_bytes());
            out.extend_from_slice(value);
            out.extend_from_slice(after.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE"
        ])
        .prop_map(String::from),
        "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}"
            .prop_filter("not CONNECT/OPTIONS", |m| m != "CONNECT" && m != "OPTIONS"),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof!["[A-Za-z0-9._~!$&'()*+,;=:@-]{0,8}", "%[0-9A-Fa-f]{2}",];
    proptest::collection::vec(segment, 1..5).prop_map(|segments| {
        segments
            .iter()
            .map(|segment| format!("/{segment}"))
            .collect::<String>()
    })
}

fn query() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9=&+/?:@-]{0,20}")
}

/// A field value: allowed bytes, without leading or trailing whitespace.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x21u8..=0x7E,
        1 => 0x80u8..=0xFF,
        1 => Just(b' '),
        1 => Just(b'\t'),
    ];
    proptest::collection::vec(byte, 0..24).prop_map(|mut v| {
        while matches!(v.last(), Some(b' ' | b'\t')) {
            v.pop();
        }
        while matches!(v.first(), Some(b' ' | b'\t')) {
            v.remove(0);
        }
        v
    })
}

fn plain_field() -> impl Strategy<Value = (String, Vec<u8>)> {
    let special = [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "expect",
    ];
    (
        "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}".prop_filter("special", move |name| {
            !special.iter().any(|s| name.eq_ignore_ascii_case(s))
        }),
        value(),
    )
}

/// Flips the case of some letters: field names match ignoring case.
fn recase(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        method(),
        path(),
        query(),
        any::<bool>(),
        proptest::collection::vec(plain_field(), 0..20),
        0u8..3,
        0u64..=1_048_576,
        0u8..3,
        any::<bool>(),
        any::<u64>(),
        any::<prop::sample::Index>(),
        proptest::collection::vec(("[ \t]{0,2}", "[ \t]{0,2}"), 26),
    )
        .prop_map(
            |(
                method,
                path,
                query,
                http11,
                mut fields,
                framing,
                length,
                connection,
                expect,
                case_mask,
                host_at,
                padding,
            )| {
                let version = if http11 {
                    Version::Http11
                } else {
                    Version::Http10
                };
                let framing = match (framing, version) {
                    (1, _) => BodyFraming::ContentLength(length),
                    (2, Version::Http11) => BodyFraming::Chunked,
                    _ => BodyFraming::None,
                };
                match framing {
                    BodyFraming::ContentLength(n) => fields.push((
                        recase("content-length", case_mask),
                        n.to_string().into_bytes(),
                    )),
                    BodyFraming::Chunked => fields.push((
                        recase("transfer-encoding", case_mask >> 7),
                        b"chunked".to_vec(),
                    )),
                    BodyFraming::None => {}
                }
                let keep_alive = match connection {
                    1 => {
                        fields.push(("Connection".into(), b"close".to_vec()));
                        false
                    }
                    2 => {
                        fields.push(("connection".into(), b"Keep-Alive".to_vec()));
                        true
                    }
                    _ => version == Version::Http11,
                };
                if expect {
                    fields.push(("Expect".into(), b"100-continue".to_vec()));
                }
                if version == Version::Http11 {
                    let at = host_at.index(fields.len() + 1);
                    fields.insert(
                        at,
                        (recase("host", case_mask >> 13), b"example.com".to_vec()),
                    );
                }
                let target = match &query {
                    Some(q) => format!("{path}?{q}"),
                    None => path.clone(),
                };
                Spec {
                    method,
                    target,
                    path,
                    query,
                    version,
                    fields,
                    padding,
                    framing,
                    keep_alive,
                    expects_continue: expect && version == Version::Http11,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(buf in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_invariants(&buf, &Limits::DEFAULT);
    }

    #[test]
    fn never_panics_on_http_ish_bytes(buf in http_ish(), limits in small_limits()) {
        check_invariants(&buf, &limits);
        check_invariants(&buf, &Limits::DEFAULT);
    }

    #[test]
    fn answers_never_change_as_bytes_arrive(buf in http_ish(), limits in small_limits()) {
        check_prefixes_agree(&buf, &limits);
        check_prefixes_agree(&buf, &Limits::DEFAULT);
    }

    #[test]
    fn mutated_valid_heads_never_panic(
        spec in spec(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut buf = spec.render();
        for (at, byte) in edits {
            let i = at.index(buf.len());
            buf[i] = byte;
        }
        check_invariants(&buf, &Limits::DEFAULT);
        check_prefixes_agree(&buf, &Limits::DEFAULT);
    }

    #[test]
    fn split_invariance(spec in spec()) {
        let buf = spec.render();
        let (full, full_spans) = parse(&buf, &Limits::DEFAULT);
        let Ok(Parse::Complete(head)) = full else {
            return Err(TestCaseError::fail(format!("{full:?} for {:?}", buf.escape_ascii().to_string())));
        };
        for cut in 0..buf.len() {
            let (prefix, _) = parse(&buf[..cut], &Limits::DEFAULT);
            prop_assert_eq!(prefix, Ok(Parse::Partial), "cut {}", cut);
        }
        // Parsing again with body bytes (or the next request) after the head changes nothing.
        let mut longer = buf.clone();
        longer.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let (again, again_spans) = parse(&longer, &Limits::DEFAULT);
        prop_assert_eq!(again, Ok(Parse::Complete(head)));
        prop_assert_eq!(&again_spans[..head.header_count()], &full_spans[..head.header_count()]);
    }

    #[test]
    fn head_limit_at_every_size(spec in spec()) {
        let buf = spec.render();
        for max_head_bytes in [0, 1, buf.len() / 2, buf.len() - 1, buf.len(), buf.len() + 1] {
            let limits = Limits { max_head_bytes, ..Limits::DEFAULT };
            let (got, _) = parse(&buf, &limits);
            if max_head_bytes >= buf.len() {
                prop_assert!(matches!(got, Ok(Parse::Complete(_))));
            } else {
                prop_assert!(
                    matches!(got, Err(RequestError::HeadTooLarge | RequestError::TargetTooLong)),
                    "{:?} at limit {}", got, max_head_bytes
                );
            }
        }
    }

    #[test]
    fn round_trip(spec in spec()) {
        let buf = spec.render();
        let (result, spans) = parse(&buf, &Limits::DEFAULT);
        let Ok(Parse::Complete(head)) = result else {
            return Err(TestCaseError::fail(format!("{result:?} for {:?}", buf.escape_ascii().to_string())));
        };
        let req = head.view(&buf, &spans);
        prop_assert_eq!(req.method().as_str(), spec.method.as_str());
        prop_assert_eq!(req.method().is_known(), Method::standard(spec.method.as_bytes()).is_some());
        prop_assert_eq!(req.target().as_str(), spec.target.as_str());
        prop_assert_eq!(req.path(), spec.path.as_str());
        prop_assert_eq!(req.query(), spec.query.as_deref());
        prop_assert_eq!(req.version(), spec.version);
        prop_assert_eq!(req.head_len(), buf.len());
        prop_assert_eq!(req.body_framing(), spec.framing);
        prop_assert_eq!(req.keep_alive(), spec.keep_alive);
        prop_assert_eq!(req.expects_continue(), spec.expects_continue);
        let got: Vec<(String, Vec<u8>)> = req
            .headers()
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect();
        prop_assert_eq!(&got, &spec.fields);
        for (name, value) in &spec.fields {
            let upper = name.to_ascii_uppercase();
            prop_assert!(req.headers().get_all(&upper).any(|v| v == value.as_slice()));
        }

        // httparse, an independent parser, agrees on everything both check.
        let mut oracle_fields = [httparse::EMPTY_HEADER; SPANS];
        let mut oracle = httparse::Request::new(&mut oracle_fields);
        prop_assert_eq!(oracle.parse(&buf), Ok(httparse::Status::Complete(buf.len())));
        prop_assert_eq!(oracle.method, Some(spec.method.as_str()));
        prop_assert_eq!(oracle.path, Some(spec.target.as_str()));
        prop_assert_eq!(oracle.version, Some(if spec.version == Version::Http11 { 1 } else { 0 }));
        prop_assert_eq!(oracle.headers.len(), spec.fields.len());
        for (theirs, ours) in oracle.headers.iter().zip(req.headers()) {
            prop_assert_eq!(theirs.name, ours.name);
            prop_assert_eq!(theirs.value, ours.value);
        }
    }
}
