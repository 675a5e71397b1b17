//! Declarative tables for the request-head parser: one line of input, one expected outcome.

use aurora_core::http::header::HeaderSpan;
use aurora_core::http::method::Method;
use aurora_core::http::request::{self, BodyFraming, Parse, Request, RequestError, Version};
use aurora_core::http::target::TargetForm;
use aurora_core::http::{Limits, Status};

const SPANS: usize = 64;

fn parse_with(input: &[u8], limits: &Limits) -> Result<Parse, RequestError> {
    let mut spans = [HeaderSpan::EMPTY; SPANS];
    request::parse(input, limits, &mut spans)
}

/// Parses `input` and hands the view to `check`.
fn complete(input: &[u8], check: impl FnOnce(Request<'_>)) {
    let mut spans = [HeaderSpan::EMPTY; SPANS];
    match request::parse(input, &Limits::DEFAULT, &mut spans) {
        Ok(Parse::Complete(head)) => check(head.view(input, &spans)),
        other => panic!("{:?}: expected a complete head, got {other:?}", show(input)),
    }
}

fn show(input: &[u8]) -> String {
    input.escape_ascii().to_string()
}

/// `name: input => |req| assertions;` for heads that must parse.
macro_rules! ok {
    ($($name:ident: $input:expr => |$r:ident| $check:expr;)+) => {
        $(
            #[test]
            fn $name() {
                complete($input, |$r| $check);
            }
        )+
    };
}

/// `name: input => Variant (status);` for heads that must be rejected.
macro_rules! err {
    ($($name:ident: $input:expr => $error:ident ($status:literal);)+) => {
        $(
            #[test]
            fn $name() {
                let got = parse_with($input, &Limits::DEFAULT);
                assert_eq!(got, Err(RequestError::$error), "input {:?}", show($input));
                assert_eq!(RequestError::$error.status().code(), $status);
            }
        )+
    };
}

/// `name: input;` for inputs that are a valid beginning of a head.
macro_rules! partial {
    ($($name:ident: $input:expr;)+) => {
        $(
            #[test]
            fn $name() {
                let got = parse_with($input, &Limits::DEFAULT);
                assert_eq!(got, Ok(Parse::Partial), "input {:?}", show($input));
            }
        )+
    };
}

mod methods {
    use super::*;
    ok! {
        get: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Get);
        head: b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Head);
        post: b"POST / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Post);
        put: b"PUT / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Put);
        delete: b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Delete);
        connect: b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" => |r| assert_eq!(r.method(), Method::Connect);
        options: b"OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Options);
        trace: b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Trace);
        patch: b"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.method(), Method::Patch);
        extension: b"PURGE / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.method(), Method::Extension("PURGE"));
            assert!(!r.method().is_known());
        };
        lowercase_is_extension: b"get / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.method(), Method::Extension("get"));
        };
        odd_token: b"M-SEARCH_1.x~ / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.method().as_str(), "M-SEARCH_1.x~");
        };
    }
    err! {
        non_token: b"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidMethod(400);
        nul: b"G\0ET / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidMethod(400);
        utf8: b"G\xC3\x89T / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidMethod(400);
        tab_separator: b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidMethod(400);
        empty: b" / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
    }
}

mod targets {
    use super::*;
    ok! {
        origin: b"GET /a/b?c=d HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.target().form(), TargetForm::Origin);
            assert_eq!(r.target().as_str(), "/a/b?c=d");
            assert_eq!(r.path(), "/a/b");
            assert_eq!(r.query(), Some("c=d"));
        };
        query_pairs: b"GET /s?q=a+b&x&=v&&k=%41 HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            let pairs: Vec<_> = r.query_pairs().collect();
            assert_eq!(pairs, [("q", "a+b"), ("x", ""), ("", "v"), ("k", "%41")]);
        };
        empty_query: b"GET /? HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.query(), Some(""));
            assert_eq!(r.query_pairs().count(), 0);
        };
        no_query: b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.query(), None);
        asterisk: b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.target().form(), TargetForm::Asterisk);
            assert_eq!(r.path(), "*");
        };
        absolute: b"GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n" => |r| {
            assert_eq!(r.target().form(), TargetForm::Absolute);
            assert_eq!(r.path(), "/p");
            assert_eq!(r.query(), Some("q"));
            assert_eq!(r.authority(), Some("example.com"));
        };
        absolute_empty_path: b"GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n" => |r| {
            assert_eq!(r.path(), "/");
        };
        absolute_authority_wins_over_host: b"GET https://target:8443/ HTTP/1.1\r\nHost: other\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("target:8443"));
            assert_eq!(r.header("host"), Some(&b"other"[..]));
        };
        origin_authority_is_host: b"GET / HTTP/1.1\r\nHost: example.com:80\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("example.com:80"));
        };
        empty_host_no_authority: b"GET / HTTP/1.1\r\nHost:\r\n\r\n" => |r| {
            assert_eq!(r.authority(), None);
        };
        authority_form: b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n" => |r| {
            assert_eq!(r.target().form(), TargetForm::Authority);
            assert_eq!(r.authority(), Some("[::1]:443"));
            assert_eq!(r.path(), "");
        };
        options_origin: b"OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.path(), "/x");
        all_pchars: b"GET /a-._~!$&'()*+,;=:@%20/?/? HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.path(), "/a-._~!$&'()*+,;=:@%20/");
            assert_eq!(r.query(), Some("/?"));
        };
    }
    err! {
        asterisk_with_get: b"GET * HTTP/1.1\r\nHost: a\r\n\r\n" => TargetFormMismatch(400);
        authority_with_get: b"GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n" => TargetFormMismatch(400);
        connect_with_origin: b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n" => TargetFormMismatch(400);
        connect_with_absolute: b"CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n" => TargetFormMismatch(400);
        connect_without_port: b"CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        fragment: b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        quote: b"GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        backslash: b"GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        nul: b"GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        tab: b"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        del: b"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        obs_text: b"GET /caf\xC3\xA9 HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        bad_escape: b"GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        short_escape: b"GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        relative: b"GET a/b HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        other_scheme: b"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        userinfo: b"GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        empty_authority: b"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        bracket_in_path: b"GET /[x] HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidTarget(400);
        empty_target: b"GET  HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
    }
}

mod request_line {
    use super::*;
    ok! {
        http10: b"GET / HTTP/1.0\r\n\r\n" => |r| assert_eq!(r.version(), Version::Http10);
        http11: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.version(), Version::Http11);
        leading_empty_line: b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.head_len(), 29);
        leading_empty_lines: b"\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| {
            assert_eq!(r.head_len(), 33);
            assert_eq!(r.method(), Method::Get);
        };
        body_follows: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi" => |r| {
            assert_eq!(r.head_len(), 47);
            assert_eq!(r.body_framing(), BodyFraming::ContentLength(2));
        };
        pipelined_next_ignored: b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\0\r\n" => |r| {
            assert_eq!(r.head_len(), 27);
        };
    }
    err! {
        http2: b"GET / HTTP/2.0\r\nHost: a\r\n\r\n" => UnsupportedVersion(505);
        // Not `HTTP/` DIGIT `.` DIGIT: malformed, not unsupported (RFC 9112 §2.3).
        http3_without_minor: b"GET / HTTP/3\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        two_digit_minor: b"GET / HTTP/1.10\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        two_digit_major: b"GET / HTTP/11.1\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        http12: b"GET / HTTP/1.2\r\nHost: a\r\n\r\n" => UnsupportedVersion(505);
        http09: b"GET / HTTP/0.9\r\nHost: a\r\n\r\n" => UnsupportedVersion(505);
        h2_preface: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" => UnsupportedVersion(505);
        lowercase_version: b"GET / http/1.1\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        version_junk: b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        version_dot_only: b"GET / HTTP/1.\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        version_byte: b"GET / HTTP/1\x001\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        version_too_long: b"GET / HTTP/1111111111111111111.1\r\nHost: a\r\n\r\n" => InvalidVersion(400);
        no_version: b"GET /\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
        http09_simple: b"GET /index.html\r\n" => InvalidRequestLine(400);
        double_space: b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
        space_before_version: b"GET /  HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
        trailing_space: b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
        extra_part: b"GET / HTTP/1.1 x\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
        bare_lf_request_line: b"GET / HTTP/1.1\nHost: a\r\n\r\n" => BareLf(400);
        bare_lf_everywhere: b"GET / HTTP/1.1\nHost: a\n\n" => BareLf(400);
        bare_cr_request_line: b"GET / HTTP/1.1\rHost: a\r\n\r\n" => BareCr(400);
        leading_bare_lf: b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" => BareLf(400);
        leading_bare_cr: b"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n" => BareCr(400);
        leading_space: b" GET / HTTP/1.1\r\nHost: a\r\n\r\n" => InvalidRequestLine(400);
    }
    partial! {
        empty: b"";
        one_cr: b"\r";
        empty_line: b"\r\n";
        method: b"GET";
        method_space: b"GET ";
        in_target: b"GET /ab";
        in_version: b"GET / HTTP/1.";
        before_lf: b"GET / HTTP/1.1\r";
        after_line: b"GET / HTTP/1.1\r\n";
        in_field: b"GET / HTTP/1.1\r\nHos";
        before_blank_line: b"GET / HTTP/1.1\r\nHost: a\r\n";
        in_blank_line: b"GET / HTTP/1.1\r\nHost: a\r\n\r";
    }
}

mod headers {
    use super::*;
    ok! {
        case_insensitive: b"GET / HTTP/1.1\r\nHOST: a\r\nX-Thing: 1\r\n\r\n" => |r| {
            assert_eq!(r.header("host"), Some(&b"a"[..]));
            assert_eq!(r.header("x-thing"), Some(&b"1"[..]));
            assert_eq!(r.header("X-THING"), Some(&b"1"[..]));
            assert_eq!(r.header("missing"), None);
        };
        repeated_values: b"GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\naccept: y\r\nACCEPT: z\r\n\r\n" => |r| {
            let all: Vec<_> = r.headers().get_all("Accept").collect();
            assert_eq!(all, [&b"x"[..], b"y", b"z"]);
            assert_eq!(r.headers().len(), 4);
        };
        order_and_names: b"GET / HTTP/1.1\r\nB: 2\r\nHost: a\r\nA: 1\r\n\r\n" => |r| {
            let names: Vec<_> = r.headers().iter().map(|h| h.name).collect();
            assert_eq!(names, ["B", "Host", "A"]);
        };
        value_trimmed: b"GET / HTTP/1.1\r\nHost: a\r\nX: \t v w \t \r\n\r\n" => |r| {
            assert_eq!(r.header("x"), Some(&b"v w"[..]));
        };
        empty_value: b"GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY:   \r\n\r\n" => |r| {
            assert_eq!(r.header("x"), Some(&b""[..]));
            assert_eq!(r.header("y"), Some(&b""[..]));
        };
        no_space_after_colon: b"GET / HTTP/1.1\r\nHost:a\r\n\r\n" => |r| {
            assert_eq!(r.header("host"), Some(&b"a"[..]));
        };
        obs_text_value: b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xC3\xA9\xFF\r\n\r\n" => |r| {
            assert_eq!(r.header("x"), Some(&b"caf\xC3\xA9\xFF"[..]));
        };
        htab_inside_value: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n" => |r| {
            assert_eq!(r.header("x"), Some(&b"a\tb"[..]));
        };
        token_name_chars: b"GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09: v\r\n\r\n" => |r| {
            assert_eq!(r.header("!#$%&'*+-.^_`|~09"), Some(&b"v"[..]));
        };
        colon_in_value: b"GET / HTTP/1.1\r\nHost: a\r\nX: a:b: c\r\n\r\n" => |r| {
            assert_eq!(r.header("x"), Some(&b"a:b: c"[..]));
        };
        http10_without_host: b"GET / HTTP/1.0\r\n\r\n" => |r| assert_eq!(r.headers().len(), 0);
    }
    err! {
        space_before_colon: b"GET / HTTP/1.1\r\nHost : a\r\n\r\n" => WhitespaceBeforeColon(400);
        tab_before_colon: b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n" => WhitespaceBeforeColon(400);
        space_in_name: b"GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n" => WhitespaceBeforeColon(400);
        obs_fold: b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n" => ObsFold(400);
        obs_fold_tab: b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n" => ObsFold(400);
        space_before_first_field: b"GET / HTTP/1.1\r\n Host: a\r\n\r\n" => ObsFold(400);
        empty_name: b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n" => InvalidHeaderName(400);
        no_colon: b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n" => InvalidHeaderName(400);
        name_non_token: b"GET / HTTP/1.1\r\nHost: a\r\nX(Y): 1\r\n\r\n" => InvalidHeaderName(400);
        name_utf8: b"GET / HTTP/1.1\r\nHost: a\r\nX\xC3\xA9: 1\r\n\r\n" => InvalidHeaderName(400);
        name_nul: b"GET / HTTP/1.1\r\nHost: a\r\nX\0: 1\r\n\r\n" => InvalidHeaderName(400);
        value_nul: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n" => HeaderValueNul(400);
        value_nul_first: b"GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n" => HeaderValueNul(400);
        value_bare_cr: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n" => BareCr(400);
        value_bare_lf: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n" => BareLf(400);
        value_control: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n" => InvalidHeaderValue(400);
        value_vt: b"GET / HTTP/1.1\r\nHost: a\r\nX: \x0bb\r\n\r\n" => InvalidHeaderValue(400);
        value_del: b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n" => InvalidHeaderValue(400);
        value_esc: b"GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[31m\r\n\r\n" => InvalidHeaderValue(400);
        blank_line_bare_lf: b"GET / HTTP/1.1\r\nHost: a\r\n\n" => BareLf(400);
        blank_line_bare_cr: b"GET / HTTP/1.1\r\nHost: a\r\n\rX" => BareCr(400);
        trailing_ws_bare_lf: b"GET / HTTP/1.1\r\nHost: a \t\n\r\n" => BareLf(400);
        no_fields_bare_lf: b"GET / HTTP/1.0\r\n\n" => BareLf(400);
    }
}

mod host {
    use super::*;
    ok! {
        host_port: b"GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("example.com:8080"));
        };
        ipv6: b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("[2001:db8::1]:443"));
        };
        http10_host: b"GET / HTTP/1.0\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.authority(), Some("a"));
        http10_missing: b"GET / HTTP/1.0\r\n\r\n" => |r| assert_eq!(r.authority(), None);
        http10_missing_absolute: b"GET http://t/x HTTP/1.0\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("t"));
        };
        ows_trimmed: b"GET / HTTP/1.1\r\nHost: \t a:1 \t\r\n\r\n" => |r| assert_eq!(r.authority(), Some("a:1"));
        case_kept: b"GET / HTTP/1.1\r\nhOsT: A.b\r\n\r\n" => |r| assert_eq!(r.authority(), Some("A.b"));
        empty_origin: b"GET /x HTTP/1.1\r\nHost:\r\n\r\n" => |r| assert_eq!(r.authority(), None);
        empty_asterisk: b"OPTIONS * HTTP/1.1\r\nHost: \r\n\r\n" => |r| assert_eq!(r.authority(), None);
        // RFC 9112 section 3.2.2: the target's authority wins; Host is ignored for routing.
        absolute_differs: b"GET http://t:8080/p HTTP/1.1\r\nHost: other\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("t:8080"));
            assert_eq!(r.path(), "/p");
        };
        connect_differs: b"CONNECT t:443 HTTP/1.1\r\nHost: other\r\n\r\n" => |r| {
            assert_eq!(r.authority(), Some("t:443"));
        };
    }
    err! {
        missing: b"GET / HTTP/1.1\r\n\r\n" => MissingHost(400);
        missing_absolute: b"GET http://a/ HTTP/1.1\r\n\r\n" => MissingHost(400);
        duplicate: b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n" => DuplicateHost(400);
        duplicate_case: b"GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n" => DuplicateHost(400);
        duplicate_http10: b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n" => DuplicateHost(400);
        duplicate_empty: b"GET / HTTP/1.1\r\nHost:\r\nHost: a\r\n\r\n" => DuplicateHost(400);
        list: b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n" => InvalidHost(400);
        space: b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n" => InvalidHost(400);
        userinfo: b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n" => InvalidHost(400);
        path: b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n" => InvalidHost(400);
        bad_port: b"GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n" => InvalidHost(400);
        empty_port: b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n" => InvalidHost(400);
        port_only: b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n" => InvalidHost(400);
        obs_text: b"GET / HTTP/1.1\r\nHost: \xC3\xA9\r\n\r\n" => InvalidHost(400);
        http10_invalid: b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n" => InvalidHost(400);
        // An empty Host says the target has no authority; these targets have one.
        empty_absolute: b"GET http://t/ HTTP/1.1\r\nHost:\r\n\r\n" => InvalidHost(400);
        empty_absolute_http10: b"GET http://t/ HTTP/1.0\r\nHost: \r\n\r\n" => InvalidHost(400);
        empty_connect: b"CONNECT t:443 HTTP/1.1\r\nHost:\r\n\r\n" => InvalidHost(400);
        // The target's authority wins, but Host must still be valid.
        invalid_absolute: b"GET http://t/ HTTP/1.1\r\nHost: u@t\r\n\r\n" => InvalidHost(400);
        duplicate_absolute: b"GET http://t/ HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n" => DuplicateHost(400);
    }
}

mod persistence {
    use super::*;
    ok! {
        http11_default: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert!(r.keep_alive());
        http11_close: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" => |r| assert!(!r.keep_alive());
        http11_close_case: b"GET / HTTP/1.1\r\nHost: a\r\nconnection: CLOSE\r\n\r\n" => |r| assert!(!r.keep_alive());
        http11_close_in_list: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n" => |r| assert!(!r.keep_alive());
        http11_close_second_line: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n" => |r| assert!(!r.keep_alive());
        http11_keep_alive: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n" => |r| assert!(r.keep_alive());
        http11_other_token: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: x-close\r\n\r\n" => |r| assert!(r.keep_alive());
        http10_default: b"GET / HTTP/1.0\r\n\r\n" => |r| assert!(!r.keep_alive());
        http10_keep_alive: b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" => |r| assert!(r.keep_alive());
        http10_keep_alive_case: b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" => |r| assert!(r.keep_alive());
        http10_both: b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n" => |r| assert!(!r.keep_alive());
        empty_connection: b"GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n" => |r| assert!(r.keep_alive());
    }
    err! {
        connection_non_token: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: clo se\r\n\r\n" => InvalidConnection(400);
        connection_quoted: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: \"close\"\r\n\r\n" => InvalidConnection(400);
    }
}

mod expect {
    use super::*;
    ok! {
        continue_: b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n" => |r| {
            assert!(r.expects_continue());
        };
        continue_case: b"POST / HTTP/1.1\r\nHost: a\r\nexpect: 100-Continue\r\n\r\n" => |r| assert!(r.expects_continue());
        none: b"POST / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert!(!r.expects_continue());
        http10_ignored: b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n" => |r| assert!(!r.expects_continue());
        empty_ignored: b"POST / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n" => |r| assert!(!r.expects_continue());
    }
    err! {
        other: b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n" => UnsupportedExpectation(417);
        with_param: b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue; x=1\r\n\r\n" => UnsupportedExpectation(417);
        in_list: b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\n\r\n" => UnsupportedExpectation(417);
        http10_other: b"POST / HTTP/1.0\r\nExpect: foo\r\n\r\n" => UnsupportedExpectation(417);
    }
}

mod framing {
    use super::*;
    ok! {
        none: b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" => |r| assert_eq!(r.body_framing(), BodyFraming::None);
        zero: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::ContentLength(0));
        };
        leading_zeros: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::ContentLength(7));
        };
        at_body_limit: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::ContentLength(1_048_576));
        };
        http10_length: b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::ContentLength(3));
        };
        chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::Chunked);
        };
        chunked_case: b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::Chunked);
        };
        chunked_tab: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\t\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::Chunked);
        };
        chunked_empty_items: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n" => |r| {
            assert_eq!(r.body_framing(), BodyFraming::Chunked);
        };
    }
    err! {
        length_and_chunked: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" => ContentLengthWithTransferEncoding(400);
        chunked_and_length: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" => ContentLengthWithTransferEncoding(400);
        duplicate_length: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n" => DuplicateContentLength(400);
        duplicate_length_differ: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n" => DuplicateContentLength(400);
        length_list: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n" => InvalidContentLength(400);
        length_plus: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n" => InvalidContentLength(400);
        length_minus: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n" => InvalidContentLength(400);
        length_hex: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n" => InvalidContentLength(400);
        length_inner_space: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n" => InvalidContentLength(400);
        length_empty: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n" => InvalidContentLength(400);
        length_decimal: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n" => InvalidContentLength(400);
        length_overflow: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n" => InvalidContentLength(400);
        length_too_large: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n" => ContentTooLarge(413);
        length_u64_max: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n" => ContentTooLarge(413);
        te_http10: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" => TransferEncodingInHttp10(400);
        te_gzip_only: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n" => ChunkedNotFinal(400);
        te_chunked_gzip: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" => ChunkedNotFinal(400);
        te_chunked_chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" => ChunkedTwice(400);
        te_chunked_twice_lines: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" => ChunkedTwice(400);
        te_gzip_chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" => UnsupportedTransferCoding(501);
        te_gzip_then_chunked_lines: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" => UnsupportedTransferCoding(501);
        te_identity_chunked: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n" => UnsupportedTransferCoding(501);
        te_empty: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n" => InvalidTransferEncoding(400);
        te_commas: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,\r\n\r\n" => InvalidTransferEncoding(400);
        te_chunked_param: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n" => InvalidTransferEncoding(400);
        te_quoted: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n" => InvalidTransferEncoding(400);
    }
}

mod limits {
    use super::*;

    fn with_fields(version: &str, count: usize) -> Vec<u8> {
        let mut head = format!("GET / {version}\r\nHost: a\r\n");
        for i in 1..count {
            head.push_str(&format!("X-Field-{i}: value {i}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// A head of exactly `len` bytes (len >= 40), padded in one field value.
    fn of_length(len: usize) -> Vec<u8> {
        let fixed = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n".len();
        let pad = "p".repeat(len - fixed);
        format!("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {pad}\r\n\r\n").into_bytes()
    }

    #[test]
    fn fields_across_httparse_batches() {
        for count in [1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64] {
            let input = with_fields("HTTP/1.1", count);
            complete(&input, |r| {
                assert_eq!(r.headers().len(), count);
                for (i, field) in r.headers().iter().enumerate().skip(1) {
                    assert_eq!(field.name, format!("X-Field-{i}"));
                    assert_eq!(field.value, format!("value {i}").as_bytes());
                }
                assert_eq!(r.head_len(), input.len());
            });
        }
    }

    #[test]
    fn too_many_fields() {
        for count in [65, 66, 80, 200] {
            let input = with_fields("HTTP/1.1", count);
            let got = parse_with(&input, &Limits::DEFAULT);
            assert_eq!(got, Err(RequestError::TooManyHeaders), "{count} fields");
        }
        let small = Limits {
            max_headers: 3,
            ..Limits::DEFAULT
        };
        assert!(matches!(
            parse_with(&with_fields("HTTP/1.1", 3), &small),
            Ok(Parse::Complete(_))
        ));
        assert_eq!(
            parse_with(&with_fields("HTTP/1.1", 4), &small),
            Err(RequestError::TooManyHeaders)
        );
        assert_eq!(
            RequestError::TooManyHeaders.status(),
            Status::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn span_storage_caps_fields() {
        let input = with_fields("HTTP/1.1", 5);
        let mut spans = [HeaderSpan::EMPTY; 4];
        assert_eq!(
            request::parse(&input, &Limits::DEFAULT, &mut spans),
            Err(RequestError::TooManyHeaders)
        );
        let mut spans = [HeaderSpan::EMPTY; 5];
        assert!(matches!(
            request::parse(&input, &Limits::DEFAULT, &mut spans),
            Ok(Parse::Complete(_))
        ));
        let mut none: [HeaderSpan; 0] = [];
        assert!(matches!(
            request::parse(b"GET / HTTP/1.0\r\n\r\n", &Limits::DEFAULT, &mut none),
            Ok(Parse::Complete(_))
        ));
    }

    #[test]
    fn head_size_limit() {
        let limit = Limits::DEFAULT.max_head_bytes;
        // Exactly at the limit: complete.
        let input = of_length(limit);
        assert_eq!(input.len(), limit);
        complete(&input, |r| assert_eq!(r.head_len(), limit));
        // One past: the blank line never fits.
        assert_eq!(
            parse_with(&of_length(limit + 1), &Limits::DEFAULT),
            Err(RequestError::HeadTooLarge)
        );
        // Partial below the limit, 431 once the buffer reaches it.
        let big = of_length(limit + 100);
        assert_eq!(
            parse_with(&big[..limit - 1], &Limits::DEFAULT),
            Ok(Parse::Partial)
        );
        assert_eq!(
            parse_with(&big[..limit], &Limits::DEFAULT),
            Err(RequestError::HeadTooLarge)
        );
        assert_eq!(
            parse_with(&big, &Limits::DEFAULT),
            Err(RequestError::HeadTooLarge)
        );
        // A complete head followed by a body larger than the limit is fine.
        let mut with_body = of_length(100);
        with_body.extend(std::iter::repeat_n(b'x', 2 * limit));
        complete(&with_body, |r| assert_eq!(r.head_len(), 100));
    }

    #[test]
    fn tiny_head_limit() {
        let tiny = Limits {
            max_head_bytes: 0,
            ..Limits::DEFAULT
        };
        assert_eq!(parse_with(b"", &tiny), Err(RequestError::HeadTooLarge));
        assert_eq!(
            parse_with(b"GET / HTTP/1.0\r\n\r\n", &tiny),
            Err(RequestError::HeadTooLarge)
        );
    }

    #[test]
    fn target_length_limit() {
        let limits = Limits {
            max_target_bytes: 100,
            ..Limits::DEFAULT
        };
        let target = |len: usize| format!("/{}", "a".repeat(len - 1));
        let at = format!("GET {} HTTP/1.1\r\nHost: a\r\n\r\n", target(100));
        assert!(matches!(
            parse_with(at.as_bytes(), &limits),
            Ok(Parse::Complete(_))
        ));
        let over = format!("GET {} HTTP/1.1\r\nHost: a\r\n\r\n", target(101));
        assert_eq!(
            parse_with(over.as_bytes(), &limits),
            Err(RequestError::TargetTooLong)
        );
        assert_eq!(RequestError::TargetTooLong.status(), Status::URI_TOO_LONG);
        // Detected without waiting for the rest of the head.
        let early = format!("GET {}", target(101));
        assert_eq!(
            parse_with(early.as_bytes(), &limits),
            Err(RequestError::TargetTooLong)
        );
        let not_yet = format!("GET {}", target(100));
        assert_eq!(parse_with(not_yet.as_bytes(), &limits), Ok(Parse::Partial));
    }

    #[test]
    fn head_limit_inside_target_is_414() {
        let limits = Limits {
            max_head_bytes: 64,
            max_target_bytes: 1000,
            ..Limits::DEFAULT
        };
        let input = format!("GET /{}", "a".repeat(100));
        assert_eq!(
            parse_with(input.as_bytes(), &limits),
            Err(RequestError::TargetTooLong)
        );
        let in_fields = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(100));
        assert_eq!(
            parse_with(in_fields.as_bytes(), &limits),
            Err(RequestError::HeadTooLarge)
        );
    }

    #[test]
    fn body_limit() {
        let limits = Limits {
            max_body_bytes: 10,
            ..Limits::DEFAULT
        };
        let ten = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
        assert!(matches!(parse_with(ten, &limits), Ok(Parse::Complete(_))));
        let eleven = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
        assert_eq!(
            parse_with(eleven, &limits),
            Err(RequestError::ContentTooLarge)
        );
        assert_eq!(
            RequestError::ContentTooLarge.status(),
            Status::PAYLOAD_TOO_LARGE
        );
    }
}

mod head_outlives_buffer {
    use super::*;

    #[test]
    fn view_after_compaction() {
        let mut spans = [HeaderSpan::EMPTY; 8];
        let mut buf = Vec::from(&b"xxGET /p?q=1 HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\nBODY"[..]);
        let Ok(Parse::Complete(head)) = request::parse(&buf[2..], &Limits::DEFAULT, &mut spans)
        else {
            panic!("complete");
        };
        // The engine moves the head to the front of its buffer and keeps only `head`.
        buf.drain(..2);
        let req = head.view(&buf, &spans);
        assert_eq!(req.path(), "/p");
        assert_eq!(req.header("x"), Some(&b"y"[..]));
        assert_eq!(&buf[head.head_len()..], b"BODY");
        assert_eq!(head.header_count(), 2);
        assert_eq!(head.target_form(), TargetForm::Origin);
        assert_eq!(req.head(), &head);
    }

    #[test]
    fn wrong_buffer_never_panics() {
        let mut spans = [HeaderSpan::EMPTY; 8];
        let input = b"GET /path HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n";
        let Ok(Parse::Complete(head)) = request::parse(input, &Limits::DEFAULT, &mut spans) else {
            panic!("complete");
        };
        for buf in [&b""[..], b"GE", &[0xFF; 64][..]] {
            let req = head.view(buf, &spans);
            let _ = (req.method(), req.path(), req.query(), req.authority());
            let _ = req.headers().iter().count();
            let _ = req.header("x");
        }
        let req = head.view(input, &[]);
        assert_eq!(req.headers().len(), 0);
    }
}

#[test]
fn error_display_and_labels() {
    for error in RequestError::ALL {
        assert!(!error.to_string().is_empty());
        let label = error.as_str();
        assert!(
            label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
    }
    assert_eq!(RequestError::BareLf.as_str(), "bare_lf");
    assert_eq!(
        RequestError::UnsupportedVersion.status(),
        Status::HTTP_VERSION_NOT_SUPPORTED
    );
}
